"""Build the donor bank that `--geometry donor` draws from: landmark shapes of the train splits of stage-1 caches.

Usage: python scripts/build_donor_bank.py CACHE_DIR [CACHE_DIR ...] --out faceobf/models/donors.npz [--shapes 3000] [--seed 0]
       python scripts/build_donor_bank.py CACHE_DIR [CACHE_DIR ...] --label faceobf/models/donors.npz
Writes the bank, with CelebA's 40 labels of each shape's photo, and its card (donors.json: the caches' digests, counts, licence)
beside it. --label keeps the shapes of an existing bank and adds the labels, found in the caches by identity and shape (an
error if a shape is in none of them)."""
import argparse
import json
from pathlib import Path

from faceobf.core import atomic_write, environment
from faceobf.dataset import Stage1Cache
from faceobf.generate.geometry import build_donor_bank, label_donor_bank, load_donor_bank
from faceobf.landmarks import ModelFileError
from faceobf.training import MODEL_LICENCE, cache_digest


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('caches', nargs='+', help='stage-1 caches (faceobf prepare) whose train splits give the shapes')
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument('--out', help='the bank file (.npz) to draw; its card goes beside it as .json')
    where.add_argument('--label', metavar='BANK', help="an existing bank (.npz) whose shapes get their photos' labels, in place")
    p.add_argument('--shapes', type=int, default=3000, help='shapes kept, drawn at random (default: %(default)s)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    caches = [Stage1Cache(c) for c in args.caches]
    sizes = {tuple(c.size) for c in caches}
    if len(sizes) != 1: raise SystemExit(f'the caches hold crops of different sizes: {sorted(sizes)}')
    arrays, size = [c.split('train') for c in caches], sizes.pop()
    if args.label:
        path = Path(args.label)
        try: bank = label_donor_bank(load_donor_bank(path), arrays, size)
        except ModelFileError as e: raise SystemExit(f'build_donor_bank: {e}') from None  # the message names the file
        except ValueError as e: raise SystemExit(f'build_donor_bank: {path}: {e}') from None
        out = bank.save(path)
        old = json.loads(out.with_suffix('.json').read_text()) if out.with_suffix('.json').is_file() else {}
        card = dict(old, labelled_from=[cache_digest(c.dir) for c in caches])
    else:
        bank = build_donor_bank(arrays, size, args.shapes, args.seed)
        out = bank.save(args.out)
        card = dict(shapes=len(bank), people=int(len(set(bank.identity.tolist()))), seed=args.seed, data=[cache_digest(c.dir) for c in caches],
                    split='train', licence=MODEL_LICENCE, faceobf=environment()['faceobf'])
    card.update(kind='donor bank: 68-point landmark shapes in aligned-crop units (x / width, y / height), with CelebA identities and '
                     "CelebA's 40 labels of each shape's photo")
    with atomic_write(out.with_suffix('.json')) as tmp: tmp.write_text(json.dumps(card, indent=1))
    print(f'{bank} -> {out} ({out.stat().st_size / 1e6:.2f} MB)')


if __name__ == '__main__':
    main()
