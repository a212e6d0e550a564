"""Which lever moves identity diversity? Attributes, tone, and choosing among donors.

    .venv/bin/python scripts/diversity_levers.py ../shared/data [--photos 100] [--candidates 4] [--report reports/generation]

Identity diversity (nbs/07a_measures): the median dlib distance between the outputs of different people over the
same for the originals (faces found again; 1 = as varied as people). For `--photos` celeba-6k test photos
(seed 0, as scripts/exaggeration_diversity.py) this obfuscates each face unverified with the shipped models
and donor geometry, and measures diversity for: the default (`paper` attributes, tone kept); `--policy all`
(28 attributes flipped); `--tone drawn`; and choosing, among the first k of `--candidates` drawings (seeds
0..k-1, each its own donor), the one whose dlib embedding lies farthest from the mean embedding of the
default's outputs on 60 *training* photos (the network's "typical face"). The last lever uses the network
that also measures diversity, so it is optimistic by construction, and costs k drawings and k embeddings a
face. Writes diversity_levers.md and .json into --report.
"""
import argparse, sys, time
from pathlib import Path

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data', help='folder holding celeba-6k (e.g. ../shared/data)')
    ap.add_argument('--cache', default='data/cache/celeba-6k', help="celeba-6k's stage-1 cache (faceobf prepare)")
    ap.add_argument('--photos', type=int, default=100)
    ap.add_argument('--candidates', type=int, default=4, help='drawings per face to choose from (the last lever)')
    ap.add_argument('--report', default='reports/generation', help='folder for diversity_levers.md and .json')
    a = ap.parse_args()
    if not (Path(a.cache)/'manifest.json').is_file(): sys.exit(f"{a.cache}: no stage-1 cache; build it with `./run.sh faceobf prepare`")
    if not (Path(a.data)/'celeba-6k').is_dir(): sys.exit(f"{a.data}: no celeba-6k here; see data/README.md")
    from faceobf.core import markdown_table, environment, write_report
    from faceobf.evaluate.measures import median_distance_between
    from faceobf.generate.obfuscator import Obfuscator
    from faceobf.generate.shipped import load_models
    from faceobf.recognizer import embed_face_near
    from exaggeration_diversity import seeded_photos  # this folder's: the same seeded photos
    models = load_models()
    photos, faces, ids = seeded_photos(a.data, a.cache, 'test', a.photos)

    def embed(outs, faces):
        return np.stack([e if (e := (embed_face_near(o, f[0].box) if f else None)) is not None else np.full(128, np.nan) for o, f in zip(outs, faces, strict=True)])

    def drawn(photos, faces, ids, **options):
        ob = Obfuscator('unet', models=models, verify=False, **options)
        return embed([ob(p, f, exclude_identity=i)[0] if f else p for p, f, i in zip(photos, faces, ids, strict=True)], faces)

    median_between = lambda e: median_distance_between(e, ids)
    base = median_between(embed(photos, faces))
    rows = []
    def row(lever, e, drawings):
        rows.append({'lever': lever, 'drawings a face': drawings, 'identity diversity': f"{median_between(e) / base:.3f}"}); print(rows[-1], flush=True)
    t0 = time.perf_counter()
    default = drawn(photos, faces, ids)  # seed 0: also the first candidate below
    row('default (paper attributes, tone kept)', default, 1)
    row('28 attributes flipped (--policy all)', drawn(photos, faces, ids, attributes='all'), 1)
    row("network's colours (--tone drawn)", drawn(photos, faces, ids, tone='drawn'), 1)
    tp, tf, ti = seeded_photos(a.data, a.cache, 'train', 60)
    typical = np.nanmean(drawn(tp, tf, ti), 0)
    candidates = np.stack([default, *(drawn(photos, faces, ids, seed=s) for s in range(1, a.candidates))], 1)  # (photos, k, 128)
    far = np.nan_to_num(np.linalg.norm(candidates - typical, axis=-1), nan=-1)
    for k in range(2, a.candidates + 1):
        chosen = candidates[np.arange(len(photos)), far[:, :k].argmax(1)]
        row(f"farthest from the typical face of {k} (dlib in the loop)", chosen, k)
    env = environment()
    page = (f"# Identity diversity: which lever moves it\n\nWritten by `scripts/diversity_levers.py {a.data} --photos {a.photos} --candidates "
            f"{a.candidates}` on {time.strftime('%Y-%m-%d')}: {len(photos)} `celeba-6k` test photos (seed 0), the shipped models, donor geometry, "
            "unverified; diversity as in `07a_measures` (faces found again, dlib). The typical face: the mean dlib embedding of the "
            "default's outputs on 60 training photos. Choosing by dlib optimises the network that measures diversity: read those rows "
            f"as an upper bound. Machine: {env['machine']}; Keras {env['keras']} on {env['backend']}; {time.perf_counter() - t0:.0f} s.\n\n"
            f"{markdown_table(rows)}\n")
    write_report(a.report, 'diversity_levers', page, dict(rows=rows, environment=env, photos=len(photos)))
    print(page)


if __name__ == '__main__':
    main()
