"The notebooks as a reader runs them: without CelebA, every slow cell says what it skipped instead of failing or passing silently."
import json

import pytest

from conftest import BIN, REPO, run


def _slow_cells(nb):
    return [c for c in nb['cells'] if c['cell_type'] == 'code' and ''.join(c['source']).startswith('#| slow')]


@pytest.mark.parametrize('name', ['05g_obfuscator', '06_recognizer', '07_evaluation'])
def test_slow_cells_without_data_say_what_they_skipped(name, tmp_path):
    out = tmp_path/f'{name}.ipynb'
    params = [('data_root', tmp_path/'no-celeba'), ('cache_root', tmp_path/'no-cache')]
    args = [a for k, v in params for a in ('-p', k, str(v))]
    res = run(BIN/'papermill', '--cwd', REPO/'nbs', '--log-level', 'WARNING', REPO/'nbs'/f'{name}.ipynb', out, *args)
    assert res.returncode == 0, res.stderr[-3000:]
    nb = json.loads(out.read_text())
    slow = _slow_cells(nb)
    assert slow
    for cell in slow:
        text = ''.join(''.join(o.get('text', '')) for o in cell.get('outputs', []) if o.get('output_type') == 'stream')
        skipped = [line for line in text.splitlines() if line.startswith('skipped:')]
        assert len(skipped) == 1 and 'data/README.md' in skipped[0], (''.join(cell['source'])[:200], text)
