"""Build the donor bank that `--geometry donor` draws from: landmark shapes of the train splits of stage-1 caches.

Usage: python scripts/build_donor_bank.py CACHE_DIR [CACHE_DIR ...] --out faceobf/models/donors.npz [--shapes 3000] [--seed 0]
Writes the bank and its card (donors.json: the caches' digests, counts, licence) beside it."""
import argparse
import json

from faceobf.core import atomic_write, environment
from faceobf.dataset import Stage1Cache
from faceobf.generate.geometry import build_donor_bank
from faceobf.training import MODEL_LICENCE, cache_digest


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('caches', nargs='+', help='stage-1 caches (faceobf prepare) whose train splits give the shapes')
    p.add_argument('--out', required=True, help='the bank file (.npz); its card goes beside it as .json')
    p.add_argument('--shapes', type=int, default=3000, help='shapes kept, drawn at random (default: %(default)s)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    caches = [Stage1Cache(c) for c in args.caches]
    sizes = {tuple(c.size) for c in caches}
    if len(sizes) != 1: raise SystemExit(f'the caches hold crops of different sizes: {sorted(sizes)}')
    bank = build_donor_bank([c.split('train') for c in caches], sizes.pop(), args.shapes, args.seed)
    out = bank.save(args.out)
    card = dict(kind='donor bank: 68-point landmark shapes in aligned-crop units (x / width, y / height), with CelebA identities',
                shapes=len(bank), people=int(len(set(bank.identity.tolist()))), seed=args.seed, data=[cache_digest(c.dir) for c in caches],
                split='train', licence=MODEL_LICENCE, faceobf=environment()['faceobf'])
    with atomic_write(out.with_suffix('.json')) as tmp: tmp.write_text(json.dumps(card, indent=1))
    print(f'{bank} -> {out} ({out.stat().st_size / 1e6:.2f} MB)')


if __name__ == '__main__':
    main()
