"""Faces that wear glasses, drawn by the default method: a page to look at and one number, how much of the new face
around the eyes is left dark.

Usage: python scripts/glasses_page.py DATA_ROOT [--faces 16] [--out reports/generation]

Goes through DATA_ROOT/celeba-wild-dev in order and keeps the first --faces photos whose largest face the shipped
classifier reads as wearing glasses (`Eyeglasses`, crop and mirror, from 0.5: sunglasses and clear glasses alike). Each
is protected as `faceobf obfuscate` would (Obfuscator('texture'), verified, seed 0). The measure, `dark around the
eyes`: the share of the skin around the eyes (the face's hull above the nose tip, eyes, brows and their rims left out,
at the original's landmarks) that is 25 L* or more darker than the median of the skin below the nose tip. Dark lenses
score high on the originals; on a drawn face, a high share is the lenses' shadow left behind. Writes OUT/glasses.md and
.json, and OUT/glasses_dev.png (original | drawn; CelebA faces, ignored by git)."""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DARKER = 25.0  # L* below the lower face's skin that counts as dark


def dark_around_eyes(img, landmarks) -> float:
    "Share of the skin around the eyes of the face at `landmarks` in `img` that is `DARKER` L* below the skin under the nose tip (nan when either is empty)."
    from faceobf.generate.faceparts import to_lab, feature_mask, skin_mask, above_nose_tip
    from faceobf.masking import hull_mask
    lm = np.asarray(landmarks, np.float64)
    L = to_lab(img)[..., 0]
    height = above_nose_tip(L.shape, lm)
    band = hull_mask(L.shape, lm) & (height > 0) & ~feature_mask(L.shape, lm, 0.1)
    low = skin_mask(L.shape, lm) & (height < 0)
    if not band.any() or not low.any(): return float('nan')
    return float((L[band] < np.median(L[low]) - DARKER).mean())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data_root', help='folder holding celeba-wild-dev/ (CelebA format)')
    p.add_argument('--faces', type=int, default=16, help='faces that wear glasses (default: %(default)s)')
    p.add_argument('--out', default=str(REPO/'reports'/'generation'))
    args = p.parse_args(argv)
    from faceobf.core import read_photo, attribute_index, environment, write_table
    from faceobf.dataset import load_celeba
    from faceobf.landmarks import detect_faces, align_face
    from faceobf.generate.obfuscator import Obfuscator
    from faceobf.generate.shipped import load_models
    from faceobf.generate.texture import read_attributes
    sys.path.insert(0, str(REPO/'scripts'))
    from texture_measures import _zoom, _page
    root = Path(args.data_root)/'celeba-wild-dev'
    if not root.is_dir(): raise SystemExit(f'glasses_page: no celeba-wild-dev in {args.data_root}; see data/README.md')
    idx, models, t0 = load_celeba(root), load_models(), time.time()
    obf = Obfuscator('texture', models=models, seed=0)
    glasses, rows, tiles = attribute_index('Eyeglasses'), [], []
    for r in range(len(idx.files)):
        if len(rows) >= args.faces: break
        photo = read_photo(idx.image_dir/str(idx.files[r]))
        found = detect_faces(photo)
        if not found: continue
        face = found[0]
        if read_attributes(models.fac, align_face(photo, face).crop)[0][0, glasses] < 0.5: continue
        new, report = obf(photo, faces=[face], exclude_identity=int(idx.identity[r]))
        rows.append(dict(photo=str(idx.files[r]), path=report[0].get('path'), original=round(dark_around_eyes(photo, face.landmarks), 3),
                         drawn=round(dark_around_eyes(new, face.landmarks), 3)))
        tiles.append([_zoom(photo, face), _zoom(new, face)])
    drawn = np.array([r['drawn'] for r in rows], float)
    env = environment()
    summary = dict(faces=len(rows), original_mean=round(float(np.nanmean([r['original'] for r in rows])), 3), drawn_mean=round(float(np.nanmean(drawn)), 3),
                   drawn_over_0_1=int((drawn > 0.1).sum()), seconds=round(time.time() - t0))
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    table = [{'photo': r['photo'], 'path': r['path'], 'dark around the eyes, original': f"{r['original']:.2f}", 'drawn': f"{r['drawn']:.2f}"} for r in rows]
    table.append({'photo': 'mean', 'path': '', 'dark around the eyes, original': f"{summary['original_mean']:.2f}", 'drawn': f"{summary['drawn_mean']:.2f}"})
    note = (f"The first {len(rows)} `celeba-wild-dev` faces the shipped classifier reads as wearing glasses, protected by `Obfuscator('texture')` "
            f"(verified, seed 0). dark around the eyes: share of the skin around the eyes {DARKER:g} L* or more below the skin under the nose tip, "
            f"at the original's landmarks; {summary['drawn_over_0_1']} drawn faces above 0.1. Command: `python scripts/glasses_page.py DATA_ROOT "
            f"--faces {args.faces}`. Machine: {env['machine']}; {summary['seconds']} s. The page of the faces, `glasses_dev.png`, stays on the machine that drew it (CelebA).")
    write_table(table, out, 'glasses', 'Faces that wear glasses: how much dark the lenses leave around the new eyes', note)
    (out/'glasses.json').write_text(json.dumps(dict(summary=summary, rows=rows, environment=env), indent=1, default=str) + '\n')
    if tiles:
        fig = _page(tiles, ['original', 'texture'], 'celeba-wild-dev faces read as wearing glasses')
        fig.savefig(out/'glasses_dev.png', dpi=110)
    print(f"wrote {out}/glasses.md: dark around the eyes {summary['original_mean']:.3f} (original) -> {summary['drawn_mean']:.3f} (drawn)", file=sys.stderr)


if __name__ == '__main__':
    main()
