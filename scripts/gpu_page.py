"""Write reports/generator/gpu.md, the page about training on a GPU, from the numbers that the GPU runs left behind.

    python scripts/gpu_page.py [--out reports/generator/gpu.md]

Reads, and measures nothing:
  reports/generator/gpu_bench.json          the throughput rows and environment of `scripts/train_generator_gpu.py --bench`
  reports/generator/edit_training_log.jsonl one line per epoch of the training of the shipped `edit` generator
  faceobf/models/edit/recon.json            that generator's card (preset, loss weights, data, date)
Every number on the page is read or computed from these files (ratios, sums, the best epoch); what they do not record
(the GPU's name, the command line used on the GPU machine) is not on the page. Run it again after replacing any of them.
"""
import argparse
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
GEN = REPO/'reports'/'generator'
LOSSES = ('reconstruction', 'attributes', 'adversarial', 'critic', 'tone')


def shown(path) -> str:
    "`path` relative to the repository when it lies inside it (so that the page does not depend on where it was run)."
    p = Path(path).resolve()
    return str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(path)


def read_inputs(bench_path, log_path, card_path):
    "The three inputs, or a one-line exit naming the file that is missing or unreadable."
    try:
        bench = json.loads(Path(bench_path).read_text())
        log = [json.loads(line) for line in Path(log_path).read_text().splitlines() if line.strip()]
        card = json.loads(Path(card_path).read_text())
    except (OSError, ValueError) as e:
        sys.exit(f"{getattr(e, 'filename', None) or 'an input'}: cannot read it ({e.__class__.__name__}); "
                 "restore it from git (git checkout -- reports/generator faceobf/models/edit)")
    if not log or not bench.get('rows'): sys.exit(f'{log_path} or {bench_path}: empty; restore them from git')
    return bench, log, card


def row(rows, network, precision):
    hit = [r for r in rows if r['network'].startswith(network) and r['precision'] == precision]
    if len(hit) != 1: sys.exit(f"gpu_bench.json: expected one row '{network}' in {precision}, found {len(hit)}")
    return hit[0]


def bench_section(bench) -> str:
    env, rows = bench['environment'], bench['rows']
    keys = ['network', 'precision', 'batch', 'images', 'first_epoch_s', 'first_step_s', 'images_per_s']
    table = [{k: r.get(k, '') for k in keys} for r in rows]
    steps = sorted({r['images'] // r['batch'] for r in rows})
    paper, gpu = row(rows, 'recon paper', 'float32'), row(rows, 'recon gpu', 'mixed_bfloat16')
    gan16, gan32 = row(rows, 'generator', 'mixed_bfloat16'), row(rows, 'generator', 'float32')
    recon_ratio = gpu['images_per_s'] / paper['images_per_s']
    gan_ratio = gan16['images_per_s'] / gan32['images_per_s']
    gan_words = ('no faster than' if abs(gan_ratio - 1) < 0.05 else f'{gan_ratio:.2f} times as fast as')
    from faceobf.core import markdown_table
    return f"""# Training on a GPU

Throughput measured under {env['backend']} {env['backend_version']} with Keras {env['keras']} and Python {env['python']}
on devices {', '.join(env['devices'])} of a machine with {env['machine']}. The rows have the fields that
`scripts/train_generator_gpu.py --bench` writes into bench.json (`scripts/train_generator_gpu.sh` is its call on a GPU
machine); the file does not record the command line of this run nor the GPU's model. Each row times
{' or '.join(map(str, steps))} training steps (images / batch) after a first epoch (reconstruction network) or step (generator)
that compiles, timed apart.

{markdown_table(table)}

At batch {gpu['batch']} in bfloat16 mixed precision (the `gpu` preset) the report's U-Net trains {recon_ratio:.1f} times as many
images a second as at batch {paper['batch']} in float32 (the `paper` preset). One adversarial step of `gan-gpu` (critic and
generator updates, the batches built on the host counted in) runs in bfloat16 {gan_words} in float32: {gan16['images_per_s']} against
{gan32['images_per_s']} images/s, a ratio of {gan_ratio:.2f}; its first step, timed apart, is the one
shorter in bfloat16 ({gan16['first_step_s']} s against {gan32['first_step_s']} s).
"""


def training_section(log, card) -> str:
    preset, last = card['preset'], log[-1]
    best = max(log, key=lambda r: r['val_ssim'])
    lowest = min(log, key=lambda r: r['reconstruction'])
    seconds = sum(r['seconds'] for r in log)
    later = statistics.median(r['images_per_s'] for r in log[1:]) if len(log) > 1 else last['images_per_s']
    shown_epochs = sorted({r['epoch'] for r in log[::6]} | {last['epoch'], best['epoch']})
    table = [dict(epoch=r['epoch'], **{k: r[k] for k in LOSSES}, val_ssim=r['val_ssim'], images_per_s=r['images_per_s'])
             for r in log if r['epoch'] in shown_epochs]
    same = 'the same epochs as' if card.get('log') == log else 'NOT the same epochs as'
    weights = ', '.join(f'{k} {preset[k]}' for k in ('attribute_weight', 'adversarial_weight', 'tone_weight', 'learning_rate',
                                                     'critic_learning_rate') if k in preset)
    n_train = card.get('data', {}).get('n_train')
    from faceobf.core import markdown_table
    return f"""## The shipped `edit` generator

`faceobf/models/edit/{card['model']}` is a `{preset['name']}` generator ({preset['recipe']} recipe, width {preset['width']},
{preset['precision']}, batch {preset['batch_size']};
{weights}) trained on {n_train:,} faces; its card is dated {card['date']}
and records {card['epochs']} epochs ({same} `edit_training_log.jsonl`). The epochs took {seconds:.1f} s in all, the first
alone {log[0]['seconds']} s; from the second on, the median epoch trained {later:.1f} images/s. The best validation
SSIM, {best['val_ssim']}, came at epoch {best['epoch']} (the card's best epoch: {card.get('best_epoch')}); the lowest reconstruction
loss, {lowest['reconstruction']}, at epoch {lowest['epoch']}. Every sixth epoch, the last and the best (losses are means over
the epoch; val_ssim: SSIM of the validation faces put back unedited; images_per_s: training steps only):

{markdown_table(table)}
"""


def page(bench_path, log_path, card_path) -> str:
    bench, log, card = read_inputs(bench_path, log_path, card_path)
    return (bench_section(bench) + '\n' + training_section(log, card) + '\n'
            f"Written by `python scripts/gpu_page.py` from `{shown(bench_path)}`, `{shown(log_path)}` and `{shown(card_path)}`.\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bench', default=GEN/'gpu_bench.json', help='throughput rows and environment (default reports/generator/gpu_bench.json)')
    ap.add_argument('--log', default=GEN/'edit_training_log.jsonl', help='per-epoch log (default reports/generator/edit_training_log.jsonl)')
    ap.add_argument('--card', default=REPO/'faceobf'/'models'/'edit'/'recon.json', help="the shipped generator's card (default faceobf/models/edit/recon.json)")
    ap.add_argument('--out', default=GEN/'gpu.md', help='the page to write (default reports/generator/gpu.md)')
    a = ap.parse_args(argv)
    text = page(a.bench, a.log, a.card)
    from faceobf.core import atomic_write
    with atomic_write(Path(a.out)) as tmp: tmp.write_text(text)
    print(shown(a.out))


if __name__ == '__main__': main()
