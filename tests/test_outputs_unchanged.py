"Moving code changes no output: the same photo, method and seed give the results recorded in tests/reference/ (see make_reference.py there)."
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent/'reference'))
from make_reference import SETTINGS, digest, outputs, region_grid  # noqa: E402

REF = Path(__file__).parent/'reference'
REFS = json.loads((REF/'outputs.json').read_text())


@pytest.mark.parametrize('name', list(SETTINGS))
def test_outputs_unchanged(name):
    for photo, (new, report) in outputs(name).items():
        ref = REFS[f'{name}/{photo}']
        assert [{k: f.get(k) for k in ('box', 'method', 'donor', 'entry', 'tries')} for f in report] == \
               [{k: f.get(k) for k in ('box', 'method', 'donor', 'entry', 'tries')} for f in ref['report']]  # the same faces, draws and tries
        if SETTINGS[name][0] not in ('unet', 'texture'):  # NumPy and OpenCV on uint8: the very same bytes on any machine
            assert digest(new) == ref['sha256'], (name, photo)
            continue
        # The U-Net (and the texture's dlib check and light fit) run in float32: a processor with other vector instructions may round a few pixels the other way,
        # so the network's settings are held to their colours in coarse cells of the face region, within a tenth of a level
        # (a few pixels one level off move a cell's mean by less; another face moves it by many levels). The development machine
        # reproduces every byte.
        for f, g in zip(report, ref['report'], strict=True):
            if g['distance'] is not None: assert abs(f['distance'] - g['distance']) < 2e-3
        if 'grid' in ref:
            y0, y1, x0, x1 = ref['region']
            diff = np.abs(np.array(region_grid(new[y0:y1, x0:x1])) - np.array(ref['grid']))
            assert diff.max() <= 0.1, (name, photo, diff.max())
