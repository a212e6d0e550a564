"""Table 3 against an attacker who knows the method: does faceobf hide the face as well as the mask does?

    .venv/bin/python scripts/adaptive_attacker.py ../shared/data [--draws 4] [--first-seed 0] [--tone-drawn]
                     [--adaptive blur mask context faceobf] [--name adaptive_attacker] [--report reports/evaluation]
    .venv/bin/python scripts/adaptive_attacker.py --pool RUN.json RUN2.json ... [--name adaptive_attacker_pooled]

Table 3 (nbs/07c_table3) trains the report's recogniser on original photos and tests it on each method's
output. A black ellipse is something that recogniser has never seen, so part of the mask's low score may be
surprise rather than missing identity. This script takes every identity of celeba-6k's test split with 15 or
more photos in the stage-1 cache (15 photos each), runs original, blur, mask and faceobf (the default:
donor geometry, verified) over them, builds the context-only crops (the mask's ellipse inpainted), and for
each of `--draws` identity draws (07c's protocol: 20 people, 270 training and 30 held-out photos, seeds
first-seed..) trains the recogniser on the originals (Table 3) and once more on each `--adaptive` method's own
output of the training photos ("attacker trained on it"). `--tone-drawn` adds faceobf with the network's own
colours (`--tone drawn`) to tell what keeping the face's mean colour gives away. Writes NAME.md and .json
into --report. `--pool` reads the draws of earlier runs' .json files (no data needed) and writes, per setting
found in every run, the mean over all their draws, and faceobf's paired difference from the mask per draw
(the same held-out photos), for both attackers.
celeba-wild-dev has too few photos per person for this protocol (it needs 15).
"""
import argparse, sys, time
from functools import partial
from pathlib import Path

import numpy as np

METHODS = ['original', 'blur', 'mask', 'faceobf donor+verify']
DRAWN = 'faceobf donor+verify, tone drawn'
SHORT = {'blur': 'blur', 'mask': 'mask', 'context': 'context only (face inpainted)', 'faceobf': 'faceobf donor+verify', 'drawn': DRAWN}


def build_methods(tone_drawn:bool) -> dict:
    "07b's methods named in METHODS, and faceobf with tone drawn when asked (built in each worker process)."
    from faceobf.evaluate.attackers import methods_for
    from faceobf.generate.obfuscator import Obfuscator
    methods = methods_for(None, METHODS)
    if tone_drawn:
        drawn = Obfuscator('unet', tone='drawn')
        methods[DRAWN] = lambda photo, faces, identity=None: drawn(photo, faces, exclude_identity=identity)
    return methods


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data', nargs='?', help='folder holding celeba-6k (e.g. ../shared/data)')
    ap.add_argument('--pool', nargs='+', metavar='JSON', help="pool the draws of these runs' .json files instead of running")
    ap.add_argument('--cache', default='data/cache/celeba-6k', help="celeba-6k's stage-1 cache (faceobf prepare)")
    ap.add_argument('--draws', type=int, default=4, help='identity draws')
    ap.add_argument('--first-seed', type=int, default=0, help='draw k uses seed first-seed + k')
    ap.add_argument('--adaptive', nargs='+', choices=list(SHORT), default=['blur', 'mask', 'context', 'faceobf'],
                    help='settings that also get an attacker trained on their own output')
    ap.add_argument('--tone-drawn', action='store_true', help="add faceobf with the network's colours (--tone drawn)")
    ap.add_argument('--name', default='adaptive_attacker', help='file stem of the report')
    ap.add_argument('--recognizer', default='small', help="the recogniser's preset (07c's `recognizer`)")
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--report', default='reports/evaluation', help='folder for NAME.md and .json')
    a = ap.parse_args()
    if a.pool: return pool(a)
    if a.data is None: ap.error('give the data folder (e.g. ../shared/data), or --pool with earlier runs')
    if not (Path(a.cache)/'manifest.json').is_file(): sys.exit(f"{a.cache}: no stage-1 cache; build it with `./run.sh faceobf prepare`")
    if not (Path(a.data)/'celeba-6k').is_dir(): sys.exit(f"{a.data}: no celeba-6k here; see data/README.md")
    if 'drawn' in a.adaptive and not a.tone_drawn: sys.exit("--adaptive drawn needs --tone-drawn")
    from faceobf.core import markdown_table, environment, write_report
    from faceobf.dataset import load_celeba, Stage1Cache
    from faceobf.evaluate.attackers import evaluate_photos
    from faceobf.evaluate.table3 import table3_draws, table3_rows, trained_on_it, CONTEXT_ONLY
    from faceobf.training import get_preset
    ix = load_celeba(Path(a.data)/'celeba-6k', 'img_align_celeba')
    test = Stage1Cache(a.cache).split('test')
    rng = np.random.default_rng(0)
    files, ids = [], []
    for ident in np.unique(test['identity']):
        mine = test['files'][test['identity'] == ident]
        if len(mine) >= 15: files += list(rng.permutation(mine)[:15]); ids += [ident] * 15
    t0 = time.perf_counter()
    run = evaluate_photos([ix.image_dir/f for f in files], ids, partial(build_methods, a.tone_drawn), attack=False, workers=a.workers)
    t_photos = time.perf_counter() - t0
    print(f"{len(run['index'])} of {len(files)} photos kept ({len(set(ids))} people), {t_photos:.0f} s", flush=True)
    preset = get_preset('recognizer', a.recognizer)
    n_ids = min(20, int((np.unique(run['identity'], return_counts=True)[1] >= 15).sum()))
    adaptive = [SHORT[k] for k in a.adaptive]
    t0 = time.perf_counter()
    draws = table3_draws(run, preset, range(a.first_seed, a.first_seed + a.draws), n_identities=n_ids, adaptive=adaptive)
    t_draws = time.perf_counter() - t0
    names = ['original', 'blur', 'mask', CONTEXT_ONLY, 'faceobf donor+verify'] + [DRAWN] * a.tone_drawn
    rows = []
    for name in names:
        kind = {r['image setting']: r for r in table3_rows(draws, [name, trained_on_it(name)])}
        rows.append({'image setting': name, 'recogniser trained on originals (Table 3)': kind[name]['test accuracy (mean ± sd)'],
                     'recogniser trained on this setting': '(same)' if name == 'original' else
                     kind.get(trained_on_it(name), {}).get('test accuracy (mean ± sd)', '-')})
    env = environment()
    command = ' '.join(['scripts/adaptive_attacker.py', *sys.argv[1:]])
    page = (f"# Table 3 against an attacker who knows the method\n\nWritten by `{command}` on "
            f"{time.strftime('%Y-%m-%d')}. Test accuracy of the report's recogniser (preset `{preset.name}`, {preset.epochs} epochs), mean ± sample sd "
            f"over {a.draws} identity draws (seeds {a.first_seed}-{a.first_seed + a.draws - 1}) of {n_ids} people (chance {1 / n_ids:.0%}), each with {draws[0]['n_train']} training and "
            f"{draws[0]['n_test']} held-out photos from the {len(set(run['identity']))} people of `celeba-6k`'s test split with 15 photos or more. "
            "Left: trained on the original training photos (07c's Table 3). Right: trained on the same photos as the setting left them, "
            "and tested on the held-out photos as the setting left them. faceobf: the shipped models, donor geometry, `paper` attributes, "
            "verified (the default); tone drawn: the same with the network's own colours. `celeba-wild-dev` has too few photos per person for this protocol. "
            f"Machine: {env['machine']}; Keras {env['keras']} on {env['backend']}; {t_photos:.0f} s of obfuscation, {t_draws:.0f} s of training.\n\n"
            f"{markdown_table(rows)}\n")
    write_report(a.report, a.name, page, dict(rows=rows, draws=draws, environment=env, photos=len(run['index']),
                                                          people=len(set(run['identity'])), recognizer=preset.name, epochs=preset.epochs))
    print(page)


