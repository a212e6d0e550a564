"""How varied are faceobf's outputs as the donor shapes are exaggerated more?

    .venv/bin/python scripts/exaggeration_diversity.py ../shared/data [--photos 100] [--strengths 1.0 1.4 1.8 2.2]

For `--photos` photos drawn at random (seed 0) from the test split of celeba-6k's stage-1 cache
(data/cache/celeba-6k), obfuscates each with the shipped models, donor geometry and `paper` attributes,
unverified (so that every output is the drawn face), at each exaggeration strength, finds each face again
(HOG, as 07b_attackers' attacker) and reports identity diversity: the median dlib distance between the
outputs of different people over the same for the originals (07a_measures' measure; 1 = as varied as
people). Writes exaggeration.md and .json into --report, and a strip of the first photos'
outputs for each strength to --figure (default: an ignored folder, since it shows CelebA faces).
"""
import argparse, sys, time
from pathlib import Path

import numpy as np


def seeded_photos(data, cache, split:str, n:int) -> tuple:
    "`(photos, faces, identities)`: `n` photos of `split` of celeba-6k's stage-1 cache drawn with seed 0, read from `data`, with their faces."
    from faceobf.core import read_photo
    from faceobf.dataset import load_celeba, Stage1Cache
    from faceobf.landmarks import detect_faces
    ix = load_celeba(Path(data)/'celeba-6k', 'img_align_celeba')
    s = Stage1Cache(cache).split(split)
    pick = np.random.default_rng(0).permutation(len(s['files']))[:n]
    photos = [read_photo(ix.image_dir/f) for f in s['files'][pick]]
    return photos, [detect_faces(p) for p in photos], s['identity'][pick]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data', help='folder holding celeba-6k (e.g. ../shared/data)')
    ap.add_argument('--cache', default='data/cache/celeba-6k', help="celeba-6k's stage-1 cache (faceobf prepare)")
    ap.add_argument('--photos', type=int, default=100)
    ap.add_argument('--strengths', type=float, nargs='+', default=[1.0, 1.4, 1.8, 2.2])
    ap.add_argument('--report', default='reports/generation', help='folder for exaggeration.md and .json')
    ap.add_argument('--figure', default='output/exaggeration.png', help='strip of outputs (CelebA faces: keep it out of git)')
    a = ap.parse_args()
    if not (Path(a.cache)/'manifest.json').is_file(): sys.exit(f"{a.cache}: no stage-1 cache; build it with `./run.sh faceobf prepare`")
    if not (Path(a.data)/'celeba-6k').is_dir(): sys.exit(f"{a.data}: no celeba-6k here; see data/README.md")
    from faceobf.core import markdown_table, environment, write_report
    from faceobf.evaluate.measures import median_distance_between
    from faceobf.generate.obfuscator import Obfuscator
    from faceobf.generate.shipped import load_models
    from faceobf.recognizer import embed_face_near
    models = load_models()
    photos, faces, ids = seeded_photos(a.data, a.cache, 'test', a.photos)

    def spread(embeddings):
        found = np.array([e is not None for e in embeddings])
        e = np.stack([x if x is not None else np.full(128, np.nan) for x in embeddings])
        return median_distance_between(e, ids), float(found.mean())

    base, _ = spread([embed_face_near(p, f[0].box) if f else None for p, f in zip(photos, faces, strict=True)])
    rows, strips = [], []
    for s in a.strengths:
        ob = Obfuscator('unet', models=models, verify=False, exaggeration=s)
        outs = [ob(p, f, exclude_identity=i)[0] if f else p for p, f, i in zip(photos, faces, ids, strict=True)]
        d, found = spread([embed_face_near(o, f[0].box) if f else None for o, f in zip(outs, faces, strict=True)])
        rows.append({'exaggeration': s, 'photos': len(photos), 'found again': f"{found:.1%}", 'identity diversity': f"{d / base:.3f}"})
        strips.append(np.concatenate([o[20:200, 20:158] for o in outs[:10]], 1))
        print(rows[-1], flush=True)
    env = environment()
    page = (f"# Identity diversity against the donors' exaggeration\n\nWritten by `scripts/exaggeration_diversity.py {a.data} --photos {a.photos}` on "
            f"{time.strftime('%Y-%m-%d')}: {len(photos)} `celeba-6k` test photos (seed 0), the shipped models, donor geometry, `paper` attributes, "
            f"unverified; diversity as in `07a_measures` (faces found again). Machine: {env['machine']}; Keras {env['keras']} on {env['backend']}.\n\n"
            f"{markdown_table(rows)}\n")
    write_report(a.report, 'exaggeration', page, dict(rows=rows, environment=env, photos=len(photos)))
    Path(a.figure).parent.mkdir(parents=True, exist_ok=True)
    import PIL.Image
    PIL.Image.fromarray(np.concatenate(strips, 0)).save(a.figure)
    print(page)


if __name__ == '__main__':
    main()
