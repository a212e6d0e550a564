"The notebooks as a reader runs them: without CelebA, every slow cell says what it skipped instead of failing or passing silently."
import json
import re

import pytest

from conftest import BIN, REPO, run

# The notebooks whose slow cells need the data: pytest runs them whole with papermill (every cell, the slow ones
# without data), so `./run.sh test` leaves them out of nbdev-test (its --skip-file-re): each runs once.
PAPERMILL = ['05g_obfuscator', '06_recognizer', '07b_attackers', '07c_table3', '07d_generators']


def _slow_cells(nb):
    return [c for c in nb['cells'] if c['cell_type'] == 'code' and ''.join(c['source']).startswith('#| slow')]


@pytest.mark.parametrize('name', PAPERMILL)
def test_slow_cells_without_data_say_what_they_skipped(name, tmp_path):
    out, src = tmp_path/f'{name}.ipynb', tmp_path/'src'/f'{name}.ipynb'
    params = [('data_root', tmp_path/'no-celeba'), ('cache_root', tmp_path/'no-cache'), ('run_dir', tmp_path/'no-runs')]
    args = [a for k, v in params for a in ('-p', k, str(v))]
    # a copy without the last cell's nbdev_export(): it would rewrite faceobf/*.py while other tests import them
    nb = json.loads((REPO/'nbs'/f'{name}.ipynb').read_text())
    nb['cells'] = [c for c in nb['cells'] if 'nbdev_export()' not in ''.join(c['source'])]
    src.parent.mkdir(); src.write_text(json.dumps(nb))
    res = run(BIN/'papermill', '--cwd', REPO/'nbs', '--log-level', 'WARNING', src, out, *args)
    assert res.returncode == 0, res.stderr[-3000:]
    nb = json.loads(out.read_text())
    slow = _slow_cells(nb)
    assert slow
    for cell in slow:
        text = ''.join(''.join(o.get('text', '')) for o in cell.get('outputs', []) if o.get('output_type') == 'stream')
        skipped = [line for line in text.splitlines() if line.startswith('skipped:')]
        assert len(skipped) == 1 and 'data/README.md' in skipped[0], (''.join(cell['source'])[:200], text)


def test_each_notebook_is_run_once():
    "The notebooks pytest runs are exactly those `./run.sh test` keeps out of nbdev-test."
    skip = re.search(r"--skip-file-re '([^']+)'", (REPO/'run.sh').read_text()).group(1)
    left_out = sorted(p.stem for p in (REPO/'nbs').glob('*.ipynb') if re.search(skip, p.name))
    assert left_out == sorted(PAPERMILL), left_out


def test_report_notebooks_take_their_parameters():
    "Every notebook `./run.sh report` (or this file) runs by papermill has a cell tagged `parameters`: without it papermill puts the given values before the notebook's defaults, which then win."
    names = set(re.findall(r'(?m)^\s*pm (\w+) ', (REPO/'run.sh').read_text())) | set(PAPERMILL)
    assert len(names) > 5, names
    for name in sorted(names):
        nb = json.loads((REPO/'nbs'/f'{name}.ipynb').read_text())
        tagged = [c for c in nb['cells'] if 'parameters' in c.get('metadata', {}).get('tags', [])]
        assert len(tagged) == 1, f'{name}: {len(tagged)} cells tagged parameters'
