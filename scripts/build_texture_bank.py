"""Build the face-texture bank that the `texture` method draws from (faceobf/models/texture/).

Usage: python scripts/build_texture_bank.py DATA_ROOT --out faceobf/models/texture/ [--entries 700] [--seed 0] [--workers 1]

From the training split of DATA_ROOT/celeba-6k (aligned CelebA photos): every face is detected, given 68
landmarks and a dlib embedding, and put into the canonical 128x128 frame. Faces with glasses, a hat, bangs or
blur are left out (a bearded man's face is judged above his beard; --no-beards leaves such men out). Each
entry is composed of four parts of four different people of the same gender and age group (skin and outline,
eyes with brows, nose, mouth), turned alike and of similar skin tone, warped onto their mean shape and blended
band by band; it is drawn into its base person's photo and kept only when dlib puts it 0.6 or more from every
photo of every contributor. Base faces are drawn evenly over gender x turn x mouth x skin tone as far as the
data allows. Writes texture.npz and its card texture.json (licence, data, counts, and per entry the
contributors' file names and distances)."""
import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

import numpy as np


def _faces_of(image_dir):
    "A worker's function: detect the largest face of an aligned photo, its landmarks and dlib embedding."
    from faceobf.core import read_photo, PhotoError
    from faceobf.landmarks import detect_faces, face_embedding, STAGE1_DETECTOR

    def one(name):
        try: img = read_photo(Path(image_dir)/name)
        except PhotoError: return None
        faces = detect_faces(img, STAGE1_DETECTOR)
        if not faces: return None
        return faces[0].landmarks, face_embedding(img, faces[0])
    return one


class _Maker:  # picklable for core.process_map's spawned workers
    def __init__(self, image_dir): self.image_dir = str(image_dir)
    def __call__(self): return _faces_of(self.image_dir)


def detect_all(index, rows, workers, cache=None):
    "`(kept rows, landmarks, embeddings)` for the images at `rows` of a CelebA index (read from `cache` when it matches)."
    from faceobf.core import process_map
    names = [str(index.files[r]) for r in rows]
    digest = hashlib.sha256('\n'.join(names).encode()).hexdigest()[:16]
    if cache and Path(cache).is_file():
        with np.load(cache) as z:
            if str(z['digest']) == digest: return z['rows'], z['landmarks'], z['embeddings']
    kept, lms, embs, t = [], [], [], time.time()
    for k, (r, res) in enumerate(zip(rows, process_map(_Maker(index.image_dir), [(n,) for n in names], workers, chunksize=16), strict=True)):
        if res is not None: kept.append(r); lms.append(res[0]); embs.append(res[1])
        if (k + 1) % 500 == 0: print(f'  {k + 1}/{len(rows)} photos, {time.time() - t:.0f} s', file=sys.stderr)
    out = np.array(kept), np.array(lms, np.float32), np.array(embs, np.float32)
    if cache:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, digest=digest, rows=out[0], landmarks=out[1], embeddings=out[2])
    return out


