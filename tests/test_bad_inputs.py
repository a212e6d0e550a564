"""Every kind of bad or odd input a user can give `faceobf obfuscate`, built from the sample photos at test time.
Each class ends in a clear message or a reported skip, never a traceback, never a face left as it was,
never an input changed or a result overwritten."""
import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest
from PIL import Image

from conftest import BIN, run

FACEOBF = BIN/'faceobf'


@pytest.fixture(scope='module')
def astro():
    from faceobf.core import sample_photos
    return sample_photos()['astronaut']


def _face_changed(before, after, box):
    "Mean absolute change inside the face box (pixels of the face as found in the original)."
    l, t, r, b = box
    return np.abs(before[t:b, l:r].astype(int) - after[t:b, l:r].astype(int)).mean()


@pytest.fixture(scope='module')
def zoo(tmp_path_factory, astro):
    "A folder holding one file of each class, and what each should come to."
    d = tmp_path_factory.mktemp('zoo')
    im = Image.fromarray(astro)
    (d/'empty.jpg').write_bytes(b'')
    (d/'text.jpg').write_text('not a picture at all')
    im.save(d/'whole.jpg', quality=90)
    (d/'truncated.jpg').write_bytes((d/'whole.jpg').read_bytes()[:5000])
    im.save(d/'whole.png')
    (d/'truncated.png').write_bytes((d/'whole.png').read_bytes()[:20000])
    Image.new('L', (12000, 9000)).save(d/'bomb.png')
    Image.new('RGB', (1, 1)).save(d/'one_pixel.png')
    Image.fromarray((astro[..., 0].astype(np.uint16) * 257)).save(d/'sixteen_bit.png')
    im.convert('L').save(d/'gray.png')
    im.convert('CMYK').save(d/'cmyk.jpg')
    rgba = np.dstack([astro, np.full(astro.shape[:2], 255, np.uint8)]); rgba[:40, :, 3] = 0
    Image.fromarray(rgba, 'RGBA').save(d/'rgba.png')
    im.convert('P').save(d/'palette.png')
    exif = Image.Exif(); exif[0x0112] = 6; exif[0x8825] = {1: 'N', 2: (48.0, 51.0, 24.0)}
    Image.fromarray(np.rot90(astro, 1)).save(d/'rotated_gps.jpg', exif=exif, comment=b'home')
    meta = Image.Exif(); meta[0x010E] = 'taken at home'; meta[0x013B] = 'a person'  # description, artist
    for ext in ('png', 'webp', 'tiff'):
        info = {'exif': meta}
        if ext == 'png':
            from PIL import PngImagePlugin
            text = PngImagePlugin.PngInfo(); text.add_text('Comment', 'taken at home'); info['pnginfo'] = text
        im.save(d/f'meta.{ext}', **info)
    frames = [Image.fromarray(astro), Image.fromarray(astro[::-1].copy())]
    frames[0].save(d/'animated.gif', save_all=True, append_images=frames[1:], duration=100, loop=0)
    (d/'phone.heic').write_bytes(b'\x00\x00\x00\x18ftypheic')
    (d/'notes.txt').write_text('a note')
    os.symlink(d/'whole.png', d/'link_to_whole.png')
    (d/'loop').mkdir(); os.symlink(d/'loop', d/'loop'/'again')
    os.symlink(d/'nowhere.png', d/'dangling.png')
    return d


