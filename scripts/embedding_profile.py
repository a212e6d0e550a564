"""Where the default's time goes: dlib embeddings per face (by who asks for them) and their share of the time.

Usage: python scripts/embedding_profile.py DATA_ROOT [--photos 40] [--method texture] [--out reports/generation]

Runs faceobf's Obfuscator (the given method, verified, its defaults) in this one process over the first --photos
photos of DATA_ROOT/celeba-wild-dev (sorted by name; one warm-up photo first, not counted), under cProfile. Counts
every dlib face embedding computed (`landmarks.face_embedding`, its cache included) by the function that asked:
`_draws` (the original face, once per face), `identity_distance` (the new face at the original's place, every try),
`contributor_check` (the new face at its own points, against the people it was made of). Writes OUT/embedding_profile.md
and .json: photos/s in one process, embeddings per face, the share of the time inside dlib's descriptor and its
milliseconds per call."""
import argparse
import cProfile
import pstats
import sys
import time
from collections import Counter
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data_root', help='folder holding celeba-wild-dev/ (CelebA format)')
    p.add_argument('--photos', type=int, default=40, help='photos measured (default 40)')
    p.add_argument('--method', default='texture', help='the method to profile (default: texture, the default)')
    p.add_argument('--out', default='reports/generation', help='folder of the report page')
    a = p.parse_args(argv)
    folder = Path(a.data_root)/'celeba-wild-dev'/'img_celeba'
    if not folder.is_dir(): raise SystemExit(f"embedding_profile: no celeba-wild-dev here ({folder}); see data/README.md for how to get CelebA")
    files = sorted(folder.glob('*.jpg'))[:a.photos + 1]

    import faceobf.landmarks as L
    import faceobf.generate.obfuscator as O
    import faceobf.generate.texture as T
    from faceobf.core import read_photo, environment, markdown_table, write_report
    asked = Counter()
    embed = L.face_embedding
    def counted(img, face, jitter=0):
        asked[sys._getframe(1).f_code.co_name] += 1
        return embed(img, face, jitter)
    O.face_embedding = T.face_embedding = counted  # the modules' own names for it: every call is counted

    obfuscator = O.Obfuscator(a.method)
    photos = [read_photo(f) for f in files]
    obfuscator(photos[0])  # models loaded, caches warm
    asked.clear()
    L.forget_embeddings()
    faces, tries, prof = 0, 0, cProfile.Profile()
    t = time.perf_counter(); prof.enable()
    for photo in photos[1:]:
        for f in obfuscator(photo)[1]: faces += 1; tries += f.get('tries') or 0
    prof.disable(); seconds = time.perf_counter() - t
    stats = pstats.Stats(prof).stats
    dlib = [(v[1], v[2]) for k, v in stats.items() if 'compute_face_descriptor' in k[2]]  # (calls, own time)
    calls, inside = sum(c for c, _ in dlib), sum(s for _, s in dlib)
    env = environment()
    row = dict(method=a.method, photos=len(photos) - 1, faces=faces, tries=tries, photos_per_s=round((len(photos) - 1) / seconds, 2),
               embeddings_per_face=round(calls / max(faces, 1), 2), **{f'asked by {k}': v for k, v in sorted(asked.items())},
               dlib_share=f'{inside / seconds:.0%}', dlib_ms_per_call=round(1000 * inside / max(calls, 1), 1))
    page = (f"# dlib embeddings in the default's time\n\nWritten by `python scripts/embedding_profile.py DATA_ROOT --photos {a.photos}"
            f" --method {a.method}` on {time.strftime('%Y-%m-%d')}: the first {len(photos) - 1} `celeba-wild-dev` photos in one process"
            f" under cProfile (so a little slower than without), verified, the shipped models. Machine: {env['machine']}.\n\n"
            f"{markdown_table([row])}\n\nembeddings per face: dlib descriptors computed (repeats of the same face in the same pixels"
            " come from a cache and are not counted there); 'asked by': calls of `face_embedding` by each function, cache hits"
            " included.\n")
    for path in write_report(a.out, 'embedding_profile', page, dict(row=row, environment=env, parameters=vars(a)), root=Path.cwd()):
        print(path)
    print(markdown_table([row]))


if __name__ == '__main__':
    main()
