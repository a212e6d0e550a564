"""How steady is one person's new face through a video? Per-frame dlib distances between consecutive output faces.

    .venv/bin/python scripts/video_texture_gaps.py [--clip cross] [--method texture] [--runs 1] [--out reports/video]

Writes a test clip (`faceobf.tracks.sample_clip`, 25 fps, as tests/test_video.py makes it) to a temporary folder,
obfuscates it with `Obfuscator(METHOD)` through `faceobf.video.obfuscate_video`, and embeds each person's output face at
the clip's true landmarks in every frame where it is less than 40% hidden. The gap of a frame is dlib's distance between
that embedding and the previous frame's (tests/test_video.py requires every gap under 0.4: one new person); the input's
own gaps are beside it. Writes texture_flicker.md (METHOD_flicker.md for another method) into --out."""
import argparse
import tempfile
import time
from pathlib import Path


def gaps(frames, truth, who) -> list:
    "dlib distance of person `who`'s face between consecutive frames (None where the face is hidden or the previous one was)."
    from faceobf.landmarks import Face, face_embedding, embedding_distance
    from faceobf.tracks import box_of
    prev, row = None, []
    for img, faces in zip(frames, truth, strict=True):
        lm = faces[who] if len(faces) > who else None
        if lm is None: prev = None; row.append(None); continue
        e = face_embedding(img, Face(box_of(lm), 1.0, lm))
        row.append(None if prev is None else float(embedding_distance(prev, e))); prev = e
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--clip', default='cross', choices=['pan', 'cross', 'away'], help='which test clip')
    ap.add_argument('--method', default='texture', help='the obfuscation method')
    ap.add_argument('--runs', type=int, default=1, help='runs of the same clip (the largest gap wanders a little between runs)')
    ap.add_argument('--out', default='reports/video', help='folder for the page')
    a = ap.parse_args(argv)
    from faceobf.core import environment, markdown_table
    from faceobf.generate.obfuscator import Obfuscator
    from faceobf.tracks import sample_clip
    from faceobf.video import write_video, obfuscate_video, open_video, read_frames
    length = {'pan': 30, 'cross': 36, 'away': 30}[a.clip]
    frames, truth = sample_clip(a.clip, frames=length)
    people = max(len(t) for t in truth)
    t0, tmp = time.time(), Path(tempfile.mkdtemp())
    src = write_video(tmp/f'{a.clip}.mp4', frames, fps=25)
    with open_video(src) as (c, _): inp = [img for _, img in read_frames(c, src)]
    rows, largest, drawn = [], [], []
    for run in range(a.runs):
        dst = tmp/f'{a.clip}_{run}_obfuscated.mp4'
        report = obfuscate_video(src, dst, Obfuscator(a.method), progress=False)
        drawn.append(', '.join(f"person {t['face']}: {t['method']}" + (f" ({t['fallback']})" if t.get('fallback') else '') for t in report['tracks']))
        with open_video(dst) as (c, _): out = [img for _, img in read_frames(c, dst)]
        for who in range(people):
            g, gi = gaps(out, truth, who), gaps(inp, truth, who)
            largest.append(max(v for v in g if v is not None))
            if run == 0:
                rows += [dict(person=who, frame=k, output_gap=f'{v:.3f}', input_gap=f'{gi[k]:.3f}') for k, v in enumerate(g) if v is not None]
    over = [r for r in rows if float(r['output_gap']) >= 0.4]
    where = ', '.join(f"person {r['person']} frame {r['frame']}" for r in over) or 'none'
    env = environment()
    page = (f"# One person's new face through a video: `{a.method}` on the '{a.clip}' clip\n\n"
            f"Largest gap per person and run: {', '.join(f'{v:.3f}' for v in largest)}; frames at or over 0.4 in the first run: "
            f"{len(over)} ({where}).\n\n"
            f"Drawn as: " + '; '.join(f'run {k}: {d}' for k, d in enumerate(drawn)) + ".\n\n"
            f"{markdown_table(rows)}\n\noutput_gap: dlib's distance between the person's output face in this frame and in the one before, "
            f"both embedded at the clip's true landmarks; input_gap: the same for the input. tests/test_video.py requires every output "
            f"gap under 0.4. Machine: {env['machine']}; {time.time() - t0:.0f} s.\n\n"
            f"Written by `python scripts/video_texture_gaps.py --clip {a.clip} --method {a.method} --runs {a.runs}`.\n")
    name = 'texture_flicker.md' if a.method == 'texture' else f'{a.method}_flicker.md'
    Path(a.out).mkdir(parents=True, exist_ok=True); (Path(a.out)/name).write_text(page)
    print(f'wrote {Path(a.out)/name}; largest gaps {[round(v, 3) for v in largest]}')


if __name__ == '__main__':
    main()
