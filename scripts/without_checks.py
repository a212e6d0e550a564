"""Copy a notebook without its `#| check` cells: the heavy self-tests that `./run.sh test` runs (nbdev-test)
and a report run need not repeat. A cell flagged so defines nothing that a later cell uses
(tests/test_repo.py checks it by the cells' syntax trees).

    python scripts/without_checks.py nbs/04_reconnet.ipynb /tmp/04_reconnet.ipynb
"""
import json, sys
from pathlib import Path


def is_check(cell) -> bool:
    lines = ''.join(cell.get('source', '')).splitlines()
    return cell.get('cell_type') == 'code' and any(l.strip().replace(' ', '') == '#|check' for l in lines[:3])


def main(src, dst):
    nb = json.loads(Path(src).read_text())
    kept = [c for c in nb['cells'] if not is_check(c)]
    print(f"{src}: {len(nb['cells']) - len(kept)} check cell(s) left out of the report run", file=sys.stderr)
    Path(dst).write_text(json.dumps(dict(nb, cells=kept), indent=1))


if __name__ == '__main__': main(*sys.argv[1:])
