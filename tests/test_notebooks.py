"The notebooks as a reader runs them: without CelebA, every slow cell says what it skipped instead of failing or passing silently."
import json
import re

import pytest

from conftest import REPO

# The notebooks whose slow cells need the data: pytest runs them whole (every cell, the slow ones without data, as
# papermill would), so `./run.sh test` leaves them out of nbdev-test (its --skip-file-re): each runs once.
PAPERMILL = ['05g_obfuscator', '06_recognizer', '07b_attackers', '07c_table3', '07d_generators']


def run_with_parameters(name, **params):
    """Run notebook `name` as papermill would, every cell, `params` set just after its cell tagged `parameters`, in this
    process with execnb (as nbdev-test runs notebooks): no kernel to start and no TensorFlow to import again per notebook.
    Its last cell, nbdev_export(), is left out: it would rewrite faceobf/*.py while other tests import them."""
    from fastcore.nbio import mk_cell, read_nb
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    path = REPO/'nbs'/f'{name}.ipynb'
    nb = read_nb(path)
    nb.cells = [c for c in nb.cells if 'nbdev_export()' not in c.source]
    tagged = [k for k, c in enumerate(nb.cells) if 'parameters' in c.metadata.get('tags', [])]
    assert len(tagged) == 1, name
    nb.cells.insert(tagged[0] + 1, mk_cell('\n'.join(f'{k} = {str(v)!r}' for k, v in params.items())))
    with working_directory(path.parent): CaptureShell(path).run_all(nb, exc_stop=True)
    return nb


@pytest.mark.parametrize('name', PAPERMILL)
def test_slow_cells_without_data_say_what_they_skipped(name, tmp_path):
    nb = run_with_parameters(name, data_root=tmp_path/'no-celeba', cache_root=tmp_path/'no-cache', run_dir=tmp_path/'no-runs')
    slow = [c for c in nb.cells if c.cell_type == 'code' and c.source.startswith('#| slow')]
    assert slow
    for cell in slow:
        text = ''.join(''.join(o.get('text', '')) for o in cell.get('outputs', []) if o.get('output_type') == 'stream')
        skipped = [line for line in text.splitlines() if line.startswith('skipped:')]
        assert len(skipped) == 1 and 'data/README.md' in skipped[0], (cell.source[:200], text)
        assert not any(o.get('output_type') == 'error' for o in cell.get('outputs', []))


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
