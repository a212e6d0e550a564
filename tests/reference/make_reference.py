"""Write the reference outputs that tests/test_outputs_unchanged.py compares against.

Run it only when outputs change on purpose (a new detector, a new default), and say so in the commit:
    .venv/bin/python tests/reference/make_reference.py
The references were first written at commit 5168df1 (stage 3 in one module, `faceobf.generation`), and the
restructured stage 3 reproduced every one byte for byte on the 2-core development machine (commit ee97a21). They were
written again when CenterFace became the default detector (its boxes differ a little from HOG's, so other donors are drawn),
and when `texture` became the default method (its settings added; every `unet` reference stayed as it was); and when the
texture's entries were held within `TONE_REACH` of the face's lightness (one face changed its entry: texture-own-unverified/grace_hopper);
and when the texture method began to read a face's gender as the mean of the crop and its mirror against `MALE_THRESHOLD`
(the astronaut, read as a man before, now gets a woman's entry; every `unet` reference stayed as it was); and when the texture
method began to draw the donor's shape 1.5 times exaggerated with its lopsided part halved (`TEXTURE_ASYMMETRY`; the two
`texture-default` references changed, every `own` and `unet` one stayed as it was); and when the retry margin went from 0.7
to 0.75 (`MARGIN`: texture-default/astronaut's first draw, 0.718, is now drawn again; every other reference stayed as it was); and when the texture bank was rebuilt with bearded men's skin measured above
the beard and five composites per base face (700 entries, 315 of them men's, against 238 and 47: and facial hair and stubble (`FACIAL_HAIR`) held before
the mouth's and the tone's reaches: every texture reference changed, every `unet`, blur, pixelate and mask one stayed as it was); and when the light swap began to
move a pixel's colour only as much as it is coloured like the skin, and entries with blue eye shadow (`EYE_COLOUR`) were flagged
as blemished (every texture reference changed, every `unet`, blur, pixelate and mask one stayed as it was); and when the light
was no longer guessed where it could not be read (the face's middle light there instead of the fit's extrapolation) and read below a
face's glasses (both texture settings changed a little; every `unet`, blur, pixelate and mask one stayed as it was).
"""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
# name -> (method, options, keep a coarse grid of the face region): the default (texture), the report's method in its settings, the simple methods
SETTINGS = {
    'texture-default': ('texture', {}, True),
    'texture-own-unverified': ('texture', dict(geometry='own', verify=False), True),
    'unet-default': ('unet', {}, True),
    'unet-own-drawn-unverified': ('unet', dict(geometry='own', tone='drawn', verify=False), True),
    'unet-mean-unverified': ('unet', dict(geometry='mean', verify=False), False),
    'unet-donor-seed3-tries2': ('unet', dict(seed=3, tries=2), False),
    'unet-retries-margin0.95-seed1': ('unet', dict(margin=0.95, tries=3, seed=1), False),
    'blur': ('blur', {}, False), 'pixelate': ('pixelate', {}, False), 'mask': ('mask', {}, False),
}


def digest(pixels) -> str: return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()


GRID = 8  # the face region's colour in 8 x 8 cells: enough to see any redrawn face change, too coarse to show a face

def region_grid(region) -> list:
    "The mean of each colour channel in each of GRID x GRID cells of `region` (H, W, 3), rounded to 1/1000 of a level."
    rows, cols = np.array_split(np.arange(region.shape[0]), GRID), np.array_split(np.arange(region.shape[1]), GRID)
    return [[[round(float(v), 3) for v in region[r[0]:r[-1] + 1, c[0]:c[-1] + 1].reshape(-1, 3).mean(0)] for c in cols] for r in rows]


def face_region(report, shape) -> list:
    "Rows and columns around the first face: the part of the photo a method changes."
    l, t, r, b = report[0]['box']; m = (r - l) // 3
    return [max(t - m, 0), min(b + m, shape[0]), max(l - m, 0), min(r + m, shape[1])]


@lru_cache(maxsize=None)
def _models():
    from faceobf.generate.shipped import load_models
    return load_models()


def outputs(name):
    "`{photo name: (new photo, report)}` of setting `name` on the sample photos (the shipped models, loaded once)."
    from faceobf.core import sample_photos
    from faceobf.generate.obfuscator import Obfuscator
    method, options, _ = SETTINGS[name]
    ob = Obfuscator(method, **options, **({'models': _models()} if method == 'unet' else {}))
    return {p: ob(photo) for p, photo in sample_photos().items()}


if __name__ == '__main__':
    refs = {}
    for name, (_, _, keep) in SETTINGS.items():
        for photo, (new, report) in outputs(name).items():
            region = face_region(report, new.shape)
            refs[f'{name}/{photo}'] = dict(sha256=digest(new), region=region,
                                           report=[{k: f.get(k) for k in ('box', 'method', 'donor', 'entry', 'tries', 'distance')} for f in report])
            if keep:  # no picture of the face is committed: its colours in coarse cells carry the check
                y0, y1, x0, x1 = region
                refs[f'{name}/{photo}']['grid'] = region_grid(new[y0:y1, x0:x1])
    (HERE/'outputs.json').write_text(json.dumps(refs, indent=1) + '\n')
    print(f'{len(refs)} references written to {HERE}')
