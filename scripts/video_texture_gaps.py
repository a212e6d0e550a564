"""Per-frame dlib distances between consecutive output faces of each person in a test clip (issue 22/19 finding), default method; writes /tmp/vtex/KIND_log.json (per-draw details) and KIND_out.npy (output frames).
Usage: PYTHONPATH=. .venv/bin/python scripts/video_texture_gaps.py cross"""
import os; os.makedirs('/tmp/vtex', exist_ok=True)
import sys, json, time, numpy as np
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))
import faceobf; print('faceobf from', faceobf.__file__)
from faceobf.landmarks import Face, face_embedding, embedding_distance
from faceobf.tracks import sample_clip, box_of
from faceobf.video import write_video, obfuscate_video, open_video, read_frames
from faceobf.generate.obfuscator import Obfuscator
kind = sys.argv[1] if len(sys.argv) > 1 else 'cross'
L = {'pan': 30, 'cross': 36, 'away': 30}[kind]
log = []
orig = Obfuscator.replace
def rep(self, photo, face, used=None, exclude_identity=None, keep=None):
    r = orig(self, photo, face, used, exclude_identity, keep)
    if keep is not None:
        d = r.details
        log.append(dict(keep=None if keep is None else [None if v is None else (bool(v) if isinstance(v, (bool, np.bool_)) else int(v)) for v in keep], box=[int(v) for v in face.box], lm=np.asarray(face.landmarks).tolist(), **{k: d.get(k) for k in ('light','edge','blurred','sharpened','kept_at_edge','forehead','notes','mouth_gap','donor')}))
    return r
Obfuscator.replace = rep
t = time.time()
frames, truth = sample_clip(kind, frames=L)
src = write_video(f'/tmp/vtex/{kind}.mp4', frames, fps=25)
rep_ = obfuscate_video(src, f'/tmp/vtex/{kind}_obf.mp4', Obfuscator(), progress=False)
def fr(p):
    with open_video(p) as (c, _): return [i for _, i in read_frames(c, p)]
inp, out = fr(src), fr(f'/tmp/vtex/{kind}_obf.mp4')
print('took', round(time.time()-t,1), [ {k: r[k] for k in ('face','first_frame','last_frame','distance')} for r in rep_['tracks']])
people = max(len(t) for t in truth)
for who in range(people):
    prev = None; row = []
    for k, faces in enumerate(truth):
        if len(faces) <= who or faces[who] is None: prev = None; row.append((k, None)); continue
        lm = faces[who]; e = face_embedding(out[k], Face(box_of(lm), 1.0, lm))
        row.append((k, None if prev is None else round(embedding_distance(prev, e), 3))); prev = e
    print('person', who, row)
json.dump(log, open(f'/tmp/vtex/{kind}_log.json', 'w'), default=str)
np.save(f'/tmp/vtex/{kind}_out.npy', np.array(out))
