"""Which protected attributes the texture method should hold before the mouth's and tone's reaches narrow its choice of entry.

Usage: python scripts/texture_rules.py [--faces 150] [--seeds 0 1] [--cache data/cache] [--out reports/generation]

`choose_entry` keeps the entries whose `FACIAL_HAIR` attributes are the original's before it narrows the choice by the
mouth's opening and the skin tone (where an entry within the turn's reach has them). This script sets that tuple to
nothing, to the shipped facial hair and stubble, and to every protected attribute a face texture shows, and grades each
as `nbs/07d_generators.ipynb` grades the default: the texture method on the same aligned `celeba-6k` test faces (stage-1
cache), read by the judge (flips, unflipped, Male kept, Fréchet distance to the originals in the judge's features,
identity diversity), once per seed. Writes OUT/texture_rules.md and .json."""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--faces', type=int, default=150, help='celeba-6k test faces graded (07d: 150; default: %(default)s)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1], help='obfuscator seeds (default: %(default)s)')
    p.add_argument('--cache', default=str(REPO/'data'/'cache'), help='stage-1 caches (default: %(default)s)')
    p.add_argument('--out', default=str(REPO/'reports'/'generation'))
    args = p.parse_args(argv)
    from faceobf.core import PROTECTED_ATTRIBUTES, environment, write_table
    from faceobf.dataset import Stage1Cache
    from faceobf.evaluate.generators import load_judge, grade_generators
    from faceobf.generate import texture, choice
    from faceobf.generate.faceparts import NOT_DRAWN
    from faceobf.generate.shipped import load_models
    cache = Path(args.cache)/'celeba-6k'
    if not (cache/'manifest.json').is_file(): raise SystemExit(f'texture_rules: no stage-1 cache at {cache}; see data/README.md')
    shipped = choice.FACIAL_HAIR
    rules = {'nothing held first': (),
             f"facial hair and stubble held first (shipped: {', '.join(shipped)})": shipped,
             'every protected attribute held first (make-up, lipstick, rosy cheeks, double chin too)':
                 tuple(a for a in PROTECTED_ATTRIBUTES if a not in NOT_DRAWN and a != 'Male')}
    models, (judge, _) = load_models(), load_judge()
    test = Stage1Cache(cache).split('test')
    pick = np.sort(np.random.default_rng(0).permutation(len(test['files']))[:args.faces])  # 07d's faces
    faces = {k: v[pick] for k, v in test.items()}
    rows, t0 = [], time.time()
    try:
        for name, held in rules.items():
            choice.FACIAL_HAIR = held
            for seed in args.seeds:
                g = grade_generators(judge, faces, {name: texture.TextureFace(models=models)}, seed=seed)[name]
                rows.append(dict(rule=name, seed=seed, **{k: g[k] for k in ('flipped_read_as_flipped', 'unflipped_unchanged', 'male_kept',
                                                                           'frechet_distance', 'diversity', 'sharpness')}, masked=g.get('masked')))
                print(rows[-1], file=sys.stderr)
    finally:
        choice.FACIAL_HAIR = shipped
    table = [{'rule': r['rule'], 'seed': r['seed'], 'flips read': f"{r['flipped_read_as_flipped']:.1%}", 'unflipped unchanged': f"{r['unflipped_unchanged']:.1%}",
              'Male kept': f"{r['male_kept']:.1%}", 'Fréchet distance': f"{r['frechet_distance']:.2f}", 'diversity': f"{r['diversity']:.2f}",
              'sharpness': f"{r['sharpness']:.2f}", 'masked': r['masked']} for r in rows]
    env = environment()
    note = (f"{args.faces} aligned `celeba-6k` test faces (07d's, stage-1 cache), the `paper` attributes flipped, the shipped models and "
            f"texture bank, graded by 07d's judge (`grade_generators`), once per obfuscator seed. Command: `{' '.join(['python scripts/texture_rules.py', *(argv if argv is not None else sys.argv[1:])])}`. Machine: {env['machine']}; {time.time() - t0:.0f} s.")
    out = Path(args.out)
    write_table(table, out, 'texture_rules', 'Which protected attributes to hold before the reaches narrow the choice', note)
    (out/'texture_rules.json').write_text(json.dumps(dict(rows=rows, faces=args.faces, seeds=args.seeds, environment=env), indent=1, default=str) + '\n')
    print(f'wrote {out}/texture_rules.md', file=sys.stderr)


if __name__ == '__main__':
    main()