def test_every_class_is_done_or_refused_by_name(zoo, astro, tmp_path):
    before = {p.name: p.read_bytes() for p in zoo.iterdir() if p.is_file() and not p.is_symlink()}
    out, report = tmp_path/'out', tmp_path/'report.json'
    res = run(FACEOBF, 'obfuscate', zoo, '-o', out, '--method', 'mask', '--report', report, '--quiet')
    assert 'Traceback' not in res.stdout + res.stderr, res.stderr
    assert res.returncode == 1  # some inputs are broken
    rep = json.loads(report.read_text())
    status = {os.path.basename(r['input']): r for r in rep['photos']}
    for name, msg in [('empty.jpg', 'empty'), ('text.jpg', 'not an image'), ('truncated.jpg', 'truncated'),
                      ('truncated.png', 'truncated'), ('bomb.png', 'decompression bomb')]:
        assert status[name]['status'] == 'failed' and msg in status[name]['error'] and name in status[name]['error'], (name, status[name])
        assert 'failed: ' in res.stderr and name in res.stderr
    for name in ('whole.jpg', 'whole.png', 'one_pixel.png', 'sixteen_bit.png', 'gray.png', 'cmyk.jpg', 'rgba.png', 'palette.png',
                 'rotated_gps.jpg', 'meta.png', 'meta.webp', 'meta.tiff', 'animated.gif'):
        assert status[name]['status'] == 'done', (name, status[name])
    assert 'only the first of its 2 frames' in status['animated.gif']['note'] and 'animated.gif' in res.stderr
    passed = {os.path.basename(p['file']): p['why'] for p in rep['passed_over']}
    assert 'convert them to JPEG' in passed['phone.heic'] and 'not a photo or video type' in passed['notes.txt']
    assert 'broken link' in passed['dangling.png'] and 'not followed' in passed['again']
    assert 'the same file as' in passed['link_to_whole.png'] and 'link_to_whole.png' not in status  # one photo, reached twice: once
    assert 'passed over: ' in res.stderr and 'phone.heic' in res.stderr
    # every face found was replaced, and no result carries metadata
    for name in ('whole.png', 'rotated_gps.jpg', 'meta.webp', 'cmyk.jpg'):
        faces = status[name]['faces']
        assert faces and faces[0]['score'] > 0.5 and all(f['method'] == 'mask' for f in faces), (name, faces)  # weak boxes are masked too
        src, dst = np.asarray(Image.open(zoo/name).convert('RGB')), np.asarray(Image.open(status[name]['output']).convert('RGB'))
        if name != 'rotated_gps.jpg': assert _face_changed(src, dst, faces[0]['box']) > 40, name
    for name in ('rotated_gps.jpg', 'meta.png', 'meta.webp', 'meta.tiff'):
        with Image.open(status[name]['output']) as im:
            tags = dict(im.getexif())  # a TIFF keeps its structural tags (size, samples); none of the user's
            assert not {0x010E, 0x013B, 0x8825, 0x0112} & set(tags) and 'comment' not in im.info and 'Comment' not in im.info, (name, tags, im.info)
    assert Image.open(status['rotated_gps.jpg']['output']).size == (512, 512)  # turned upright
    assert {p.name: p.read_bytes() for p in zoo.iterdir() if p.is_file() and not p.is_symlink()} == before  # inputs untouched


def test_clashing_result_names_get_their_own(astro, tmp_path):
    for sub in ('d1', 'd2'): (tmp_path/sub).mkdir(); Image.fromarray(astro).save(tmp_path/sub/'a.png')
    Image.fromarray(astro).save(tmp_path/'d1'/'b.jpg'); Image.fromarray(astro[:, ::-1].copy()).save(tmp_path/'d1'/'b.JPG')
    res = run(FACEOBF, 'obfuscate', tmp_path/'d1'/'a.png', tmp_path/'d2'/'a.png', '-o', tmp_path/'out', '--method', 'blur', '--quiet')
    assert res.returncode == 0 and '2 of 2 photo(s) done' in res.stdout, res.stdout + res.stderr
    assert sorted(p.name for p in (tmp_path/'out').iterdir()) == ['a_obfuscated-2.png', 'a_obfuscated.png']
    res = run(FACEOBF, 'obfuscate', tmp_path/'d1', '--method', 'blur', '--quiet')
    assert res.returncode == 0 and '3 of 3 photo(s) done' in res.stdout, res.stdout + res.stderr
    outs = sorted(p.name for p in (tmp_path/'d1').iterdir() if '_obfuscated' in p.name)
    assert len(outs) == 3 and len({o.lower() for o in outs}) == 3, outs  # distinct even on a case-insensitive disk


@pytest.mark.parametrize('args, message', [
    (['--min-score', '5'], 'from 0 to 0.5'), (['--min-score', 'inf'], 'from 0 to 0.5'), (['--min-score', '-1'], 'from 0 to 0.5'),
    (['--flip='], '--flip needs at least one attribute'), (['--report', '/nonexistent/dir/r.json'], 'does not exist'),
    (['--detector', 'haar'], 'invalid choice'),
])
def test_options_that_would_fail_late_are_refused_first(astro, tmp_path, args, message):
    Image.fromarray(astro).save(tmp_path/'a.png')
    res = run(FACEOBF, 'obfuscate', tmp_path/'a.png', '--method', 'blur', *args)
    assert res.returncode != 0 and message in res.stderr, res.stderr
    assert 'Traceback' not in res.stderr and not (tmp_path/'a_obfuscated.png').exists()