def pool(a):
    "Write the pooled page of the runs in `a.pool`."
    import json
    from faceobf.core import markdown_table, write_report
    from faceobf.evaluate.table3 import table3_rows, trained_on_it
    runs = []
    for path in a.pool:
        try: runs.append(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as e: sys.exit(f"{path}: not a report of this script ({e})")
        if 'draws' not in runs[-1]: sys.exit(f"{path}: not a report of this script (no draws)")
    draws = [d for r in runs for d in r['draws']]
    seeds = [d['seed'] for d in draws]
    if len(set(seeds)) < len(seeds): sys.exit(f"the runs share seeds {sorted(s for s in set(seeds) if seeds.count(s) > 1)}: they would count the same draw twice")
    keys = [k for k in draws[0] if isinstance(draws[0][k], float) and k != 'train_accuracy' and all(k in d for d in draws)]
    rows = [{'setting': r['image setting'], 'draws': r['draws'], 'accuracy (mean ± sd)': r['test accuracy (mean ± sd)']}
            for r in table3_rows(draws, keys)]
    gaps = []
    for name, f, m in (('trained on originals (Table 3)', 'faceobf donor+verify', 'mask'),
                       ('trained on the setting', trained_on_it('faceobf donor+verify'), trained_on_it('mask'))):
        if f in keys and m in keys:
            diff = 100 * np.array([d[f] - d[m] for d in draws])
            gaps.append({'recogniser': name, 'draws': len(diff), 'faceobf minus mask, mean': f"{diff.mean():+.1f} points",
                         'standard error': f"{diff.std(ddof=1) / np.sqrt(len(diff)):.1f}", 'per draw': ' '.join(f"{x:+.1f}" for x in diff)})
    page = (f"# Table 3 against an attacker who knows the method: runs pooled\n\nWritten by `scripts/adaptive_attacker.py --pool "
            f"{' '.join(a.pool)}` on {time.strftime('%Y-%m-%d')}: the {len(draws)} draws (seeds {', '.join(map(str, seeds))}) of "
            f"{len(runs)} runs, each a 20-way test of 30 held-out photos. Settings: those in every run.\n\n{markdown_table(rows)}\n\n"
            "faceobf's accuracy minus the mask's, per draw (the same held-out photos, and for the attacker trained on the setting, each "
            f"trained on its own method's output):\n\n{markdown_table(gaps) if gaps else '(no run had both)'}\n")
    write_report(a.report, a.name if a.name != 'adaptive_attacker' else 'adaptive_attacker_pooled', page, dict(rows=rows, gaps=gaps, runs=list(a.pool), seeds=seeds))
    print(page)


if __name__ == '__main__':
    main()
