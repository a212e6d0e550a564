"""How much the dlib attacker's success on the texture method depends on the draw: the `celeba-6k` attacker of
`nbs/07b_attackers.ipynb` (the same identities, gallery and attacked probes as `./run.sh report`) run again with
several seeds of the obfuscator, for a few settings of the texture method.

    python scripts/attacker_seeds.py ../shared/data [--seeds 5] [--out reports/evaluation]

One report run draws every face once, with seed 0; a face drawn with another seed gets another donor and entry, and the
attacker names another set of faces. The spread over seeds says how far one run's rank-1 can be read. Writes
OUT/attacker_seeds.md and .json. Settings: `strength/asymmetry/margin` of `TextureFace`'s donor exaggeration, its lopsided
part, and the obfuscator's retry margin (`--setting` repeats; default: the shipped texture with margins of 0.7, 0.75 and
0.8, and the texture as it was before its donors' lopsided part was halved). `--render` writes the table again from the
saved json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def texture_methods(strength: float, asymmetry: float, margin: float, seed: int) -> dict:
    "The attacker's methods (the original and the texture with these settings), built in each worker process."
    from faceobf.evaluate.attackers import unchanged, compared
    from faceobf.generate.obfuscator import Obfuscator
    from faceobf.generate.shipped import load_models
    ob = Obfuscator('texture', models=load_models(), exaggeration=strength, asymmetry=asymmetry, margin=margin, seed=seed)
    return {'original': unchanged, 'texture': compared(ob)}


def probes(data: Path, cache: Path, seed: int = 0, per_identity: int = 15, gallery_per_identity: int = 5,
           attack_per_identity: int = 5, max_identities: int = 50) -> tuple:
    "`(gallery paths, gallery ids, attacked probe paths, their ids)`: 07b's `report_people` with `./run.sh report`'s settings, the attacked probes only."
    from faceobf.dataset import Stage1Cache, load_celeba
    from faceobf.evaluate.attackers import report_people
    split, ix = Stage1Cache(cache).split('test'), load_celeba(data)
    gf, gi, pf, pi = report_people(split['files'], split['identity'], seed, per_identity, gallery_per_identity, max_identities)
    attacked = [k for k in range(len(pf)) if k % per_identity < attack_per_identity]  # 07b's attacked probes: the first of each person's
    return [ix.image_dir/f for f in gf], gi, [ix.image_dir/pf[k] for k in attacked], [pi[k] for k in attacked]


def _column(per_seed: list, key: str) -> np.ndarray: return np.array([r[key] for r in per_seed], float)


def _spread(per_seed: list, key: str) -> str:
    "Mean ± standard deviation (lowest-highest) of a percentage over seeds."
    v = _column(per_seed, key)
    return f"{v.mean():.1f}% ± {v.std(ddof=1) if len(v) > 1 else 0:.1f} ({v.min():.1f}-{v.max():.1f})"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('data', type=Path, help='the folder holding celeba-6k')
    p.add_argument('--cache', type=Path, default=REPO/'data/cache/celeba-6k', help='its stage-1 cache (./run.sh report makes it)')
    p.add_argument('--seeds', type=int, default=5, help='obfuscator seeds 0..N-1 for each setting')
    p.add_argument('--setting', action='append', metavar='S/A/M', help='strength/asymmetry/margin (repeat; default: see above)')
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('--out', type=Path, default=REPO/'reports/evaluation')
    p.add_argument('--render', action='store_true', help="only write OUT/attacker_seeds.md again from OUT/attacker_seeds.json")
    args = p.parse_args(argv)
    from faceobf.core import environment
    if args.render:  # the table again from the saved runs (named by the current defaults)
        print(render(json.loads((args.out/'attacker_seeds.json').read_text()), args.out)); return
    from faceobf.evaluate.attackers import attacker_rows, build_gallery, evaluate_photos
    default = _default()
    settings = [tuple(float(v) for v in s.split('/')) for s in args.setting] if args.setting else \
        [(*default[:2], 0.7), (1.4, 1.4, 0.7), (*default[:2], 0.75), (*default[:2], 0.8)]
    if not (args.cache/'manifest.json').exists(): sys.exit(f'{args.cache}: no stage-1 cache; run ./run.sh report {args.data} first')
    gf, gi, pf, pi = probes(args.data/'celeba-6k', args.cache)
    gallery, _ = build_gallery(gf, gi, workers=args.workers)
    results = []
    for s in settings:
        per_seed = []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            run = evaluate_photos(pf, pi, partial(texture_methods, *s, seed), attack=True, workers=args.workers, progress=False)
            row = next(r for r in attacker_rows(run, gallery, 'celeba-6k test') if r['method'] == 'texture')
            per_seed.append(dict(seed=seed, seconds=round(time.perf_counter() - t0, 1), fallbacks=row['fallbacks'],
                                 **{k: float(row[k].rstrip('%')) for k in ('detected', 'rank-1 identified', 'matched at 0.6',
                                                                            'rank-1, known place', 'matched, known place')}))
            print(f'{s} seed {seed}: {per_seed[-1]}', file=sys.stderr)
        results.append(dict(strength=s[0], asymmetry=s[1], margin=s[2], seeds=per_seed))
    command = 'python scripts/attacker_seeds.py ' + ' '.join(argv if argv is not None else sys.argv[1:])
    run = dict(command=command, chance=100 / len(set(gi)), probes=len(pf), identities=len(set(gi)), seeds=args.seeds,
               workers=args.workers, settings=results, environment=environment())
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out/'attacker_seeds.json').write_text(json.dumps(run, indent=1) + '\n')
    print(render(run, args.out))


def _default() -> tuple:
    "The shipped `(exaggeration, lopsided part, margin)` of the texture method."
    from faceobf.generate.texture import TEXTURE_ASYMMETRY, TEXTURE_EXAGGERATION
    from faceobf.generate.vocabulary import MARGIN
    return (TEXTURE_EXAGGERATION, TEXTURE_ASYMMETRY, MARGIN)


def render(run: dict, out: Path) -> str:
    "OUT/attacker_seeds.md of the runs in `run` (what main saves as json); the settings named by today's defaults."
    from faceobf.core import markdown_table
    default = _default()
    named = {default: 'the default', (*default[:2], 0.7): 'the default with the margin before',
             (1.4, 1.4, 0.7): 'the texture before: lopsided part exaggerated as the rest'}
    rows = []
    for r in run['settings']:
        s, per_seed = (r['strength'], r['asymmetry'], r['margin']), r['seeds']
        stat, fmt = partial(_column, per_seed), partial(_spread, per_seed)
        rows.append({'setting (exaggeration / lopsided part / margin)': f"{s[0]:g} / {s[1]:g} / {s[2]:g}" + (f" ({named[s]})" if s in named else ''),
                     'probes': run['probes'], 'detected': f"{stat('detected').mean():.1f}%", 'rank-1 identified': fmt('rank-1 identified'),
                     'rank-1, known place': fmt('rank-1, known place'), 'matched at 0.6 (mean)': f"{stat('matched at 0.6').mean():.1f}%",
                     'masked (mean)': f"{stat('fallbacks').mean():.1f}", 's a run': f"{stat('seconds').mean():.0f}"})
    env, chance = run['environment'], run['chance']
    md = f"""# The attacker over several draws of the texture method

{markdown_table(rows)}

The `celeba-6k` attacker of `nbs/07b_attackers.ipynb` with `./run.sh report`'s choice of people: {run['identities']} identities of the
test split, 5 clean photos each in the gallery, {run['probes']} attacked probes; chance is {chance:.1f}%, the bound chance + 3 points
{chance + 3:.1f}%. Each setting was drawn with the obfuscator's seeds 0 to {run['seeds'] - 1} (a report run uses seed 0): mean ± standard
deviation over seeds (lowest-highest). known place: the attacker embeds the face at its original landmarks. masked: faces
no try got far enough from the original and the entry's contributors. s a run: drawing and attacking the {run['probes']} probes
with {run['workers']} worker processes.

Command: `{run['command']}`. Machine: {env.get('machine', '')}; Keras {env.get('keras')} on {env.get('backend')}.
"""
    (out/'attacker_seeds.md').write_text(md)
    return md

if __name__ == '__main__':
    main()