def test_missing_inputs_are_named_and_dash_dash_is_not_an_input(astro, tmp_path):
    Image.fromarray(astro).save(tmp_path/'-x.png')
    res = run(FACEOBF, 'obfuscate', '--method', 'blur', '--quiet', '--', tmp_path/'-x.png', tmp_path/'gone.jpg', str(tmp_path/'*.tif'))
    assert res.returncode == 1
    assert f"{tmp_path/'gone.jpg'}: no such file" in res.stderr and f"{tmp_path/'*.tif'}: no such file" in res.stderr
    assert (tmp_path/'-x_obfuscated.png').exists() and '1 of 3 photo(s) done' in res.stdout
    assert 'no face was found' not in res.stdout


def test_an_unwritable_output_folder_fails_cleanly(astro, tmp_path):
    Image.fromarray(astro).save(tmp_path/'a.png')
    (tmp_path/'not_a_folder').write_text('a file where the output folder should be')  # unwritable even for root
    targets = [tmp_path/'not_a_folder']
    if os.geteuid() != 0:
        (tmp_path/'ro').mkdir(); (tmp_path/'ro').chmod(0o500); targets.append(tmp_path/'ro')
    for target in targets:
        res = run(FACEOBF, 'obfuscate', tmp_path/'a.png', '-o', target, '--method', 'blur')
        assert res.returncode == 1 and 'a.png' in res.stderr and 'Traceback' not in res.stderr, res.stderr


def test_a_full_disk_leaves_no_half_result(astro, tmp_path):
    mnt = tmp_path/'small'; mnt.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', str(mnt)], capture_output=True).returncode != 0:
        pytest.skip('cannot mount a small tmpfs here')
    try:
        Image.fromarray(astro).save(tmp_path/'a.png')
        res = run(FACEOBF, 'obfuscate', tmp_path/'a.png', '-o', mnt, '--method', 'blur')
        assert res.returncode == 1 and 'a.png' in res.stderr and 'Traceback' not in res.stderr, res.stderr
        assert list(mnt.iterdir()) == []  # neither a truncated result nor a temporary file
    finally: subprocess.run(['umount', str(mnt)])


def _album(astro, folder, n):
    folder.mkdir()
    for k in range(n): Image.fromarray(np.roll(astro, 3 * k, axis=1)).save(folder/f'p{k:02d}.png')
    return folder


def test_a_killed_run_and_its_rerun_leave_every_photo_done_and_nothing_stale(astro, tmp_path):
    album = _album(astro, tmp_path/'album', 12)
    proc = subprocess.Popen([str(FACEOBF), 'obfuscate', str(album), '--method', 'pixelate', '--quiet'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list(album.glob('*_obfuscated.png')): time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    # what a kill in the middle of a write leaves (the killed process's id, a half-written file), planted so it is certain
    (album/f'.p11_obfuscated.{proc.pid}-abcdef.faceobf-tmp.png').write_bytes(b'half a png')
    res = run(FACEOBF, 'obfuscate', album, '--method', 'pixelate', '--quiet')
    assert res.returncode == 0, res.stderr
    assert 'removed' in res.stderr and 'interrupted' in res.stderr
    results = sorted(album.glob('*_obfuscated.png'))
    assert len(results) == 12 and all(Image.open(p).size == (512, 512) for p in results)
    assert [p.name for p in album.iterdir() if p.name.startswith('.')] == []


def test_two_concurrent_runs_into_one_folder_both_succeed(astro, tmp_path):
    album = _album(astro, tmp_path/'album', 10)
    cmd = [str(FACEOBF), 'obfuscate', str(album), '-o', str(tmp_path/'out'), '--method', 'blur', '--quiet']
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    results = sorted((tmp_path/'out').iterdir())
    assert len(results) == 10 and all(Image.open(p).size == (512, 512) for p in results)
