"""Pack the training split of stage-1 caches (and some validation faces) into one compact file for a GPU machine.

    python scripts/pack_training_arrays.py data/cache/celeba-6k data/cache/celeba-10k-89px --val data/cache/celeba-6k --out data/gpu/train.npz

The crops stay JPEG-encoded as in the caches (a few kB each), so the development sets travel in about 45 MB.
Nothing of it is committed (data/ is ignored by git)."""
import argparse
from pathlib import Path

import numpy as np

from faceobf.core import atomic_write
from faceobf.dataset import Stage1Cache, merge_splits, encode_crops
from faceobf.training import cache_digest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('caches', nargs='+', help='stage-1 cache folders whose train split is packed')
    ap.add_argument('--val', required=True, help='the cache whose val split gives the validation faces')
    ap.add_argument('--val-faces', type=int, default=512, help='validation faces to pack (default 512)')
    ap.add_argument('--out', required=True, help='the .npz file to write')
    args = ap.parse_args()
    train = merge_splits([Stage1Cache(c) for c in args.caches], 'train')
    val = {k: v[:args.val_faces] for k, v in Stage1Cache(args.val).split('val').items()}
    out = {}
    for name, arrays in (('train', train), ('val', val)):
        data, offsets = encode_crops(arrays['crops'])
        out.update({f'{name}_crops_data': data, f'{name}_crops_offsets': offsets, f'{name}_landmarks': arrays['landmarks'],
                    f'{name}_attrs': arrays['attrs'], f'{name}_identity': arrays['identity']})
    digests = [cache_digest(c) for c in args.caches]
    path = Path(args.out); path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as tmp, open(tmp, 'wb') as f:
        np.savez(f, size=np.array(train['crops'].shape[1:3]), digests=np.array([str(d) for d in digests]), **out)
    print(f"{path}: {len(train['crops']):,} training and {len(val['crops']):,} validation faces, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == '__main__':
    main()
