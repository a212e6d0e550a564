"""Train the `gan-small` generator on this machine's CPU, timed, and grade it beside the shipped default.

    ./run.sh faceobf ...   (not needed: run this with the venv's python)
    .venv/bin/python scripts/cpu_generator_benchmark.py data/cache/celeba-6k [--out data/models/gan-small]
        [--report reports/generator] [--faces 200] [--epochs N]

Trains with `faceobf train-recon CACHE --preset gan-small` (every epoch of the preset unless --epochs), measures the
wall-clock time of that command, then grades the result with the judge (faceobf/models/judge, an attribute classifier
that no generator trained against) on `--faces` test faces of the cache, as nbs/07d_generators grades generators, next to
the shipped default. Writes cpu.md and cpu.json into --report. Resumes an interrupted training (the command does).
"""
import argparse, subprocess, sys, time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('cache', help='stage-1 cache whose train split trains and whose test split grades (e.g. data/cache/celeba-6k)')
    ap.add_argument('--out', default='data/models/gan-small', help='model folder (created; resumed when it holds a checkpoint)')
    ap.add_argument('--report', default='reports/generator', help='folder for cpu.md and cpu.json')
    ap.add_argument('--faces', type=int, default=200, help='test faces graded by the judge')
    ap.add_argument('--epochs', type=int, default=None, help="epochs (default: the preset's)")
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    cache, out = Path(a.cache), Path(a.out)
    if not (cache/'manifest.json').is_file(): sys.exit(f"{cache}: not a stage-1 cache (no manifest.json); build it with faceobf prepare")

    cmd = [str(Path(sys.executable).parent/'faceobf'), 'train-recon', str(cache), '--preset', 'gan-small', '--out', str(out), '--quiet']
    if a.epochs: cmd += ['--epochs', str(a.epochs)]
    if not (out/'recon.keras').is_file() or (out/'state').exists():  # none yet, or an interrupted run to resume
        t = time.perf_counter()
        done = subprocess.run(cmd)  # a failure after the model was written (its test) still leaves a model to grade
        if not (out/"recon.keras").is_file(): sys.exit(f"training failed ({done.returncode}); no model in {out}")
        train_minutes = (time.perf_counter() - t) / 60
    else: train_minutes = None  # already trained: the card keeps the time of its runs
    from faceobf.training import load_model_with_card
    from faceobf.generate.shipped import FaceModels, load_models
    from faceobf.dataset import Stage1Cache
    from faceobf.evaluate.generators import grade_generators, generator_rows, load_judge
    from faceobf.core import environment, markdown_table, write_report
    recon, card = load_model_with_card(out/'recon.keras')
    judge, judge_card = load_judge()
    shipped = load_models()
    test = Stage1Cache(cache).split('test')
    pick = np.sort(np.random.default_rng(a.seed).permutation(len(test['files']))[:a.faces])
    test = {k: v[pick] for k, v in test.items()}
    generators = {f"shipped default ({shipped.cards['recon'].get('preset', {}).get('name')}: 1 - SSIM)": shipped,
                  'gan-small, trained here on the CPU': FaceModels(shipped.fac, recon, dict(fac=shipped.cards['fac'], recon=card))}
    graded = grade_generators(judge, test, generators, seed=a.seed)  # as 07d_generators grades them
    env = environment()
    from faceobf.training import get_preset
    preset_epochs = get_preset('recon', 'gan-small').epochs
    from faceobf.training import read_log
    epoch_seconds = [float(x) for x in read_log(out/'log.csv')['seconds']] if (out/'log.csv').is_file() else []  # every epoch, over resumed runs too
    per_epoch = float(np.mean(epoch_seconds)) if epoch_seconds else None
    rows = generator_rows(graded)
    page = (f"# The adversarial recipe on a CPU: `gan-small`\n\nWritten by `scripts/cpu_generator_benchmark.py {a.cache}` on "
            f"{time.strftime('%Y-%m-%d')}. Machine: {env['machine']}; Keras {env['keras']} on {env['backend']}.\n\n"
            f"Training: `{' '.join(['faceobf'] + cmd[1:])}`, {card.get('epochs')} epochs on {card.get('data', {}).get('n_train', '?'):,} faces: "
            + (f"the epochs' own times (log.csv) add up to **{sum(epoch_seconds) / 60:.1f} min** "
               f"({', '.join(f'{x:.0f}' for x in epoch_seconds)} s), {per_epoch / 60:.1f} min an epoch"
               + (f", so the preset's {preset_epochs} epochs would take about {per_epoch * preset_epochs / 60:.0f} min (extrapolated)"
                  if len(epoch_seconds) != preset_epochs else "") + ". " if per_epoch else "")
            + (f"This invocation of the command took {train_minutes:.1f} min of wall-clock time (start-up, the epochs it trained, test)"
               + (", resuming an interrupted run." if len(epoch_seconds) > card.get('epochs_this_run', len(epoch_seconds)) else ".")
               if train_minutes is not None else "Trained by an earlier run (see the model card).")
            + f"\n\nGraded by the judge ({judge_card.get('preset', {}).get('name')} preset, in no generator's loss) on {len(pick)} faces of the "
            f"`{cache.name}` test split, `paper` attributes flipped, donor geometry, both drawn as `faceobf obfuscate` draws by default (tone kept, donors "
            f"exaggerated; the measures of `reports/evaluation/generator.md`):\n\n"
            f"{markdown_table(rows)}\n")
    write_report(a.report, 'cpu', page, dict(train_minutes=train_minutes, seconds_per_epoch=per_epoch, epoch_seconds=epoch_seconds, preset_epochs=preset_epochs,
                                             epochs=card.get('epochs'), card_preset=card.get('preset'), graded=graded, faces=len(pick), environment=env,
                                             command=' '.join(['faceobf'] + cmd[1:])))
    print(page)


if __name__ == '__main__': main()
