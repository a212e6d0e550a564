"""Video benchmark (issue 22): how often to run the detector, and faceobf's video against deface's blur, in one run.

    .venv/bin/python scripts/video_benchmark.py [--deface /tmp/deface-venv/bin/deface] [--data ../shared/data] [--frames 50]

1. Detection settings: on the three test clips (faceobf.video.sample_clip at 640x360, 25 fps), the faces are followed with the
   detector every k-th frame at two detection sizes (the photo default, which doubles a 360-line frame, and the frame as it is);
   a face is lost in a frame when no track covers its true place (box overlap under 0.3). Time: the finding pass only.
2. Whole runs on the same clips: faceobf's default, `--method blur`, and deface (its default blur, run as its command) when
   installed in a scratch environment: frames per second, frames where dlib still matches the original face at its true place
   (leaks), consistency (the largest dlib distance between consecutive output faces of one person), flicker (mean absolute change
   of the face region between consecutive frames, over the input's).
3. Where ../shared/data/celeba-wild-dev exists: a clip stitched from the in-the-wild photos of one person (5 frames each, drifting),
   the same measures. Its frames stay in a temporary folder; only numbers are written.
Writes reports/video/benchmark.md and .json.
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from faceobf.core import environment, markdown_table, write_report  # noqa: E402
from faceobf.landmarks import Face, DEFAULT_DETECTOR, face_embedding, embedding_distance, box_iou, detect_faces, MATCH_THRESHOLD  # noqa: E402
from faceobf.masking import faces_mask  # noqa: E402
from faceobf.tracks import sample_clip, find_tracks, box_of, CLIP_KINDS, DETECT_EVERY  # noqa: E402
from faceobf.video import write_video, obfuscate_video, open_video, read_frames  # noqa: E402

SIZE, FPS = (640, 360), 25


def frames_of(path):
    with open_video(path) as (c, _): return [img for _, img in read_frames(c, path)]


def lost_faces(tracks, truth) -> int:
    "Frames x faces whose true place no track covers."
    cover = {}
    for tr in tracks:
        for j, box in zip(tr.frames, tr.boxes, strict=True): cover.setdefault(j, []).append(box)
    return sum(not any(box_iou(box_of(lm), b) >= 0.3 for b in cover.get(k, [])) for k, faces in enumerate(truth) for lm in faces if lm is not None)


def measures(inp, out, truth) -> dict:
    "Leaks, consistency and flicker of `out` against `inp` at the true face places."
    leaks, worst, gaps, gaps_in, ch_in, ch_out = 0, 9.0, [], [], [], []
    people = max(len(t) for t in truth)
    for who in range(people):
        prev = prev_in = None
        for k, faces in enumerate(truth):
            if len(faces) <= who or faces[who] is None: prev = prev_in = None; continue
            lm = faces[who]; f = Face(box_of(lm), 1.0, lm)
            e, e_in = face_embedding(out[k], f), face_embedding(inp[k], f)
            d = embedding_distance(e_in, e)
            worst = min(worst, d); leaks += d < MATCH_THRESHOLD
            if prev is not None:
                gaps.append(embedding_distance(prev, e)); gaps_in.append(embedding_distance(prev_in, e_in))
                m = faces_mask(inp[k].shape, lm).astype(bool)
                ch_in.append(np.abs(inp[k].astype(float) - inp[k - 1])[m].mean()); ch_out.append(np.abs(out[k].astype(float) - out[k - 1])[m].mean())
            prev, prev_in = e, e_in
    return dict(leaks=int(leaks), nearest=round(worst, 3), consistency=round(max(gaps), 3) if gaps else None,
                **{"the input's": round(max(gaps_in), 3) if gaps_in else None},
                flicker=round(float(np.mean(ch_out) / max(np.mean(ch_in), 1e-6)), 2) if ch_in else None)


def celeba_clip(data: Path, per: int = 5, most: int = 12):
    "Frames stitched from the in-the-wild photos of the person with the most of them in celeba-wild-dev, and their true landmarks."
    from faceobf.core import read_photo
    folder = data/'celeba-wild-dev'/'img_celeba'
    ids = {}
    for line in (data/'celeba-wild-dev'/'identity_CelebA.txt').read_text().split('\n'):
        parts = line.split()
        if len(parts) == 2 and (folder/parts[0]).is_file(): ids.setdefault(parts[1], []).append(parts[0])
    person = max(ids, key=lambda k: len(ids[k]))
    frames, truth = [], []
    w, h = SIZE
    for name in sorted(ids[person])[:most]:
        photo = read_photo(folder/name)
        faces = detect_faces(photo)
        if not faces: continue
        face = faces[0]
        s = min(0.35 * h / face.width, 4.0)  # the face a third of the frame high: the photo cropped around it
        c = face.landmarks.mean(0)
        for k in range(per):
            M = np.array([[s, 0, w / 2 - s * c[0] + 4 * k], [0, s, h / 2 - s * c[1] + 2 * k]])
            frames.append(cv2.warpAffine(photo, M, SIZE, borderMode=cv2.BORDER_REPLICATE))
            truth.append([(face.landmarks @ M[:, :2].T + M[:, 2]).astype(np.float32)])
    return person, frames, truth


def run_deface(deface, src: Path, dst: Path) -> float:
    start = time.perf_counter()
    subprocess.run([deface, str(src), '-o', str(dst), '--keep-audio'], check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--deface', default=None, help="deface's command (installed in a scratch environment: pip install deface)")
    p.add_argument('--data', default=str(REPO.parent/'shared'/'data'))
    p.add_argument('--frames', type=int, default=50)
    p.add_argument('--out', default=str(REPO/'reports'/'video'))
    args = p.parse_args()
    from faceobf.generate.obfuscator import Obfuscator
    from faceobf.generate.vocabulary import VIDEO_DEFAULT_METHOD
    work = Path(tempfile.mkdtemp(prefix='faceobf-video-'))
    clips = {}
    for kind in CLIP_KINDS:
        frames, truth = sample_clip(kind, frames=args.frames, size=SIZE)
        clips[kind] = (write_video(work/f'{kind}.mp4', frames, fps=FPS), frames, truth)
    if (Path(args.data)/'celeba-wild-dev'/'identity_CelebA.txt').is_file():
        person, frames, truth = celeba_clip(Path(args.data))
        clips['celeba-wild-dev'] = (write_video(work/'celeba.mp4', frames, fps=FPS), frames, truth)
    # 1. detection settings
    rows = []
    for every in (1, 3, 5):
        for size, det in (('photo default (doubled)', DEFAULT_DETECTOR), ('as it is', replace(DEFAULT_DETECTOR, upsample=0))):
            lost, frames_total, seconds = 0, 0, 0.0
            for _kind, (src, frames, truth) in clips.items():
                decoded = frames_of(src)  # what the detector sees in a run: the frames as decoded from the file
                start = time.perf_counter()
                tracks, _, _ = find_tracks(((k / FPS, f) for k, f in enumerate(decoded)), det, every=every, fps=FPS)
                seconds += time.perf_counter() - start
                lost += lost_faces(tracks, truth); frames_total += len(frames)
            rows.append({'detector every': every, 'detection size': size, 'faces lost (frames x faces)': lost,
                         'finding, frames/s': round(frames_total / seconds, 1)})
            print(rows[-1], flush=True)
    # 2. whole runs
    methods = {f'faceobf default ({VIDEO_DEFAULT_METHOD})': Obfuscator(VIDEO_DEFAULT_METHOD), 'faceobf --method blur': Obfuscator('blur')}
    deface = args.deface or shutil.which('deface')
    runs = []
    for kind, (src, frames, truth) in clips.items():
        for name, obf in methods.items():
            dst = work/f'{kind}_{name.split()[1]}.mp4'
            start = time.perf_counter()
            report = obfuscate_video(src, dst, obf, progress=False)
            seconds = time.perf_counter() - start
            runs.append(dict(clip=kind, method=name, tracks=len(report['tracks']), masked=sum(r['method'] == 'mask' for r in report['tracks']),
                             **{'frames/s': round(len(frames) / seconds, 2)}, **measures(frames, frames_of(dst), truth)))
            print(runs[-1], flush=True)
        if deface:
            dst = work/f'{kind}_deface.mp4'
            seconds = run_deface(deface, src, dst)
            h, w = frames[0].shape[:2]
            out = [f[:h, :w] for f in frames_of(dst)]  # deface writes through imageio-ffmpeg, which pads to a multiple of 16 lines
            runs.append(dict(clip=kind, method='deface (blur, its defaults)', tracks='-', masked='-', **{'frames/s': round(len(frames) / seconds, 2)},
                             **measures(frames, out, truth)))
            print(runs[-1], flush=True)
    start_up = None
    if deface:
        one = write_video(work/'one.mp4', clips['pan'][1][:1], fps=FPS)
        start_up = round(run_deface(deface, one, work/'one_deface.mp4'), 2)
    shutil.rmtree(work, ignore_errors=True)
    env = environment()
    command = 'python scripts/video_benchmark.py' + (' --deface SCRATCH_VENV/bin/deface' if args.deface else '') + f' --frames {args.frames}'
    clean = [r for r in rows if r['faces lost (frames x faces)'] == 0]
    best = max(clean, key=lambda r: r['finding, frames/s']) if clean else None
    verdict = (f"The fastest setting that lost no face here: every {best['detector every']} frame(s), detection size {best['detection size']}; "
               f"faceobf's default is every {DETECT_EVERY} frame(s) at the photo default size.") if best else "Every setting lost a face here."
    md = f"""# Video: detection settings, and faceobf against deface

