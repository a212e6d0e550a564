"""Is the search for the regenerated face worth its cost in the verification?

    .venv/bin/python scripts/verification_search.py ../shared/data [--photos 60] [--report reports/generation]

`Regenerate` verifies each try with dlib's distance at the face's own place (`identity_distance`); with
`search=True` (`faceobf obfuscate --verify-search`) it also detects the new face near that place and keeps the
smaller distance, the view of an attacker who detects faces. For the first `--photos` photos of celeba-wild-dev
and of celeba-6k's test split this script runs the default obfuscator with a verifier that computes both
distances for every try (the search result decides, so the outputs are those of `--verify-search`), and
counts the tries that the place check alone would have passed (distance >= the margin, 0.7) although the
face, found again, was closer than dlib's threshold (0.6) or than the margin. Then it times the default
(place only) against `search=True`, each with an empty embedding cache, in one process. Writes
verification_search.md and .json into --report.
"""
import argparse, sys, time
from pathlib import Path

import numpy as np

SETS = [('celeba-wild-dev', 'img_celeba', None), ('celeba-6k', 'img_align_celeba', 'test')]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data', help='folder holding celeba-wild-dev and celeba-6k (e.g. ../shared/data)')
    ap.add_argument('--photos', type=int, default=60, help='photos of each set')
    ap.add_argument('--report', default='reports/generation', help='folder for verification_search.md and .json')
    a = ap.parse_args()
    data = Path(a.data)
    missing = [name for name, _, _ in SETS if not (data/name).is_dir()]
    if missing: sys.exit(f"{data}: no {', '.join(missing)} here; see data/README.md for the development sets")
    from faceobf.core import read_photo, markdown_table, environment, write_report
    from faceobf.dataset import load_celeba, SPLITS
    from faceobf.generate.obfuscator import Obfuscator, identity_distance
    from faceobf.generate.shipped import load_models
    from faceobf.landmarks import face_embedding, embedding_distance, forget_embeddings, MATCH_THRESHOLD
    models, margin = load_models(), 0.7
    rows, per_set = [], {}
    for name, images, split in SETS:
        ix = load_celeba(data/name, images)
        files = ix.files if split is None else ix.files[ix.split == SPLITS[split]]
        photos = [read_photo(ix.image_dir/f) for f in files[:a.photos]]
        tries = []  # (distance at the place, distance with the search)

        def both(photo, new, face, reference=None, tries=tries, **_):
            place = embedding_distance(reference, face_embedding(new, face))
            found = identity_distance(photo, new, face, reference=reference, search=True)
            tries.append((place, found))
            return found
        recorder = Obfuscator('unet', models=models, margin=margin, distance=both)
        for ph in photos: recorder(ph)
        d = np.array(tries).reshape(-1, 2)
        passed = d[:, 0] >= margin
        speed = {}
        for label, search in (('place only (default)', False), ('with the search', True)):
            ob = Obfuscator('unet', models=models, margin=margin, search=search)
            ob(photos[0])  # warm: the first call builds the network's graph
            forget_embeddings()
            t = time.perf_counter(); outs = [ob(ph) for ph in photos]; dt = time.perf_counter() - t
            speed[label] = len(photos) / dt
            faces = [f for _, rep in outs for f in rep]
            rows.append({'data': name + (f'/{split}' if split else ''), 'verification': label, 'photos': len(photos), 'faces': len(faces),
                         'retried': sum(f.get('tries', 1) > 1 for f in faces), 'masked': sum(f['method'] == 'mask' for f in faces),
                         'photos/s': f"{speed[label]:.2f}"})
        rows[-2]['photos/s'] += f" ({speed['place only (default)'] / speed['with the search']:.2f} x the search)"
        per_set[name] = dict(tries=len(d), passed_at_place=int(passed.sum()),
                             passed_but_found_under_threshold=int((passed & (d[:, 1] < MATCH_THRESHOLD)).sum()),
                             passed_but_found_under_margin=int((passed & (d[:, 1] < margin)).sum()),
                             min_found_when_passed=float(d[passed, 1].min()) if passed.any() else None,
                             median_place=float(np.median(d[:, 0])), median_found=float(np.median(d[:, 1])), speed=speed)
    env = environment()
    summary = [{'data': k, 'tries': v['tries'], 'passed at the place (>= 0.7)': v['passed_at_place'],
                'of those, found again under 0.6': v['passed_but_found_under_threshold'],
                'found again under 0.7': v['passed_but_found_under_margin'],
                'smallest distance found again': f"{v['min_found_when_passed']:.3f}" if v['min_found_when_passed'] is not None else '-',
                'median distance, place / found': f"{v['median_place']:.3f} / {v['median_found']:.3f}"} for k, v in per_set.items()]
    page = (f"# Verification: the place alone, or the face found again too\n\nWritten by `scripts/verification_search.py {a.data} --photos {a.photos}` "
            f"on {time.strftime('%Y-%m-%d')}: the shipped models, donor geometry, `paper` attributes, margin {margin}. Machine: {env['machine']}; "
            f"Keras {env['keras']} on {env['backend']}.\n\nEvery try of the default obfuscator, verified both ways (the tries of `--verify-search`):\n\n"
            f"{markdown_table(summary)}\n\nSpeed, one process, obfuscation only (models loaded, an empty embedding cache):\n\n{markdown_table(rows)}\n")
    write_report(a.report, 'verification_search', page, dict(per_set=per_set, rows=rows, photos=a.photos, margin=margin, environment=env))
    print(page)


if __name__ == '__main__':
    main()
