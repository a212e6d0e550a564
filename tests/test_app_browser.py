"""The web page (faceobf.app) in a real browser: Debian's chromium, driven by Playwright with the system browser.

The app runs as `serve` would run it, in its own process on a free 127.0.0.1 port, with its upload folder where the
test can look. Without chromium the module is skipped (`sudo apt-get install chromium` enables it; ./run.sh test
installs it when run as root), except in CI (CI=true), where a missing browser fails the run instead of hiding the test. Playwright never downloads a browser here: it is given chromium's path.
"""
import base64
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO

sys.path.insert(0, str(REPO/'scripts'))
from app_screenshot import chromium_path, start_app, upload_and_protect  # noqa: E402

CHROMIUM = chromium_path()
IN_CI = os.environ.get('CI') == 'true'
pytestmark = pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason="chromium is not installed: 'sudo apt-get install chromium' enables "
                                "the browser test (./run.sh test installs it when run as root)")
OUT = REPO/'output'/'test-app'  # screenshots, for a look (ignored by git)
THRESHOLD = 0.6                 # dlib's match threshold: a distance at least this is another person


@pytest.fixture(scope='module')
def app(tmp_path_factory):
    "The app in its own process, as `serve` runs it: its url, upload folder and pid; stopped after the module."
    uploads, log = tmp_path_factory.mktemp('uploads'), tmp_path_factory.mktemp('log')/'app.log'
    started = time.time()
    proc, url = start_app(uploads, log)
    print(f'\napp answered {time.time() - started:.1f} s after its start')
    try: yield dict(url=url, uploads=uploads, pid=proc.pid, log=log)
    finally:
        proc.kill()  # its upload folder is the test's; TensorFlow's orderly exit would take seconds
        proc.wait(60)


