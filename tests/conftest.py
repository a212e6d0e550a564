import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's scripts: faceobf, nbdev-export, jupyter, ...
DEV_DATA = REPO.parent/'shared'/'data'


def run(*args, cwd=None, check=False):
    "Run a command with the venv's scripts first on PATH; returns the CompletedProcess (text)."
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", TF_CPP_MIN_LOG_LEVEL='3')
    res = subprocess.run([str(a) for a in args], cwd=cwd or REPO, env=env, capture_output=True, text=True, timeout=900)
    if check and res.returncode != 0:
        raise AssertionError(f"{args} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


@pytest.fixture(scope='session')
def mini_celeba(tmp_path_factory):
    "A CelebA-format folder of five listed images: the two sample photos, a faceless and a corrupt file, one absent."
    import cv2
    import numpy as np
    from faceobf.dataset import write_celeba_annotations
    from faceobf.core import sample_photos
    root = tmp_path_factory.mktemp('celeba')
    img_dir = root/'img_align_celeba'; img_dir.mkdir()
    photos = sample_photos()
    names = [f'{i:06d}.jpg' for i in range(1, 6)]
    cv2.imwrite(str(img_dir/names[0]), photos['astronaut'][..., ::-1])
    cv2.imwrite(str(img_dir/names[1]), photos['grace_hopper'][..., ::-1])
    cv2.imwrite(str(img_dir/names[2]), np.full((218, 178, 3), 90, np.uint8))
    (img_dir/names[3]).write_bytes(b'\xff\xd8\xff\xe0 not really a jpeg')
    write_celeba_annotations(root, names, np.eye(5, 40, dtype=int), [1, 2, 3, 4, 5], [0, 2, 0, 1, 1])
    return root
