"""How much the dlib attacker's success on the texture method depends on the draw: the `celeba-6k` attacker of
`nbs/07b_attackers.ipynb` (the same identities, gallery and attacked probes as `./run.sh report`) run again with
several seeds of the obfuscator, for a few settings of the texture method.

    python scripts/attacker_seeds.py ../shared/data [--seeds 5] [--out reports/evaluation]

One report run draws every face once, with seed 0; a face drawn with another seed gets another donor and entry, and the
attacker names another set of faces. The spread over seeds says how far one run's rank-1 can be read. Writes
OUT/attacker_seeds.md and .json. Settings: `strength/asymmetry/margin` of `TextureFace`'s donor exaggeration, its lopsided
part, and the obfuscator's retry margin (`--setting` repeats; default: the shipped default, the texture as it was before
its donors' lopsided part was halved, and the shipped default with a margin of 0.75 and 0.8).
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
    from faceobf.evaluate.attackers import _original, _with_identity
    from faceobf.generate.obfuscator import Obfuscator
    from faceobf.generate.shipped import load_models
    ob = Obfuscator('texture', models=load_models(), exaggeration=strength, asymmetry=asymmetry, margin=margin, seed=seed)
    return {'original': _original, 'texture': _with_identity(ob)}


def probes(data: Path, cache: Path, seed: int = 0, per_identity: int = 15, gallery_per_identity: int = 5,
           attack_per_identity: int = 5, max_identities: int = 50) -> tuple:
    "`(gallery paths, gallery ids, attacked probe paths, their ids)`: chosen as 07b chooses them with `./run.sh report`'s settings."
    from faceobf.dataset import Stage1Cache, load_celeba
    split = Stage1Cache(cache).split('test')
    ix = load_celeba(data)
    rng = np.random.default_rng(seed)
    ids, counts = np.unique(split['identity'], return_counts=True)
    eligible = ids[counts >= per_identity + gallery_per_identity]
    if len(eligible) > max_identities:
        eligible = np.sort(np.random.default_rng(seed + 1).choice(eligible, max_identities, replace=False))
    gf, gi, pf, pi = [], [], [], []
    for ident in eligible:
        files = rng.permutation(split['files'][split['identity'] == ident])
        gf += [ix.image_dir/f for f in files[:gallery_per_identity]]; gi += [ident] * gallery_per_identity
        attacked = files[gallery_per_identity:gallery_per_identity + per_identity][:attack_per_identity]  # 07b's attacked probes
        pf += [ix.image_dir/f for f in attacked]; pi += [ident] * len(attacked)
    return gf, gi, pf, pi


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
    args = p.parse_args(argv)
    from faceobf.core import environment, markdown_table
    from faceobf.evaluate.attackers import attacker_rows, build_gallery, evaluate_photos
    from faceobf.generate.texture import TEXTURE_ASYMMETRY, TEXTURE_EXAGGERATION
    default = (TEXTURE_EXAGGERATION, TEXTURE_ASYMMETRY, 0.7)
    named = {default: 'the default', (1.4, 1.4, 0.7): 'the texture before (lopsided part exaggerated as the rest)'}
    settings = [tuple(float(v) for v in s.split('/')) for s in args.setting] if args.setting else \
        [default, (1.4, 1.4, 0.7), (*default[:2], 0.75), (*default[:2], 0.8)]
    if not (args.cache/'manifest.json').exists(): sys.exit(f'{args.cache}: no stage-1 cache; run ./run.sh report {args.data} first')
    gf, gi, pf, pi = probes(args.data/'celeba-6k', args.cache)
    gallery, _ = build_gallery(gf, gi, workers=args.workers)
    results, rows = [], []
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
        results.append(dict(strength=s[0], asymmetry=s[1], margin=s[2], name=named.get(s, ''), seeds=per_seed))
        stat, fmt = partial(_column, per_seed), partial(_spread, per_seed)
        rows.append({'setting (exaggeration / lopsided part / margin)': f"{s[0]:g} / {s[1]:g} / {s[2]:g}" + (f" ({named[s]})" if s in named else ''),
                     'probes': len(pf), 'detected': f"{stat('detected').mean():.1f}%", 'rank-1 identified': fmt('rank-1 identified'),
                     'rank-1, known place': fmt('rank-1, known place'), 'matched at 0.6 (mean)': f"{stat('matched at 0.6').mean():.1f}%",
                     'masked (mean of 110)': f"{stat('fallbacks').mean():.1f}", 's a run': f"{stat('seconds').mean():.0f}"})
    chance = 100 / len(set(gi))
    command = 'python scripts/attacker_seeds.py ' + ' '.join(argv if argv is not None else sys.argv[1:])
    env = environment()
    md = f"""# The attacker over several draws of the texture method

{markdown_table(rows)}

The `celeba-6k` attacker of `nbs/07b_attackers.ipynb` with `./run.sh report`'s choice of people: {len(set(gi))} identities of the
test split, 5 clean photos each in the gallery, {len(pf)} attacked probes; chance is {chance:.1f}%, the bound chance + 3 points
{chance + 3:.1f}%. Each setting was drawn with the obfuscator's seeds 0 to {args.seeds - 1} (a report run uses seed 0): mean ± standard
deviation over seeds (lowest-highest). known place: the attacker embeds the face at its original landmarks. masked: faces
no try got far enough from the original and the entry's contributors. s a run: drawing and attacking the {len(pf)} probes
with {args.workers} worker processes.

Command: `{command}`. Machine: {env.get('machine', '')}; Keras {env.get('keras')} on {env.get('backend')}.
"""
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out/'attacker_seeds.md').write_text(md)
    (args.out/'attacker_seeds.json').write_text(json.dumps(dict(command=command, chance=chance, probes=len(pf),
                                                               identities=len(set(gi)), settings=results, environment=env), indent=1) + '\n')
    print(md)


if __name__ == '__main__':
    main()
