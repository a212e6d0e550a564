"""Train the `gan-gpu` generator on a GPU machine under JAX, and measure training throughput there.

    KERAS_BACKEND=jax python scripts/train_generator_gpu.py data/gpu/train.npz --out OUT --minutes 6 --bench

Reads the compact file written by scripts/pack_training_arrays.py (no dlib, no CelebA folder needed), the
shipped attribute classifier for the attribute loss, and writes OUT/recon.keras (float32, ready to ship),
its card recon.json, the per-epoch log log.csv and, with --bench, bench.json: training images/s of the
report's U-Net in float32 (batch 16) and in bfloat16 (the `gpu` preset, batch 32), and of one adversarial
step of `gan-gpu` in bfloat16 and in float32. See scripts/train_generator_gpu.sh for the device call."""
import argparse, json, time
from dataclasses import replace
from pathlib import Path

import numpy as np


def load_arrays(path):
    from faceobf.dataset import decode_crops
    with np.load(path) as z:
        size = tuple(int(v) for v in z['size'])
        out = {name: dict(crops=decode_crops(z[f'{name}_crops_data'], z[f'{name}_crops_offsets'], size),
                          landmarks=z[f'{name}_landmarks'], attrs=z[f'{name}_attrs'], identity=z[f'{name}_identity'])
               for name in ('train', 'val')}
        out['digests'] = [str(d) for d in z['digests']]
    return out


def bench_recon(preset, arrays, steps=30):
    "Training images/s of the reconstruction network of `preset` with `model.fit` (after a compiling epoch)."
    from faceobf.reconnet import build_reconnet, recon_xy
    n = preset.batch_size * steps
    x, y = recon_xy({k: v[:n] for k, v in arrays.items()})
    net = build_reconnet(preset)
    t = time.perf_counter(); net.fit(x, y, batch_size=preset.batch_size, epochs=1, verbose=0); first = time.perf_counter() - t
    t = time.perf_counter(); net.fit(x, y, batch_size=preset.batch_size, epochs=1, verbose=0); dt = time.perf_counter() - t
    return dict(network=f'recon {preset.name}', precision=preset.precision, batch=preset.batch_size, images=n,
                first_epoch_s=round(first, 1), images_per_s=round(n / dt, 1))


def bench_gan(preset, arrays, fac, steps=30):
    "Images/s of the adversarial step (critic + generator update) of `preset`, batches built on the host included."
    from faceobf.adversarial import GeneratorTrainer, editing_batch
    trainer, rng, bs = GeneratorTrainer(preset, fac), np.random.default_rng(0), preset.batch_size
    t = time.perf_counter(); trainer.train_step(editing_batch(arrays, np.arange(bs), preset, rng)); first = time.perf_counter() - t
    t = time.perf_counter()
    for k in range(steps): trainer.train_step(editing_batch(arrays, np.arange(k * bs, (k + 1) * bs) % len(arrays['crops']), preset, rng))
    dt = time.perf_counter() - t
    return dict(network=f'generator {preset.name} (adversarial step)', precision=preset.precision, batch=bs, images=bs * steps,
                first_step_s=round(first, 1), images_per_s=round(bs * steps / dt, 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('arrays', help='the .npz from scripts/pack_training_arrays.py')
    ap.add_argument('--out', required=True, help='folder for recon.keras, recon.json, log.csv, bench.json')
    ap.add_argument('--preset', default='gan-gpu', help='the generator preset to train (default gan-gpu)')
    ap.add_argument('--epochs', type=int, default=None, help="epochs (default: the preset's)")
    ap.add_argument('--minutes', type=float, default=None, help='stop after the epoch that ends past this many minutes')
    ap.add_argument('--bench', action='store_true', help='then measure training throughput (bench.json)')
    ap.add_argument('--bench-steps', type=int, default=30, help='timed steps per benchmark row (default 30)')
    ap.add_argument('--limit', type=int, default=None, help='train on the first LIMIT faces only (a quick check)')
    ap.add_argument('--width', type=float, default=None, help="the generator's width multiplier (default: the preset's)")
    ap.add_argument('--set', nargs='*', default=[], metavar='FIELD=NUMBER', help='change preset fields, e.g. attribute_weight=0.5')
    args = ap.parse_args()
    import keras
    from faceobf.core import environment
    from faceobf.training import get_preset, load_model_with_card
    import faceobf.attributes  # noqa: F401  (registers the classifier's loss and metric for loading)
    from faceobf.adversarial import train_generator
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    env = environment()
    print(json.dumps(env), flush=True)
    data = load_arrays(args.arrays)
    if args.limit: data['train'] = {k: v[:args.limit] for k, v in data['train'].items()}
    fac, fac_card = load_model_with_card(Path(faceobf.attributes.__file__).parent/'models'/'fac.keras')
    print(f"{len(data['train']['crops']):,} training faces, {len(data['val']['crops']):,} validation faces; backend {keras.backend.backend()}", flush=True)
    t = time.time()
    changes = {k: float(v) for k, v in (kv.split('=', 1) for kv in args.set)}
    if args.width: changes['width'] = args.width
    preset = get_preset('recon', args.preset, **changes)
    print(preset, flush=True)
    train_generator(preset, data['train'], data['val'], out/'model', fac, epochs=args.epochs, minutes=args.minutes, overwrite=True,
                    data=dict(train=data['digests'], n_train=len(data['train']['crops']), fac=fac_card.get('preset', {}).get('name')))
    print(f'trained in {time.time() - t:.0f} s', flush=True)
    for name in ('recon.keras', 'recon.json', 'log.csv'): (out/'model'/name).rename(out/name)
    print((out/'log.csv').read_text(), flush=True)
    if args.bench:  # after the training, so that a failure here loses nothing
        rows = []
        for p in (get_preset('recon', 'paper'), get_preset('recon', 'gpu')):
            rows.append(bench_recon(p, data['train'], args.bench_steps)); print(rows[-1], flush=True)
        for p in (preset, replace(preset, precision='float32')):
            rows.append(bench_gan(p, data['train'], fac, args.bench_steps)); print(rows[-1], flush=True)
        (out/'bench.json').write_text(json.dumps(dict(environment=env, rows=rows), indent=1))


if __name__ == '__main__':
    main()
