"""Measure the donor-texture generator against the U-Net default on the same faces, in the photo.

Usage: python scripts/texture_measures.py DATA_ROOT [--faces 60] [--seed 0] [--out reports/generation] [--bank PATH]

On --faces photos of DATA_ROOT/celeba-wild-dev (in-the-wild) and of the test split of DATA_ROOT/celeba-6k,
the largest face of each is replaced twice, through faceobf's Obfuscator with its defaults: by the texture method
(Obfuscator('texture'): an entry of the texture bank on another person's landmarks from the shipped donor bank, the
report's four attributes flipped, verified: up to 4 tries until dlib puts the new face the obfuscator's margin
(MARGIN, 0.75) from the original and 0.6 from every contributor of the entry, else the face is masked) and by the report's U-Net (Obfuscator('unet')).
Writes OUT/texture.md and .json (sharpness inside the face in the photo, dlib distances, Male read as the original's,
identity diversity, SSIM outside the face, seconds per face, the paths taken), the committed figure
OUT/texture_vs_unet_sample.png of the sample photos, and OUT/texture_dev.png (24 in-the-wild faces: original | texture |
unet; CelebA faces, ignored by git)."""
import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

def _choose(paths, n):
    "`n` of `paths` spread evenly over the list."
    paths = list(paths)
    if len(paths) <= n: return paths
    return [paths[int(i)] for i in np.linspace(0, len(paths) - 1, n).round()]