@pytest.fixture(scope='module')
def browser():
    from playwright.sync_api import sync_playwright
    assert CHROMIUM is not None, "CI=true and chromium is missing: ./run.sh test installs it as root (see its log above)"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    "The sample photos as PNG files, and the bad uploads: name -> path."
    from PIL import Image
    from faceobf.core import sample_photos
    d = tmp_path_factory.mktemp('files')
    for name, photo in sample_photos().items(): Image.fromarray(photo).save(d/f'{name}.png')
    (d/'notes.txt').write_text('a shopping list, not a photo\n')
    Image.open(d/'astronaut.png').convert('RGB').save(d/'whole.jpg', quality=90)
    (d/'half.jpg').write_bytes((d/'whole.jpg').read_bytes()[:(d/'whole.jpg').stat().st_size // 2])
    (d/'huge.jpg').write_bytes((d/'whole.jpg').read_bytes() + bytes(26 * 2**20))                # over 25 MB
    Image.new('L', (8000, 5100), 90).save(d/'poster.png')                                      # 40.8 megapixels
    Image.new('RGB', (400, 300), (120, 130, 140)).save(d/'wall.png')                             # no face
    return {p.name: p for p in d.iterdir()}


def _page(browser, outside:list):
    "A new browser session on the page; every request it makes to anything but the app is added to `outside`."
    page = browser.new_context(viewport={'width': 1280, 'height': 900}).new_page()
    page.on('request', lambda r: None if r.url.startswith(('http://127.0.0.1', 'data:', 'blob:')) else outside.append(r.url))
    return page


def _faces(page, name):
    "(kind, distance text, box) of each face row on the card of `name`."
    return page.eval_on_selector_all(f'.fo-card[data-name="{name}"] tr.fo-face',
                                     'rows => rows.map(r => [r.dataset.kind, r.querySelector(".fo-distance").textContent, r.dataset.box])')


def _check_faces(page, name, original, result):
    faces = _faces(page, name)
    assert faces, f'no face row for {name}'
    for kind, dist, box in faces:
        assert kind == 'masked' or (kind == 'protected' and float(dist) >= THRESHOLD), (name, kind, dist)
        l, t, r, b = map(int, box.split(','))
        assert np.abs(result[t:b, l:r].astype(int) - original[t:b, l:r]).mean() > 10, f'{name}: the face region did not change'
    card = page.inner_text(f'.fo-card[data-name="{name}"]')
    assert all(('Masked' in card) or (d in card) for _, d, _ in faces)


def _pixels(data:bytes) -> np.ndarray:
    from PIL import Image
    with Image.open(io.BytesIO(data)) as im:
        assert not im.getexif() and 'exif' not in im.info  # no metadata
        return np.asarray(im.convert('RGB'))


def _no_upload_left(app):
    left = [str(p.relative_to(app['uploads'])) for p in app['uploads'].rglob('*') if p.is_file()]
    assert not left, f'uploads left in the temporary folder: {left}'


def test_page_protects_the_sample_photos(app, browser, files):
    outside = []
    originals = {n: _pixels(files[n].read_bytes()) for n in ('astronaut.png', 'grace_hopper.png')}
    page = _page(browser, outside)
    started = time.time()
    upload_and_protect(page, app['url'], [files['astronaut.png']])
    page.wait_for_selector('.fo-card[data-name="astronaut.png"]', timeout=120_000)
    print(f'astronaut: {time.time() - started:.1f} s from the upload to the result on the page')
    with page.expect_download() as download: page.click('.fo-card[data-name="astronaut.png"] a.fo-download')
    saved_as = download.value.suggested_filename
    assert saved_as == "astronaut_obfuscated.png", saved_as
    _check_faces(page, 'astronaut.png', originals['astronaut.png'], _pixels(Path(download.value.path()).read_bytes()))
    _no_upload_left(app)

    # two sessions at once: each gets its own results
    other = _page(browser, outside)
    upload_and_protect(page, app['url'], [files['grace_hopper.png']])
    upload_and_protect(other, app['url'], [files['astronaut.png']])
    page.wait_for_selector('.fo-card[data-name="grace_hopper.png"]', timeout=120_000)
    other.wait_for_selector('.fo-card[data-name="astronaut.png"]', timeout=120_000)
    card_names = lambda p: p.eval_on_selector_all('.fo-card', 'cards => cards.map(c => c.dataset.name)')
    assert card_names(page) == ['grace_hopper.png'] and card_names(other) == ['astronaut.png']
    for p, name in ((page, 'grace_hopper.png'), (other, 'astronaut.png')):
        href = p.get_attribute(f'.fo-card[data-name="{name}"] a.fo-download', 'href')
        _check_faces(p, name, originals[name], _pixels(base64.b64decode(href.split(',', 1)[1])))
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=OUT/'app_grace_hopper.png', full_page=True)
    assert not outside, f'the page asked for something outside this computer: {outside}'
    _no_upload_left(app)


def test_bad_files_get_one_clear_message_each(app, browser, files):
    outside = []
    page = _page(browser, outside)
    bad = ['notes.txt', 'half.jpg', 'huge.jpg', 'poster.png', 'wall.png']
    upload_and_protect(page, app['url'], [files[n] for n in bad])
    page.wait_for_selector('.fo-problems', timeout=120_000)
    lines = page.eval_on_selector_all('.fo-problem', 'ps => ps.map(p => p.textContent)')
    assert [l.split(':')[0] for l in lines] == bad, lines
    says = dict(zip(bad, lines, strict=True))
    assert 'not an image file' in says['notes.txt'] and 'drop a photo' in says['notes.txt']
    assert 'damaged or truncated' in says['half.jpg']
    assert 'MB is more than the page accepts (25 MB)' in says['huge.jpg']
    assert '8000x5100 pixels' in says['poster.png'] and 'megapixels' in says['poster.png']
    assert 'no face found' in says['wall.png']
    text = page.inner_text('body')
    assert 'Traceback' not in text and 'Error' not in text and '0 of 5 photos protected' in text
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=OUT/'app_refusals.png', full_page=True)
    assert not outside, outside
    _no_upload_left(app)
    import psutil
    print(f"app process: {psutil.Process(app['pid']).memory_info().rss / 2**20:.0f} MiB resident (RSS)")
