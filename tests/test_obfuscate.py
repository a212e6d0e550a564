"End-to-end tests of `faceobf obfuscate` and `faceobf verify` on files, as a user runs them."
import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from conftest import BIN, run

FACEOBF = BIN/'faceobf'


@pytest.fixture()
def album(tmp_path):
    "A folder of photos as users have them: a phone JPEG with EXIF orientation and GPS, a PNG, no-face and broken files."
    from faceobf.core import sample_photos
    photos = sample_photos()
    d = tmp_path/'album'; (d/'trip').mkdir(parents=True)
    exif = Image.Exif(); exif[0x0112] = 6; exif[0x8825] = {1: 'N', 2: (48.0, 51.0, 24.0)}
    Image.fromarray(np.rot90(photos['astronaut'], 1)).save(d/'phone.jpg', exif=exif, quality=95)
    Image.fromarray(photos['grace_hopper']).save(d/'trip'/'hopper.png')
    Image.fromarray(np.full((300, 400, 3), 120, np.uint8)).save(d/'wall.jpg')
    (d/'broken.jpg').write_bytes(b'\xff\xd8\xff\xe0 truncated')
    return d


def digest(path): return hashlib.sha256(path.read_bytes()).hexdigest()


def test_obfuscate_a_folder(album, tmp_path):
    before = {p: digest(p) for p in album.rglob('*') if p.is_file()}
    res = run(FACEOBF, 'obfuscate', album, '--report', tmp_path/'report.json', '--quiet')
    assert res.returncode == 1  # one input failed ...
    assert 'broken.jpg' in res.stderr and 'Traceback' not in res.stderr
    assert '3 of 4 photo(s) done, 0 skipped,' in res.stdout and '1 failed' in res.stdout and 'geometry donor' in res.stdout
    assert f"no face found: {album/'wall.jpg'}" in res.stderr and '1 photo(s) with no face found' in res.stdout  # named, not only counted
    assert {p: digest(p) for p in before} == before  # ... and no input was touched
    out = album/'phone_obfuscated.jpg'
    with Image.open(out) as im:
        assert im.size == (512, 512)  # upright: the EXIF rotation was applied
        assert dict(im.getexif()) == {} and 'exif' not in im.info  # no orientation, no GPS
    assert (album/'trip'/'hopper_obfuscated.png').is_file() and (album/'wall_obfuscated.jpg').is_file()
    report = json.loads((tmp_path/'report.json').read_text())
    by_name = {p['input'].split('/')[-1]: p for p in report['photos']}
    assert report['policy']['flip'] == ['Pointy_Nose', 'Smiling', 'Young', 'Big_Nose']
    assert by_name['wall.jpg']['faces'] == [] and by_name['broken.jpg']['status'] == 'failed'
    assert len(by_name['hopper.png']['faces']) == 1 and len(by_name['phone.jpg']['faces']) >= 1
    faces = [f for p in report['photos'] for f in p.get('faces', [])]
    assert all(f['flipped'] == ['Pointy_Nose', 'Smiling', 'Young', 'Big_Nose'] and f['geometry'] == 'donor' and f['policy'] == 'paper' and 1 <= f['tries'] <= 4 for f in faces)
    assert not any('attributes_before' in f or 'attributes_after' in f for f in faces)  # what the classifier read in a face is not shared
    for f in faces:  # verified: regenerated beyond dlib's threshold, or masked and said so
        assert (f['method'] == 'texture' and f['distance'] >= 0.6 and f['nearest_contributor'] >= 0.6 and f['verified']) or \
               (f['method'] == 'mask' and 'fallback' in f), f
    assert report['verify'] is True and report['geometry'] == 'donor' and report['tone'] == 'kept' and report['verify_search'] is False
    assert report['method'] == 'texture'  # the default
    for f in faces:  # the texture bank's entry, the people it was made of (CelebA file names) and how far the new face is from them
        if f['method'] == 'texture': assert isinstance(f['entry'], int) and len(f['contributors']) == 4 and len(f['contributor_distances']) == 4
    assert report['no_face'] == [str(album/'wall.jpg')] and report['faceobf_report'] == 1
    # the face really changed, the rest of the photo did not
    from faceobf.core import read_photo as load_photo
    a, b = load_photo(album/'trip'/'hopper.png'), load_photo(album/'trip'/'hopper_obfuscated.png')
    l, t, r, btm = by_name['hopper.png']['faces'][0]['box']
    assert np.abs(a[t:btm, l:r].astype(int) - b[t:btm, l:r]).mean() > 10
    assert (a[:20] == b[:20]).all()  # far above the face (the region grows to the donor shape, so not much further)
    # a second run skips what exists, and the outputs are not scanned as inputs
    again = run(FACEOBF, 'obfuscate', album/'trip', '--quiet')
    assert again.returncode == 0 and '1 skipped' in again.stdout and 'exists' in again.stderr