def _zoom(img, face, size=(150, 170)):
    import cv2
    l, t, r, b = face.box; m = int(0.45 * (r - l))
    H, W = img.shape[:2]
    return cv2.resize(img[max(t - m, 0):min(b + m // 2, H), max(l - m // 2, 0):min(r + m // 2, W)], size, interpolation=cv2.INTER_AREA)


def _page(rows, columns, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    per_row = 3 if len(rows) > 4 else 1
    nr = int(np.ceil(len(rows) / per_row))
    fig, axs = plt.subplots(nr, per_row * len(columns), figsize=(1.5 * per_row * len(columns), 1.75 * nr), squeeze=False)
    for ax in axs.ravel(): ax.set_axis_off()
    for k, tiles in enumerate(rows):
        for j, tile in enumerate(tiles):
            ax = axs[k // per_row, (k % per_row) * len(columns) + j]
            ax.imshow(tile)
            if k < per_row: ax.set_title(columns[j], fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data_root', help='folder holding celeba-wild-dev/ and celeba-6k/ (CelebA format)')
    p.add_argument('--faces', type=int, default=60, help='photos per data set (default: %(default)s)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='reports/generation', help='folder of texture.md/.json and the figures (default: %(default)s)')
    p.add_argument('--bank', default=None, help='texture bank (default: the shipped one)')
    args = p.parse_args(argv)
    root = Path(args.data_root)
    sets = {'celeba-wild-dev': root/'celeba-wild-dev', 'celeba-6k test': root/'celeba-6k'}
    missing = [str(d) for d in sets.values() if not d.is_dir()]
    if missing: raise SystemExit(f"texture_measures: no {', '.join(missing)} here; see data/README.md for how to get CelebA")

    from faceobf.core import sample_photos, read_photo, environment, write_report, markdown_table, CROP_SIZE, attribute_index
    from faceobf.dataset import load_celeba
    from faceobf.landmarks import detect_faces, face_embedding, embedding_distance, forget_embeddings, align_face
    from faceobf.attributes import predict_attributes
    from faceobf.evaluate.measures import face_detail, region_ssim, median_distance_between
    from faceobf.generate.shipped import load_models
    from faceobf.generate.methods import obfuscation_region
    from faceobf.generate.obfuscator import Obfuscator
    from faceobf.generate.faceparts import face_height
    from faceobf.generate.bank import load_texture_bank
    from faceobf.generate.texture import read_attributes, GENDER_TRIES, MALE_THRESHOLD

    t_start = time.time()
    bank, models = load_texture_bank(args.bank), load_models()
    methods = {'texture': Obfuscator('texture', models=models, texture_bank=bank, seed=args.seed),
               'unet': Obfuscator('unet', models=models, seed=args.seed)}
    textures = ('texture',)
    TRIES, MARGIN = methods['texture'].tries, methods['texture'].margin
    bank_face = face_height(bank.mean_shape)
    male = attribute_index('Male')
    from faceobf.evaluate.generators import load_judge
    judge = load_judge()[0]  # takes no part in any choice the methods make
    crop_of = lambda img, face: align_face(img, face, CROP_SIZE).crop
    is_male = lambda img, face: bool(read_attributes(models.fac, crop_of(img, face))[1][0, male])  # as the texture method reads a face
    judge_male = lambda img, face: float(predict_attributes(judge, crop_of(img, face)[None])[0, male]) >= 0.5  # the judge, on the crop at 0.5

    def run(photo, face, identity, k):
        row = dict(identity=identity, width=int(face.width), scale=round(face_height(face.landmarks) / bank_face, 2),
                   original=face_embedding(photo, face), male=is_male(photo, face), male_judge=judge_male(photo, face))
        inside = obfuscation_region(photo.shape, face)[0].astype(bool)
        base_detail = face_detail([photo], [face.landmarks])[0]
        images = [photo]
        for name, obf in methods.items():
            forget_embeddings()
            t = time.time(); new, rep = obf(photo, faces=[face], exclude_identity=identity); sec = time.time() - t
            det = rep[0]
            e = face_embedding(new, face)
            row[name] = dict(sharpness=float(face_detail([new], [face.landmarks])[0] / max(base_detail, 1e-9)),
                             distance=embedding_distance(row['original'], e), embedding=e, seconds=sec,
                             ssim_outside=region_ssim(photo, new, ~inside), masked=det.get('method') == 'mask',
                             male_kept=is_male(new, face) == row['male'], male_kept_judge=judge_male(new, face) == row['male_judge'],
                             **{k: v for k, v in det.items() if k in ('entry', 'mirrored', 'path', 'upscaled', 'tries', 'nearest_contributor',
                                                                      'nearest_part', 'notes', 'forehead', 'fallback', 'unmet')})
            images.append(new)
        return row, images

    results, dev_tiles = {}, []
    for set_name, folder in sets.items():
        index = load_celeba(folder)
        rows = np.flatnonzero(index.split == 2) if set_name.endswith('test') else np.arange(len(index))
        out, k = [], 0
        for r in _choose(rows, 3 * args.faces):
            if len(out) >= args.faces: break
            photo = read_photo(index.image_dir/str(index.files[r]))
            faces = detect_faces(photo)
            if not faces: continue
            row, images = run(photo, faces[0], int(index.identity[r]), k)
            row['file'] = str(index.files[r]); out.append(row); k += 1
            if set_name == 'celeba-wild-dev' and len(dev_tiles) < 24:
                dev_tiles.append([_zoom(im, faces[0]) for im in images])
            print(f"  {set_name} {len(out)}/{args.faces} {row['file']}: texture sharpness {row['texture']['sharpness']:.2f} "
                  f"distance {row['texture']['distance']:.2f}; unet {row['unet']['sharpness']:.2f}", file=sys.stderr)
        results[set_name] = out

    # the sample photos: a committed figure
    sample_tiles = []
    for k, (name, photo) in enumerate(sample_photos().items()):
        face = detect_faces(photo)[0]
        row, images = run(photo, face, None, 1000 + k)
        sample_tiles.append([_zoom(im, face, (300, 340)) for im in images])
        results.setdefault('sample photos', []).append(dict(row, file=name))

    def summary(rows, name):
        get = lambda key: np.array([r[name][key] for r in rows if r[name].get(key) is not None], float)
        emb = np.array([r[name]['embedding'] for r in rows]); ids = [r['identity'] for r in rows]
        orig = median_distance_between(np.array([r['original'] for r in rows]), ids)
        sharp = get('sharpness'); large = np.array([r['scale'] > 1.3 for r in rows])
        masked = [bool(r[name].get('masked')) for r in rows]
        s = dict(faces=len(rows), sharpness_median=float(np.median(sharp)), sharpness_share_05=float((sharp >= 0.5).mean()),
                 sharpness_median_up_to_1_3=float(np.median(sharp[~large])) if (~large).any() else None,
                 sharpness_median_larger=float(np.median(sharp[large])) if large.any() else None,
                 distance_median=float(np.median(get('distance'))), distance_below_06=float((get('distance') < 0.6).mean()),
                 diversity=float(median_distance_between(emb, ids) / orig) if len(set(ids)) > 1 else None,
                 ssim_outside=float(np.nanmean(get('ssim_outside'))), seconds=float(np.mean(get('seconds'))), masked=int(sum(masked)),
                 male_kept=float(np.mean([r[name]['male_kept'] for r in rows])),
                 male_kept_judge=float(np.mean([r[name]['male_kept_judge'] for r in rows])),
                 readers_agree=float(np.mean([r['male'] == r['male_judge'] for r in rows])),  # on the original: the method's reading and the judge's
                 male_kept_judge_where_agree=float(np.mean([r[name]['male_kept_judge'] for r in rows if r['male'] == r['male_judge']] or [np.nan])))
        if name.startswith('texture'):
            c = np.array([r[name]['nearest_contributor'] for r in rows if not r[name]['masked'] and r[name].get('nearest_contributor') is not None], float)
            s.update(nearest_contributor_min=float(c.min()) if len(c) else None, nearest_contributor_median=float(np.median(c)) if len(c) else None,
                     paths=dict(Counter(('masked: ' + (r['texture'].get('fallback') or '')[:40] if r['texture'].get('masked') else r['texture']['path'])
                                        for r in rows)),
                     tries=dict(Counter(int(r['texture'].get('tries', 0)) for r in rows)),
                     glasses=int(sum(bool(r['texture'].get('notes')) and any('glasses' in n for n in r['texture']['notes']) for r in rows)),
                     bangs=int(sum(r['texture'].get('forehead') == 'kept (bangs)' for r in rows)))
        return s

    table, data = [], dict(command='python scripts/texture_measures.py ' + ' '.join(argv if argv is not None else sys.argv[1:]),
                           faces=args.faces, seed=args.seed, bank=repr(bank), environment=environment(), sets={})
    for set_name, rows in results.items():
        if set_name == 'sample photos': continue
        data['sets'][set_name] = {m: summary(rows, m) for m in (*textures, 'unet')}
        for m in (*textures, 'unet'):
            s = data['sets'][set_name][m]
            table.append({'data': set_name, 'method': m, 'faces': s['faces'], 'sharpness (median)': f"{s['sharpness_median']:.2f}",
                          'share >= 0.5': f"{s['sharpness_share_05']:.0%}",
                          'sharpness, face <= 1.3x bank / larger': f"{s['sharpness_median_up_to_1_3'] or float('nan'):.2f} / {s['sharpness_median_larger'] or float('nan'):.2f}",
                          'dlib distance from original (median)': f"{s['distance_median']:.2f}",
                          'under 0.6': f"{s['distance_below_06']:.0%}",
                          'nearest contributor (min)': f"{s['nearest_contributor_min']:.2f}" if m != 'unet' and s['nearest_contributor_min'] is not None else '-',
                          'identity diversity': f"{s['diversity']:.2f}" if s['diversity'] is not None else '-',
                          'Male read as original': f"{s['male_kept']:.0%}", 'the same by the judge': f"{s['male_kept_judge']:.0%}",
                          'the two read the original alike': f"{s['readers_agree']:.0%}", 'by the judge, there': f"{s['male_kept_judge_where_agree']:.0%}",
                          'SSIM outside face': f"{s['ssim_outside']:.3f}", 's / face': f"{s['seconds']:.2f}", 'masked': s['masked']})
    data['per_face'] = {k: [{kk: vv for kk, vv in r.items() if kk != 'original'} for r in rows] for k, rows in results.items()}
    for rows in data['per_face'].values():
        for r in rows:
            for m in (*textures, 'unet'): r[m] = {k: v for k, v in r[m].items() if k != 'embedding'}
    paths = '; '.join(f"{k}: " + ', '.join(f'{p} {n}' for p, n in v['texture']['paths'].items()) for k, v in data['sets'].items())
    md = f"""# The donor-texture generator against the U-Net, in the photo

{markdown_table(table)}

sharpness: variance of the Laplacian inside the original landmarks' hull in the output photo over the original's
(`faceobf.evaluate.measures.face_detail`), median over faces; face <= 1.3x bank / larger: the same for faces up to 1.3 times
the bank's resolution (face height over the bank's mean face height, {bank_face:.0f} px) and for larger ones.
dlib distance from original: the new face embedded at the original landmarks. nearest contributor: the new face
embedded at its own landmarks, against the photos of the people its entry was made of (>= 0.6 is required), over
the faces not masked. Male read as original: the shipped attribute classifier on the new face aligned at the original
landmarks reads Male as it reads the original, both read as the texture method reads them (the mean of the crop and its
mirror, a man's from {MALE_THRESHOLD}; texture draws another entry until it does: its gender check); the same by
the judge: the independent classifier of `nbs/07d_generators.ipynb`, which takes no part in any choice. The two read
the original alike: the share of originals whose gender the judge reads as the method does; where they differ, a new face
drawn with the gender the method read is read by the judge as changed, so that share is about as far as a generator that
keeps the gender can score by the judge. by the judge, there: Male kept by the judge on those originals only.
identity diversity: median dlib distance between the outputs of different people over the same for the originals.
SSIM outside face: outside the face ellipse (grown 1.05), against the original. s / face: `Obfuscator` on one
detected face (alignment, attributes, geometry, drawing, verification), detection excluded. masked: faces no try
got far enough from the original and from the contributors (texture), or from the original (U-Net).

texture: `Obfuscator('texture')` with its defaults (donor geometry from the shipped donor bank, exaggerated and fitted; the
report's four attributes flipped, `paper`, read by the shipped attribute classifier; the gender check, up to {GENDER_TRIES} entries a try; {TRIES} tries, stop at {MARGIN}, verified against
the original and against the entry's contributors); entries made with the face's own person are left out (exclude_identity).
unet: `Obfuscator('unet')` with the shipped models (its own verification). Paths taken (texture): {paths}.
Bank: {bank!r}. {args.faces} photos per set spread over the folder (celeba-6k: test split), the largest face of each; seed {args.seed}.

Command: `{data['command']}`. Machine: {data['environment'].get('machine')}; {time.time() - t_start:.0f} s in all.
"""
    columns = ['original', *textures, 'unet']
    figs = {'texture_vs_unet_sample.png': _page(sample_tiles, columns, 'sample photos: texture (the default) and the U-Net, verified')}
    dev = _page(dev_tiles, columns, 'celeba-wild-dev (CelebA: not for git)')
    written = write_report(args.out, 'texture', md, data, figures=figs)
    write_report(args.out, 'texture_dev', figures={'texture_dev.png': dev})
    print('\n'.join(map(str, written)), file=sys.stderr)
    print(markdown_table(table))


if __name__ == '__main__':
    main()
