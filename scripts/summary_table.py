"""The README's summary table: the default method, the report's method and the simple ones, on both development sets.

    .venv/bin/python scripts/summary_table.py [--methods reports/evaluation/methods.csv] [--out reports/summary.md]

It reads the attacker table that `nbs/07b_attackers.ipynb` writes (dlib's recogniser with a clean gallery; see
reports/evaluation/methods.md for the protocol, the data and the machine) and keeps the rows and columns a newcomer
asks about first. Nothing is measured here: every number is a cell of that table. `./run.sh readme` runs it; the
README quotes reports/summary.md (tests/test_repo.py checks both are in step)."""
import argparse
import csv
import sys
from pathlib import Path

# method in the attacker table -> what the summary calls it, in the summary's order
ROWS = {'faceobf texture': 'faceobf, the default (real texture, verified)',
        'faceobf own': "the report's method (U-Net on the face's own shape)",
        'faceobf donor+verify': 'U-Net on a donor shape, verified (`--method unet`)',
        'blur': 'blur', 'mask': 'mask (filled ellipse)', 'original': 'no protection'}
COLUMNS = {'detected': 'a face is found', 'rank-1 identified': 'named at rank 1', 'matched at 0.6': 'matched by dlib',
           'SSIM outside face': 'photo kept (SSIM outside the face)', 'sharpness': 'detail in the face (1 = as sharp as the photo)'}


def summary(rows:list) -> str:
    "The summary page from the attacker table's rows (dicts of its CSV)."
    missing = [m for m in ROWS if not any(r['method'] == m for r in rows)]
    keep = sorted((r for r in rows if r['method'] in ROWS), key=lambda r: (r['data'], list(ROWS).index(r['method'])))
    lines = ['| data | method | ' + ' | '.join(COLUMNS.values()) + ' |', '|---|---|' + '---|' * len(COLUMNS)]
    lines += [f"| {r['data']} | {ROWS[r['method']]} | " + ' | '.join(r[c] for c in COLUMNS) + ' |' for r in keep]
    note = (f"\n\nNot in the attacker table yet: {', '.join(missing)} (rerun `nbs/07b_attackers.ipynb` with the data)."
            if missing else '')
    return ('# faceobf at a glance\n\n' + '\n'.join(lines) + '\n\n'
            "dlib's face recogniser with a clean gallery of each person, attacking the protected photos; chance of rank 1 is "
            "about 4.5% on `celeba-6k` test (22 people) and under 1% on `celeba-wild-dev`. The rows are those of "
            "[`evaluation/methods.md`](evaluation/methods.md), where the protocol, data, models and machine are written."
            + note + '\n\nWritten by `python scripts/summary_table.py` from `reports/evaluation/methods.csv`.\n')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--methods', default='reports/evaluation/methods.csv', help='the attacker table (CSV) of nbs/07b_attackers')
    ap.add_argument('--out', default='reports/summary.md', help='the page to write')
    a = ap.parse_args(argv)
    src = Path(a.methods)
    if not src.is_file():
        sys.exit(f"summary_table.py: {src} is missing; run nbs/07b_attackers.ipynb (./run.sh report ../shared/data) first")
    with open(src, newline='') as f: rows = list(csv.DictReader(f))
    Path(a.out).write_text(summary(rows))
    print(f'wrote {a.out}')


if __name__ == '__main__':
    main()
