"""Run every notebook top to bottom with its default parameters, as a reader in JupyterLab would, and
record how long each took in reports/notebooks/timings.md (and .json).

Usage (from the repository root, inside the venv): python scripts/time_notebooks.py [NOTEBOOK ...]
The executed copies go to a temporary folder and are thrown away; nothing in nbs/ changes."""
import json
import sys
import tempfile
import time
from pathlib import Path

import papermill as pm

from faceobf.core import environment, markdown_table, write_report

REPO = Path(__file__).resolve().parents[1]
# the report's order: the notebooks by name, except that 03 builds the data set that 02 reads
ORDER = sorted((p.stem for p in (REPO/'nbs').glob('[0-9]*.ipynb')), key=lambda n: (n.replace('03_', '01z_'), n)) + ['index']


def skipped_lines(nb_path) -> list:
    "The 'skipped: ...' lines the notebook printed (a slow cell without its data)."
    nb = json.loads(Path(nb_path).read_text())
    return [line for c in nb['cells'] for o in c.get('outputs', []) if o.get('output_type') == 'stream'
            for line in ''.join(o.get('text', '')).splitlines() if line.startswith('skipped:')]


def earlier_rows() -> dict:
    "Rows of the table written before (notebook -> row), kept for the notebooks not timed in this run."
    path = REPO/'reports'/'notebooks'/'timings.json'
    rows = json.loads(path.read_text()).get('rows', []) if path.exists() else []
    return {r['notebook']: dict(r, measured=r.get('measured', 'an earlier run')) for r in rows}


def main(names):
    rows, out = earlier_rows(), Path(tempfile.mkdtemp())
    for name in names or ORDER:
        t = time.perf_counter()
        try:
            pm.execute_notebook(str(REPO/'nbs'/f'{name}.ipynb'), str(out/f'{name}.ipynb'), cwd=str(REPO/'nbs'),
                                log_output=False, progress_bar=False)
            status = 'ok'
        except Exception as e:
            status = f'failed: {type(e).__name__}'
        secs = time.perf_counter() - t
        skips = skipped_lines(out/f'{name}.ipynb') if (out/f'{name}.ipynb').exists() else []
        rows[f'{name}.ipynb'] = dict(notebook=f'{name}.ipynb', seconds=round(secs), minutes=f'{secs / 60:.1f}', status=status,
                                     skipped_cells=len(skips), measured=time.strftime('%Y-%m-%d %H:%M'))
        print(f'{name}: {secs:.0f} s, {status}' + (f'; {len(skips)} skipped cell(s)' if skips else ''), flush=True)
        write_table(rows)  # after every notebook, so that an interrupted run keeps what it measured
    return 0 if all(rows[f'{n}.ipynb']['status'] == 'ok' for n in names or ORDER) else 1


def write_table(rows:dict):
    "reports/notebooks/timings.md and .json: the notebooks in ORDER, each with the time of its latest run."
    env = environment()
    rows = [rows[f'{n}.ipynb'] for n in ORDER if f'{n}.ipynb' in rows]
    page = (f"# The notebooks at their default parameters\n\nEach notebook run top to bottom by papermill with no parameters, "
            f"as a reader runs it in JupyterLab, with the development data in `../shared/data` "
            f"and the stage-1 caches that `./run.sh report` leaves in `data/cache/` (each row: when it was measured). Machine: {env['machine']}; Keras "
            f"{env['keras']} on {env['backend']}. Written by `./run.sh timings`.\n\n{markdown_table(rows)}\n\n"
            f"Total: {sum(r['seconds'] for r in rows) / 60:.1f} min. The full-length runs are `./run.sh report` "
            f"(see `reports/run.json` for its times) and `./run.sh models`.\n")
    write_report(REPO/'reports'/'notebooks', 'timings', page, dict(rows=rows, environment=env))


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
