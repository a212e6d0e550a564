"""The web page on the sample photos in a real browser: the README's screenshot, and how long the page takes.

    .venv/bin/python scripts/app_screenshot.py [--out reports/demo]

Starts the app (`faceobf.app.serve`) in its own process on a free 127.0.0.1 port and drives it with Playwright
through Debian's chromium (`sudo apt-get install chromium`; Playwright downloads nothing). It drops the astronaut
alone twice (the first request after the start, then a second one), timing each from the upload to the result on
the page, then both sample photos, and saves that page as app.png. The baseline, measured in the same run: this
process calls the same `Obfuscator` (built as the page builds it) on the same photo, once untimed, then twice. Writes app.png and
app.md/.csv (with the app process's resident memory and the machine) into --out. tests/test_app_browser.py uses
its helpers (`chromium_path`, `start_app`, `upload_and_protect`).
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def chromium_path():
    "Debian's chromium (or chromium-browser), or None."
    return next((shutil.which(n) for n in ('chromium', 'chromium-browser') if shutil.which(n)), None)


def start_app(uploads, log, timeout:float=180):
    "`(process, url)`: the app serving on a free 127.0.0.1 port, its uploads in `uploads`, its output in `log`, once it answers."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    code = f'from faceobf.app import serve; serve(port={port}, temp_dir={str(uploads)!r})'
    with open(log, 'w') as out:
        proc = subprocess.Popen([sys.executable, '-c', code], cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
    url, started = f'http://127.0.0.1:{port}/', time.time()
    while True:
        if proc.poll() is not None: raise RuntimeError(f'the app stopped ({proc.returncode}):\n{Path(log).read_text()[-3000:]}')
        try:
            with urllib.request.urlopen(url, timeout=2): return proc, url
        except OSError: pass
        if time.time() - started > timeout:
            proc.terminate()
            raise RuntimeError(f'the app did not answer in {timeout} s:\n{Path(log).read_text()[-3000:]}')
        time.sleep(0.5)


def upload_and_protect(page, url, paths):
    "Open the page at `url`, drop `paths` on it, wait until gradio has uploaded every one, press the button."
    page.goto(url)
    page.wait_for_selector('#protect')
    uploads = []
    track = lambda r: uploads.append(r) if r.method == 'POST' and '/upload' in r.url else None
    page.on('request', track)
    page.set_input_files('#photos input[type=file]', [str(p) for p in paths])
    page.wait_for_function('stems => stems.every(s => document.querySelector("#photos").innerText.includes(s))',
                           arg=[Path(p).stem for p in paths])  # listed: their uploads have started
    seen = -1
    while seen != len(uploads):  # gradio may upload the files in several requests: wait for all of them
        seen = len(uploads)
        for r in uploads: assert r.response().ok, r.url
        page.wait_for_timeout(300)
    page.remove_listener('request', track)
    assert uploads, 'nothing was uploaded'
    page.click('#protect')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='reports/demo', help='folder for app.png and app.md/.csv')
    a = ap.parse_args()
    chromium = chromium_path()
    if chromium is None: sys.exit("chromium is not installed: 'sudo apt-get install chromium' first")
    import psutil
    from PIL import Image
    from playwright.sync_api import sync_playwright
    from faceobf.core import sample_photos, environment, write_table, decode_photo
    out, work = Path(a.out), Path(tempfile.mkdtemp(prefix='faceobf-shot-'))
    try:
        paths = []
        for name, photo in sample_photos().items():
            Image.fromarray(photo).save(work/f'{name}.png'); paths.append(work/f'{name}.png')
        (work/'uploads').mkdir()
        proc, url = start_app(work/'uploads', work/'app.log')
        try:
            page_s = []
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium)
                page = browser.new_context(viewport={'width': 1280, 'height': 900}).new_page()
                for _ in range(2):
                    t = time.perf_counter()
                    upload_and_protect(page, url, paths[:1])
                    page.wait_for_selector('.fo-card[data-name="astronaut.png"]', timeout=300_000)
                    page_s.append(time.perf_counter() - t)
                upload_and_protect(page, url, paths)
                page.wait_for_selector('.fo-card[data-name="grace_hopper.png"]', timeout=300_000)
                page.wait_for_timeout(500)
                out.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=out/'app.png', full_page=True)
                browser.close()
            rss = psutil.Process(proc.pid).memory_info().rss / 2**20
        finally:
            proc.kill(); proc.wait(60)  # its upload folder is ours; TensorFlow's orderly exit would take seconds
        left = [p for p in (work/'uploads').rglob('*') if p.is_file()]
        from faceobf.app import PhotoProtector, Settings
        obf = PhotoProtector().obfuscator(Settings())  # as the page builds it: the default settings, models loaded once
        photo = decode_photo(paths[0])[0]
        obf(photo)  # warm, as `serve` warms the page's before it opens it
        direct_s = []
        for _ in range(2):
            t = time.perf_counter(); obf(photo); direct_s.append(time.perf_counter() - t)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [dict(request=k, page_s=round(p, 2), direct_obfuscator_s=round(d, 2), page_over_direct=round(p / d, 1))
            for k, p, d in zip(('first after the start', 'second'), page_s, direct_s)]
    load = ', '.join(f'{v:.1f}' for v in os.getloadavg())
    note = (f'The astronaut (512x512, one face), default settings. page_s: from dropping the photo on the page in chromium to '
            f'its result on the page (upload, decoding, the Obfuscator, encoding, the page\'s HTML). direct_obfuscator_s: the '
            f'same Obfuscator called in one process on the same pixels after one untimed call, the baseline (serve also runs it once before '
            f'it opens the page). The app process held {rss:.0f} MiB '
            f'(resident set) after its requests; {len(left)} upload file(s) were left in its upload folder. '
            f'Command: `.venv/bin/python scripts/app_screenshot.py --out {a.out}`; machine: {environment()["machine"]}, '
            f'load average {load} (1, 5, 15 min) when it ended.')
    print(write_table(rows, out, 'app', title='The web page on the sample photos', note=note))
    print(note)


if __name__ == '__main__': main()