class _Composer:
    "A worker's function (built once per process): compose one entry from a base face and four part donors, and check it."
    def __init__(self, image_dir, files, landmarks, embeddings, identity, mean_shape, triangles, quality, bearded):
        self.args = (str(image_dir), files, landmarks, embeddings, identity, mean_shape, triangles, quality, bearded)

    def __call__(self):
        import cv2
        from faceobf.core import read_photo
        from faceobf.landmarks import Face, face_embedding, transform_points, MATCH_THRESHOLD
        from faceobf.generate.faceparts import PARTS, canonical_face, compose_entry, skin_share
        from faceobf.generate.texture import draw_entry
        image_dir, files, lms, embs, ident, mean_shape, triangles, quality, bearded = self.args
        person_photos = {i: np.flatnonzero(ident == i) for i in set(ident.tolist())}

        def compose(contributors):
            photos = [read_photo(Path(image_dir)/files[k]) for k in contributors]
            canon = [canonical_face(img, lms[k], mean_shape) for img, k in zip(photos, contributors, strict=True)]
            entry, shape = compose_entry(canon[0][:2], [(*c[:2], part) for c, part in zip(canon[1:], PARTS[1:], strict=True)], triangles)
            jpeg = cv2.imencode('.jpg', np.ascontiguousarray(entry[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])[1].ravel()
            entry = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[..., ::-1]  # checked as it is shipped
            if skin_share(entry, shape, beard=bool(bearded[contributors[0]])) < 0.93: return 'hair, a hand or a patch in the face (skin_share < 0.93)'
            # checked as it is used: drawn into its base person's photo, embedded there
            target = transform_points(cv2.invertAffineTransform(canon[0][2]), shape).astype(np.float32)
            base = photos[0]
            drawn, _, soft, _ = draw_entry(base, lms[contributors[0]], target, entry, shape, triangles)
            pasted = (base * (1 - soft[..., None]) + drawn * soft[..., None]).round().astype(np.uint8)
            e = face_embedding(pasted, Face(tuple(int(v) for v in (*target.min(0), *target.max(0))), 1.0, target))
            d = np.linalg.norm(embs[contributors] - e, axis=1)
            dp = np.array([np.linalg.norm(embs[person_photos[ident[k]]] - e, axis=1).min() for k in contributors])
            if d.min() < MATCH_THRESHOLD: return 'matches a contributing photo'
            if dp.min() < MATCH_THRESHOLD: return 'matches another photo of a contributor'
            return dict(image=entry, jpeg=jpeg, shape=shape, d=d, dp=dp)
        return compose


def canonical_frame_shape(landmarks, size):
    "The bank's mean shape: the mean of the aligned photos' landmarks, centred across the frame with the chin 12 pixels above its bottom."
    shape = np.asarray(landmarks, np.float64).mean(0)
    shape += [size / 2 - (shape[0, 0] + shape[16, 0]) / 2, size - 12 - shape[8, 1]]
    return shape.astype(np.float32)


def yaw_bin(y): return int(np.digitize(y, [-0.15, -0.05, 0.05, 0.15]))
def tone_bin(L): return int(np.digitize(L, [50, 65]))
def mouth_bin(m): return int(np.digitize(m, [0.03, 0.08]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data_root', help='folder of CelebA data sets; its celeba-6k/ (aligned photos, official annotation files) is used')
    p.add_argument('--out', required=True, help='folder of the bank: texture.npz and its card texture.json go there')
    p.add_argument('--entries', type=int, default=700, help='entries to keep (default: %(default)s)')
    p.add_argument('--candidates', type=int, default=6000, help='at most this many composites tried (default: %(default)s)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--quality', type=int, default=90, help='JPEG quality of the stored entries (default: %(default)s)')
    p.add_argument('--workers', type=int, default=1, help='processes for detection and composition (default: %(default)s)')
    p.add_argument('--faces-cache', default=None, help='keep detected landmarks and embeddings in this .npz to reuse them')
    p.add_argument('--base-uses', type=int, default=5, help='each face is the base of at most this many composites (default: %(default)s)')
    p.add_argument('--no-beards', dest='beards', action='store_false',
                   help="leave bearded men out (by default a bearded man's skin is measured above his beard, so that he can contribute; "
                        "the shipped bank holds 315 men's entries of 700, the one built without them and with --base-uses 3 held 47 of 238)")
    args = p.parse_args(argv)

    from faceobf.core import read_photo, environment, attribute_index, ProcessPool
    from faceobf.dataset import load_celeba
    from faceobf.landmarks import MATCH_THRESHOLD
    from faceobf.generate.faceparts import (TEXTURE_FRAME, PARTS, PART_ATTRIBUTES, OCCLUDERS, canonical_face, skin_share,
                                            delaunay_triangles, skin_mask, texture_pose, to_lab, warp_points)
    from faceobf.generate.bank import TextureBank
    from faceobf.training import MODEL_LICENCE

    root = Path(args.data_root)/'celeba-6k'
    try: index = load_celeba(root)
    except (FileNotFoundError, ValueError) as e: raise SystemExit(f'build_texture_bank: {e}') from None
    train = np.flatnonzero(index.split == 0)
    if not len(train): raise SystemExit(f'build_texture_bank: no training-split image in {index.image_dir}; see data/README.md')
    ai = attribute_index
    t0 = time.time()
    print(f'{index}: detecting faces in {len(train):,} training photos', file=sys.stderr)
    rows, lms, embs = detect_all(index, train, args.workers, args.faces_cache)
    attrs, ident = index.attrs[rows], index.identity[rows]
    clean = (attrs[:, [ai(a) for a in OCCLUDERS + ('Blurry',)]] == 0).all(1)
    bearded = (attrs[:, ai('Male')] == 1) & (attrs[:, ai('No_Beard')] == 0) & args.beards  # their skin counted above the beard (unless --no-beards)
    pool = np.flatnonzero(clean)
    print(f'{len(rows):,} faces found; {len(pool):,} without glasses, hat, bangs or blur ({len(set(ident[pool]))} people)', file=sys.stderr)

    size = TEXTURE_FRAME
    mean_shape = canonical_frame_shape(lms[pool], size)
    triangles = delaunay_triangles(warp_points(mean_shape))
    pose = np.array([texture_pose(l) for l in lms])
    tone, share = np.zeros((len(rows), 3), np.float32), np.zeros(len(rows), np.float32)
    for k in pool:
        img, lm, _ = canonical_face(read_photo(index.image_dir/str(index.files[rows[k]])), lms[k], mean_shape, size)
        tone[k], share[k] = to_lab(img)[skin_mask(img.shape, lm)].mean(0), skin_share(img, lm, beard=bool(bearded[k]))
    covered = pool[share[pool] < 0.9]  # a hand, a microphone, hair across the face: no part of it is used
    pool = pool[share[pool] >= 0.9]
    print(f'canonical frame {size}x{size}; {len(triangles)} triangles; {len(covered)} faces partly covered left out; '
          f'{time.time() - t0:.0f} s so far', file=sys.stderr)

    # strata of base faces: gender x turn x mouth x tone
    stratum = {k: (int(attrs[k, ai('Male')]), yaw_bin(pose[k, 0]), mouth_bin(pose[k, 2]), tone_bin(tone[k, 0])) for k in pool}
    bases = {}
    for k, s in stratum.items(): bases.setdefault(s, []).append(k)
    rng = np.random.default_rng(args.seed)
    kept_by, uses_base, uses_part = Counter(), Counter(), Counter()
    exhausted, rejected = set(), Counter()
    entries, tried, t1 = [], 0, time.time()

    def donors_for(c, relaxed=False):
        "Four part donors for base face `c`, alike in gender, age, turn and tone (`relaxed`: wider turn and tone, any age), or None."
        yaw, tone_gap = (0.09, [12, 7, 7]) if relaxed else (0.06, [8, 5, 5])
        same = ((attrs[pool, ai('Male')] == attrs[c, ai('Male')]) & (np.abs(pose[pool, 0] - pose[c, 0]) < yaw)
                & (np.abs(tone[pool] - tone[c]) < tone_gap).all(1))
        if not relaxed: same &= attrs[pool, ai('Young')] == attrs[c, ai('Young')]
        chosen, people = [], {ident[c]}
        for part in PARTS[1:]:
            ok = same & ~np.isin(ident[pool], list(people)) & (np.array([uses_part[k] for k in pool]) < (16 if relaxed else 8))
            if part == 'eyes' and not attrs[c, ai('Male')]: ok &= attrs[pool, ai('Heavy_Makeup')] == attrs[c, ai('Heavy_Makeup')]
            if part == 'mouth':
                ok &= (np.abs(pose[pool, 2] - pose[c, 2]) < 0.025) & (attrs[pool, ai('No_Beard')] == attrs[c, ai('No_Beard')])
                ok &= attrs[pool, ai('Mustache')] == attrs[c, ai('Mustache')]
                if not attrs[c, ai('Male')]: ok &= attrs[pool, ai('Wearing_Lipstick')] == attrs[c, ai('Wearing_Lipstick')]
            if not ok.any(): return None if relaxed else donors_for(c, relaxed=True)
            k = int(rng.choice(pool[ok])); chosen.append(k); people.add(ident[k])
        return chosen

    def next_specs(n):
        "Up to `n` (stratum, contributors) to try: bases from the stratum with the fewest entries so far."
        specs = []
        while len(specs) < n and tried + len(specs) < args.candidates:
            open_strata = [s for s in bases if s not in exhausted]
            if not open_strata: break
            s = min(open_strata, key=lambda s: (kept_by[s] + sum(x[0] == s for x in specs), rng.random()))
            avail = [k for k in bases[s] if uses_base[k] < args.base_uses]  # each face is the base of a few tries at most
            if not avail: exhausted.add(s); continue
            c = int(rng.choice(avail)); uses_base[c] += 1
            parts = donors_for(c)
            if parts is None: rejected['no donors alike'] += 1; continue
            for k in parts: uses_part[k] += 1  # given back if the entry fails
            specs.append((s, [c] + parts))
        return specs

    composer = _Composer(index.image_dir, [str(f) for f in index.files[rows]], lms, embs, ident, mean_shape, triangles, args.quality, bearded)
    with ProcessPool(composer, args.workers) if args.workers > 1 else nullcontext() as workers:
        compose = composer() if args.workers <= 1 else None
        while len(entries) < args.entries and tried < args.candidates:
            specs = next_specs(8 * max(args.workers, 1))
            if not specs: break
            results = workers.map([(c,) for _, c in specs]) if compose is None else (compose(c) for _, c in specs)
            for (s, contributors), res in zip(specs, results, strict=True):
                tried += 1
                if isinstance(res, str) or len(entries) >= args.entries:
                    for k in contributors[1:]: uses_part[k] -= 1
                    if isinstance(res, str): rejected[res] += 1
                    continue
                kept_by[s] += 1
                c, parts = contributors[0], contributors[1:]
                a = attrs[c].copy()
                for k, part in zip(parts, PARTS[1:], strict=True):
                    for name in PART_ATTRIBUTES[part]: a[ai(name)] = attrs[k, ai(name)]
                entries.append(dict(res, contributors=contributors, attrs=a, stratum=s,
                                    occluders=attrs[contributors][:, [ai(o) for o in OCCLUDERS]].max(0)))
                if len(entries) % 50 == 0:
                    print(f'  {len(entries)} entries kept of {tried} composed ({time.time() - t1:.0f} s)', file=sys.stderr)
    if not entries: raise SystemExit('build_texture_bank: no composite passed the check; is the data set complete?')

    used = sorted({k for e in entries for k in e['contributors']})
    where = {k: j for j, k in enumerate(used)}
    blobs, decoded = [e['jpeg'] for e in entries], [e['image'] for e in entries]
    bank = TextureBank(
        jpeg=np.concatenate(blobs), offsets=np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64),
        landmarks=np.array([e['shape'] for e in entries], np.float32), pose=np.array([texture_pose(e['shape']) for e in entries], np.float32),
        tone=np.array([to_lab(im)[skin_mask(im.shape, e['shape'])].mean(0) for im, e in zip(decoded, entries, strict=True)], np.float32),
        attributes=np.array([e['attrs'] for e in entries], np.uint8), occluders=np.array([e['occluders'] for e in entries], np.uint8),
        contributors=np.array([[where[k] for k in e['contributors']] for e in entries], np.int32),
        distances=np.array([e['d'] for e in entries], np.float32), person_distances=np.array([e['dp'] for e in entries], np.float32),
        files=np.array([str(index.files[rows[k]]) for k in used]), identity=ident[used].astype(np.int32),
        embeddings=embs[used].astype(np.float32), mean_shape=mean_shape, triangles=triangles)
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    bank.save(out/'texture.npz')

    count = lambda key: dict(sorted(Counter(key(e) for e in entries).items()))
    male = sum(int(e['attrs'][ai('Male')]) for e in entries)
    card = dict(
        kind='face-texture bank: entries composed of four parts of four different people, in a canonical 68-point frame',
        licence=MODEL_LICENCE + '. The entries are made of CelebA photos: CelebA is released for non-commercial research '
                'and educational use only; the 68 landmarks come from dlib\'s model trained on iBUG 300-W, which forbids commercial use.',
        data=dict(name='celeba-6k', split='train', images=int(len(train)), faces=int(len(rows)), pool=int(len(pool)),
                  people=int(len(set(ident[pool].tolist()))),
                  left_out=f'Eyeglasses, Wearing_Hat, Bangs or Blurry in CelebA\'s annotations; {len(covered)} more with under 90% of the face skin-coloured'
                           + (' (for men with a beard, CelebA\'s No_Beard = 0: of the face above the beard)' if args.beards else ''),
                  files_digest=hashlib.sha256('\n'.join(map(str, index.files[rows])).encode()).hexdigest()[:16]),
        frame=dict(size=size, note='128x128 pixels; the mean shape of the aligned photos, chin 12 pixels above the bottom'),
        parts=list(PARTS), part_attributes=PART_ATTRIBUTES,
        rule=(f'every contributor a different person of the base\'s gender, with its Young value, yaw within 0.06 and skin tone (CIELAB) within '
              f'(8, 5, 5) of the base (where no such donors are left: any age, yaw within 0.09, tone within (12, 7, 7)); eyes of women '
              f'with the base\'s Heavy_Makeup, mouth with its No_Beard and Mustache (and Wearing_Lipstick for women) and an opening '
              f'within 0.025; kept when dlib\'s distance from the entry, drawn into its base person\'s photo, to every contributor\'s '
              f'photo and to every photo of each contributor in the data is >= {MATCH_THRESHOLD}'),
        counts=dict(entries=len(entries), composed=tried, kept_share=round(len(entries) / tried, 3), rejected=dict(rejected),
                    women=len(entries) - male, men=male,
                    by_yaw=count(lambda e: ['< -0.15', '-0.15..-0.05', '-0.05..0.05', '0.05..0.15', '> 0.15'][e['stratum'][1]]),
                    by_mouth=count(lambda e: ['closed (< 0.03)', 'open (0.03-0.08)', 'wide (> 0.08)'][e['stratum'][2]]),
                    by_tone=count(lambda e: ['L* < 50', 'L* 50-65', 'L* > 65'][e['stratum'][3]]),
                    contributors=len(used), people=int(len(set(ident[used].tolist())))),
        distances=dict(to_contributing_photo_min=round(float(bank.distances.min()), 3),
                       to_contributing_photo_median=round(float(np.median(bank.distances)), 3),
                       to_person_min=round(float(bank.person_distances.min()), 3)),
        size_bytes=(out/'texture.npz').stat().st_size, jpeg_quality=args.quality, seed=args.seed,
        command=f'python scripts/build_texture_bank.py {" ".join(argv if argv is not None else sys.argv[1:])}',
        faceobf=environment()['faceobf'], date=time.strftime('%Y-%m-%d'), seconds=round(time.time() - t0),
        entries=[dict(id=i, contributors=bank.contributor_files(i),
                      distance={p: round(float(v), 3) for p, v in zip(PARTS, bank.distances[i], strict=True)},
                      person_distance={p: round(float(v), 3) for p, v in zip(PARTS, bank.person_distances[i], strict=True)})
                 for i in range(len(bank))])
    from faceobf.core import atomic_write
    with atomic_write(out/'texture.json') as tmp: tmp.write_text(json.dumps(card, indent=1))
    print(f'{bank} -> {out/"texture.npz"} ({card["size_bytes"] / 1e6:.2f} MB); {len(entries)} of {tried} composites kept; '
          f'{time.time() - t0:.0f} s')


if __name__ == '__main__':
    main()