Command: `{command}` ({time.strftime('%Y-%m-%d')}, {env['machine']}, Python {env['python']}, dlib {env['dlib']}, Keras {env['keras']}
on {env['backend']}). Clips: `faceobf.video.sample_clip` at {SIZE[0]}x{SIZE[1]}, {FPS} fps, {args.frames} frames each (pan: the astronaut
panned, zoomed and pushed half out of the frame; cross: the astronaut and Grace Hopper crossing, one behind the other; away: the
face painted out for 5 frames){'; celeba-wild-dev: ' + str(len(clips['celeba-wild-dev'][1])) + ' frames stitched from the in-the-wild photos of one person (5 frames each), never committed' if 'celeba-wild-dev' in clips else ''}.
The machine is shared (2 cores): compare within a table, not with other pages.

## How often to detect

A face is lost in a frame when no track covers its true place (the faces are found in the frames as decoded from the clip's file). The detector is the cost; between detections faces are followed
by optical flow and dlib's landmarks. {verdict}

{markdown_table(rows)}

## Whole runs

Leaks: frames x faces where dlib's distance between input and output at the face's true place is under {MATCH_THRESHOLD} (nearest:
the smallest such distance). Consistency: the largest dlib distance between one person's output faces in consecutive frames
(under 0.4: one new person); the input's: the same for the input's faces (the stitched clip changes photo every 5 frames). Flicker: the face region's mean absolute change between consecutive frames, output over input
(1: as steady as the input). Frames per second include reading and writing; faceobf's exclude loading its models
{f'(deface runs as a command; its start-up on a one-frame clip took {start_up} s and is included; its 640x360 output comes out 640x368, padded by imageio-ffmpeg, and is cropped back for the measures)' if start_up is not None else '(deface was not installed for this run)'}.

{markdown_table(runs)}
"""
    write_report(args.out, 'benchmark', md, dict(command=command, environment=env, detection=rows, runs=runs, deface_start_up_s=start_up))
    print(md)


if __name__ == '__main__':
    main()