def test_simple_methods_and_verify(album, tmp_path):
    src = album/'trip'/'hopper.png'
    for method in ('blur', 'pixelate', 'mask'):
        res = run(FACEOBF, 'obfuscate', src, '-o', tmp_path/method, '--method', method, '--quiet', check=True)
        assert f'1 replaced ({method})' in res.stdout
    res = run(FACEOBF, 'verify', src, tmp_path/'mask'/'hopper_obfuscated.png', check=True)  # exit 0: protected
    assert 'face 0' in res.stdout and 'embedded at its original place' in res.stdout and '1 of 1 face(s) protected' in res.stdout
    same = run(FACEOBF, 'verify', src, src)
    assert same.returncode == 1 and 'NOT protected' in same.stdout and '0 of 1' in same.stdout
    from PIL import Image
    Image.open(src).resize((100, 100)).save(tmp_path/'small.png')
    sizes = run(FACEOBF, 'verify', src, tmp_path/'small.png')
    assert sizes.returncode == 2 and 'differ in size' in sizes.stderr and len(sizes.stderr.strip().splitlines()) == 1, sizes.stderr
    Image.new('RGB', (64, 64), 'white').save(tmp_path/'blank.png')
    nothing = run(FACEOBF, 'verify', tmp_path/'blank.png', tmp_path/'blank.png')
    assert nothing.returncode == 1 and 'could not verify' in nothing.stdout  # no "protected" without a face to check


def test_protected_attributes_need_consent(album, tmp_path):
    res = run(FACEOBF, 'obfuscate', album/'wall.jpg', '-o', tmp_path, '--flip', 'Young,Male')
    assert res.returncode == 1 and 'Male is protected' in res.stderr
    res = run(FACEOBF, 'obfuscate', album/'wall.jpg', '-o', tmp_path, '--flip', 'Young,Male', '--allow-protected', '--quiet')
    assert res.returncode == 0 and '1 photo(s) with no face found' in res.stdout
    res = run(FACEOBF, 'obfuscate', tmp_path/'nothing*.jpg')
    assert res.returncode == 1 and 'no such file, folder or matching pattern' in res.stderr


def test_geometry_and_verification_options(album, tmp_path):
    src = album/'trip'/'hopper.png'
    res = run(FACEOBF, 'obfuscate', src, '-o', tmp_path/'own', '--method', 'unet', '--geometry', 'own', '--tone', 'drawn', '--no-verify', '--report', tmp_path/'own.json', '--quiet')
    assert res.returncode == 0 and 'geometry own' in res.stdout and '1 unverified' in res.stdout, res.stdout + res.stderr
    face = json.loads((tmp_path/'own.json').read_text())['photos'][0]['faces'][0]
    assert face['geometry'] == 'own' and face['tone'] == 'drawn' and 'distance' not in face and face['method'] == 'unet'
    res = run(FACEOBF, 'obfuscate', src, '-o', tmp_path/'strict', '--margin', '9', '--tries', '2', '--report', tmp_path/'strict.json', '--quiet')
    face = json.loads((tmp_path/'strict.json').read_text())['photos'][0]['faces'][0]
    assert res.returncode == 0 and face['tries'] == 2, face  # a margin no face reaches: every try is spent
    for bad, message in ((['--tries', '0'], 'argument --tries: must be a whole number, 1 or more'), (['--geometry', 'random'], 'invalid choice'), (['--tone', 'pale'], 'invalid choice')):
        res = run(FACEOBF, 'obfuscate', src, '-o', tmp_path/'bad', *bad)
        assert res.returncode != 0 and message in res.stderr and 'Traceback' not in res.stderr


def test_two_processes_write_what_one_writes(tmp_path):
    "`--workers 2` shares a folder between two processes (from 8 photos each); outputs and report are those of one process."
    from faceobf.core import sample_photos
    astro = sample_photos()['astronaut']
    album = tmp_path/'album'; album.mkdir()
    for k in range(16): Image.fromarray(np.roll(astro, 5 * k, axis=1)).save(album/f'p{k:02d}.png')
    reports = {}
    for n in (1, 2):
        res = run(FACEOBF, 'obfuscate', album, '-o', tmp_path/f'out{n}', '--method', 'blur', '--workers', n, '--report', tmp_path/f'r{n}.json', check=True)
        assert '16 of 16 photo(s) done' in res.stdout and ' 0 fallback(s); 0 failed' in res.stdout
        assert ('2 processes' in res.stderr) == (n == 2)  # the progress bar says how many share the work
        reports[n] = json.loads((tmp_path/f'r{n}.json').read_text())['photos']
    assert [p['faces'] for p in reports[1]] == [p['faces'] for p in reports[2]]
    assert [p['output'].replace('out1', 'out2') for p in reports[1]] == [p['output'] for p in reports[2]]
    for k in range(16):
        assert digest(tmp_path/'out1'/f'p{k:02d}_obfuscated.png') == digest(tmp_path/'out2'/f'p{k:02d}_obfuscated.png')
