"End-to-end tests of the `faceobf` command, as a user runs it."
import json

import pytest

from conftest import BIN, DEV_DATA, run

FACEOBF = BIN/'faceobf'


def test_help_lists_the_subcommands():
    res = run(FACEOBF, '--help', check=True)
    assert 'demo' in res.stdout and 'prepare' in res.stdout and 'non-commercial' in res.stdout
    res = run(FACEOBF, 'prepare', '--help', check=True)
    for option in ('--out', '--size', '--fraction', '--splits', '--workers', '--limit', 'resumes'):
        assert option in res.stdout, option
    assert run(FACEOBF).returncode == 2  # no subcommand: usage, not a crash


def test_prepare_builds_resumes_and_protects_a_cache(mini_celeba, tmp_path):
    out = tmp_path/'cache'
    res = run(FACEOBF, 'prepare', mini_celeba, '--out', out, '--workers', '2', '--quiet', check=True)
    assert '4 of 5 listed images present' in res.stdout
    assert '2 faces kept (train 1, val 0, test 1); 2 dropped (no face detected: 1, unreadable: 1)' in res.stdout
    from faceobf.dataset import Stage1Cache
    cache = Stage1Cache(out)
    assert cache.arrays['crops'].shape == (2, 128, 64, 3)
    assert list(cache.arrays['identity']) == [1, 2]
    # a second run finds every shard done
    again = run(FACEOBF, 'prepare', mini_celeba, '--out', out, '--quiet', check=True)
    assert '0 image(s) processed' in again.stdout
    # other options into the same folder: refused, cache untouched
    manifest = (out/'manifest.json').read_text()
    clash = run(FACEOBF, 'prepare', mini_celeba, '--out', out, '--size', '64x64', '--quiet')
    assert clash.returncode == 1
    assert 'other images or options' in clash.stderr and 'Traceback' not in clash.stderr
    assert (out/'manifest.json').read_text() == manifest


def test_prepare_selects_splits_fraction_and_limit(mini_celeba, tmp_path):
    res = run(FACEOBF, 'prepare', mini_celeba, '--out', tmp_path/'c', '--splits', 'train', '--fraction', '0.5',
              '--workers', '1', '--quiet', check=True)
    assert 'selected 1 image(s)' in res.stdout and '1 faces kept (train 1, val 0, test 0)' in res.stdout
    res = run(FACEOBF, 'prepare', mini_celeba, '--out', tmp_path/'d', '--splits', 'val', '--quiet')
    assert res.returncode == 0 and '0 faces kept' in res.stdout  # the val images are the faceless and the corrupt one


@pytest.mark.parametrize('damage, message', [
    (lambda p: p.write_bytes(p.read_bytes()[:-300]), 'list_attr_celeba.txt'),
    (lambda p: p.unlink(), 'annotation file missing'),
])
def test_prepare_reports_bad_annotations_without_traceback(mini_celeba, tmp_path, damage, message):
    import shutil
    root = tmp_path/'celeba'; shutil.copytree(mini_celeba, root)
    damage(root/'list_attr_celeba.txt')
    res = run(FACEOBF, 'prepare', root, '--out', tmp_path/'cache', '--quiet')
    assert res.returncode == 1
    assert res.stderr.startswith('faceobf prepare: error:') and message in res.stderr
    assert 'Traceback' not in res.stderr
    assert not (tmp_path/'cache').exists()


def test_prepare_on_a_missing_folder(tmp_path):
    res = run(FACEOBF, 'prepare', tmp_path/'nowhere', '--out', tmp_path/'cache')
    assert res.returncode == 1 and 'no such folder' in res.stderr and 'data/README.md' in res.stderr


def test_demo_obfuscates_the_sample_photos(tmp_path):
    res = run(FACEOBF, 'demo', '--out', tmp_path, check=True)
    for name in ('astronaut', 'grace_hopper'):
        assert f'{name}: face 0' in res.stdout and 'flipped Big_Nose, Pointy_Nose, Smiling, Young' in res.stdout and 'dlib distance' in res.stdout
        assert (tmp_path/f'{name}_obfuscated.png').is_file()
    for png in (tmp_path/'stage1_demo.png', tmp_path/'before_after.png', tmp_path/'missed_faces_sample.png'):
        assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and png.stat().st_size > 50_000


@pytest.mark.skipif(not (DEV_DATA/'celeba-6k').is_dir(), reason='development data not present')
def test_prepare_on_real_celeba_images(tmp_path):
    res = run(FACEOBF, 'prepare', DEV_DATA/'celeba-6k', '--out', tmp_path/'c', '--splits', 'test', '--limit', '40',
              '--quiet', check=True)
    assert '6,000 of 202,599 listed images present' in res.stdout
    m = json.loads((tmp_path/'c'/'manifest.json').read_text())
    assert m['kept'] + m['dropped'] == 40 and m['kept'] >= 36  # dlib finds a face in ~97% of CelebA's aligned images
    assert m['kept_per_split'] == {'train': 0, 'val': 0, 'test': m['kept']}


def test_train_fac_needs_a_validation_split(mini_celeba, tmp_path):
    run(FACEOBF, 'prepare', mini_celeba, '--out', tmp_path/'c', '--quiet', check=True)
    res = run(FACEOBF, 'train-fac', tmp_path/'c', '--out', tmp_path/'m')
    assert res.returncode == 1 and 'no val images' in res.stderr and 'Traceback' not in res.stderr
    res = run(FACEOBF, 'train-fac', tmp_path/'missing', '--out', tmp_path/'m')
    assert res.returncode == 1 and 'no manifest.json' in res.stderr


@pytest.fixture(scope='module')
def celeba_cache(tmp_path_factory):
    "Stage 1 on 1% of each split of celeba-6k (about 60 faces), built once for both training tests."
    if not (DEV_DATA/'celeba-6k').is_dir(): pytest.skip('development data not present')
    out = tmp_path_factory.mktemp('celeba-cache')/'c'
    run(FACEOBF, 'prepare', DEV_DATA/'celeba-6k', '--out', out, '--fraction', '0.01', '--quiet', check=True)
    return out


def test_train_fac_on_real_celeba_images(celeba_cache, tmp_path):
    res = run(FACEOBF, 'train-fac', celeba_cache, '--out', tmp_path/'m', '--epochs', '2', '--batch-size', '16', '--quiet', check=True)
    assert 'test: average attribute accuracy' in res.stdout
    card = json.loads((tmp_path/'m'/'fac.json').read_text())
    assert card['preset']['name'] == 'small' and card['epochs'] == 2 and 0.3 < card['test_attr_acc'] <= 1
    assert card['environment']['backend'] == 'tensorflow'
    again = run(FACEOBF, 'train-fac', celeba_cache, '--out', tmp_path/'m', '--epochs', '2')
    assert again.returncode == 1 and 'finished model' in again.stderr  # never overwritten silently


def test_train_recon_on_real_celeba_images(celeba_cache, tmp_path):
    res = run(FACEOBF, 'train-recon', celeba_cache, '--out', tmp_path/'m', '--epochs', '1', '--batch-size', '8', '--quiet', check=True)
    assert 'test: SSIM' in res.stdout
    card = json.loads((tmp_path/'m'/'recon.json').read_text())
    assert card['kind'] == 'reconstruction network' and card['preset']['name'] == 'small' and 0 < card['test_ssim'] < 1
    assert (tmp_path/'m'/'recon.keras').stat().st_size > 100_000
