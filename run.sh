#!/usr/bin/env bash
# faceobf's one entry point for set-up and routine jobs. The first call builds .venv from
# the pinned requirements.txt; later calls reuse it (it is rebuilt when requirements.txt or
# pyproject.toml change).
#
#   ./run.sh demo               the main job on the embedded sample photos -> output/demo/ (ignored by git)
#   ./run.sh test               the whole test suite (what CI runs)
#   ./run.sh report DATA_ROOT [--preset small|paper] [--epochs N] [--draws N] [--photos N]
#                 [--seed N] [--out DIR] [--only 06,07] [--train SET,SET] [--eval SET] [--wild SET]
#                               regenerate reports/ from a CelebA folder: every report notebook
#                               run by papermill (defaults: small presets, 2 draws, the
#                               development sets celeba-6k, celeba-10k-89px, celeba-wild-dev);
#                               executed notebooks are kept without images, paths relative
#                               to the repository (scripts/clean_report_notebook.py), and
#                               the figures of CelebA faces stay out of git (.gitignore)
#   ./run.sh faceobf ARGS...    the command line tool inside the venv (e.g. prepare --help)
#   ./run.sh app                the web page on http://127.0.0.1:7860 (this computer only): drop photos, see and
#                               download the results (faceobf.app; nbs/11_app.ipynb)
#   ./run.sh lab                JupyterLab on the notebooks in nbs/, on 127.0.0.1 only
#   ./run.sh timings [NB ...]   run each notebook at its defaults; their times -> reports/notebooks/timings.md
#   ./run.sh models DATA_ROOT   retrain the shipped default models from CelebA data sets
#   ./run.sh readme             regenerate the README's figures (faceobf demo -> reports/demo/), reports/summary.md,
#                               README.md from nbs/index.ipynb and reports/README.md from nbs/results.ipynb
#   ./run.sh venv               only build the virtualenv
set -euo pipefail
cd "$(dirname "$0")"
VENV=${FACEOBF_VENV:-.venv}
STAMP="$VENV/.faceobf-installed"

die() { echo "run.sh: $*" >&2; exit 1; }

find_python() {
  for c in python3.11 python3 python; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

make_venv() {
  local py; py=$(find_python) || die "Python 3.11 or newer is needed (none found on PATH)."
  if ! "$py" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    # Debian ships venv/ensurepip separately; install it when we may, else say how.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "run.sh: installing python3-venv with apt-get" >&2
      apt-get update -qq && apt-get install -y -qq "python3-venv" >/dev/null
      "$py" -m venv "$VENV" || die "could not create $VENV with $py"
    else
      die "$py cannot create a virtualenv: install it with 'sudo apt-get install python3-venv' and run again."
    fi
  fi
}

venv() {
  # the stamp holds a hash of what was installed; the venv is refreshed when that changes
  local want; want=$(cat requirements.txt pyproject.toml | cksum)
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/faceobf" ]; then return 0; fi
  [ -x "$VENV/bin/python" ] || make_venv
  echo "run.sh: installing pinned requirements into $VENV (first run takes a few minutes)" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r requirements.txt
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
  echo "$want" > "$STAMP"
}

cmd=${1:-help}; [ $# -gt 0 ] && shift
case "$cmd" in
  venv) venv ;;
  demo) venv; "$VENV/bin/faceobf" demo --out output/demo "$@" ;;
  test)
    # the browser test (tests/test_app_browser.py) drives Debian's chromium: installed here when we may (as root, as in CI),
    # in the background while the venv and the notebooks are built and run (the download and the tests do not wait on each other)
    chromium_job= chromium_log="${TMPDIR:-/tmp}/faceobf-chromium-install.log"
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
       && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      [ -x "$VENV/bin/python" ] || make_venv  # it may need apt-get itself: before the background job holds apt's lock
      echo "run.sh: installing chromium with apt-get in the background (for the browser test; log: $chromium_log)" >&2
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$chromium_log" 2>&1 &
      chromium_job=$!
    fi
    venv
    export PATH="$PWD/$VENV/bin:$PATH" TF_CPP_MIN_LOG_LEVEL=2
    # The notebooks whose slow cells need data (05g, 06, 07b-d) are run whole by pytest instead (tests/test_notebooks.py:
    # every cell, the slow ones without data, which must say what they skipped), so nbdev-test leaves them out: run once, not twice.
    echo "== notebooks (nbdev-test; 05g, 06, 07b-d in pytest) =="
    nbdev-test --n-workers 2 --timing --cell-timing-min 20 --skip-file-re '^(05g_obfuscator|06_recognizer|07[b-d]_[a-z0-9]+)\.ipynb$'
    if [ -n "$chromium_job" ] && ! wait "$chromium_job"; then
      echo "run.sh: could not install chromium:" >&2; tail -5 "$chromium_log" >&2
    fi
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || echo "run.sh: skipping the browser test (tests/test_app_browser.py): chromium is missing; 'sudo apt-get install chromium' (or ./run.sh test as root) enables it" >&2
    echo "== package and repository (pytest) =="
    # three workers, each test file on one (its fixtures built once): many tests wait on a process they started,
    # so a third worker keeps the 2-core CI machine busy (the suite ran a sixth quicker than with two)
    python -m pytest -q -n 3 --dist loadfile "$@"
    ;;
  report)
    venv
    all_args="$*"
    data=${1:-}; [ $# -gt 0 ] && shift
    if [ -z "$data" ] || [ ! -d "$data" ] || [ "${data#-}" != "$data" ]; then
      echo "run.sh report: give the folder that holds the CelebA data sets (e.g. ../shared/data) first;" >&2
      echo "  ${data:+'$data' is not a folder. }See data/README.md for how to obtain CelebA." >&2
      exit 2
    fi
    out=reports preset=small epochs= draws=2 photos= seed=0 only= train= eval= wild=-
    while [ $# -gt 0 ]; do
      case "$1" in --*) [ $# -ge 2 ] || die "report: $1 needs a value (see ./run.sh help)" ;; esac
      case "$1" in
        --out) out=$2; shift 2 ;;
        --preset) preset=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        --draws) draws=$2; shift 2 ;;
        --photos) photos=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --only) only=,$2,; shift 2 ;;
        --train) train=$2; shift 2 ;;
        --eval) eval=$2; shift 2 ;;
        --wild) wild=$2; shift 2 ;;
        *) die "report: unknown option '$1' (see ./run.sh help)" ;;
      esac
    done
    # the presets every network has, from the one registry (faceobf.training.PRESETS)
    presets=$("$VENV/bin/python" -c 'from faceobf.training import PRESETS; print(" ".join(sorted(set.intersection(*map(set, PRESETS.values())))))')
    case " $presets " in *" $preset "*) ;; *) die "report: --preset is one of: $presets; not '$preset'" ;; esac
    data=$(cd "$data" && pwd); mkdir -p "$out"; out=$(cd "$out" && pwd)
    export TF_CPP_MIN_LOG_LEVEL=2
    # The notebooks' own defaults are short runs for a reader in JupyterLab (minutes each); the report
    # sets the full lengths where they matter: stage 1 on every image into data/cache, and in 07 every
    # test identity of the evaluation set (5 of 15 photos each attacked by dlib), 60 in-the-wild probes
    # and 2 draws of Table 3 (07b-d). To keep the whole report under 30 minutes on 2 cores, the training
    # notebooks run short (02: 2 epochs of the small classifier, 04: 1 epoch of the small network on
    # every face, without 04's throughput benchmark, which its defaults run): the shipped models are
    # trained to the end by ./run.sh models. The cells flagged '#| check' (heavy self-tests that
    # ./run.sh test runs) are left out of the report's runs (scripts/without_checks.py).
    ep=(-p epochs None); rep=(); [ -n "$epochs" ] && ep=(-p epochs "$epochs") && rep=(-p recognizer_epochs "$epochs")
    ep4=("${ep[@]}"); [ -z "$epochs" ] && [ "$preset" = small ] && ep4=(-p epochs 1)
    ep2=("${ep[@]}"); [ -z "$epochs" ] && [ "$preset" = small ] && ep2=(-p epochs 2)
    ph5=(-p eval_photos 30); ph7=(-p wild_photos 60); [ -n "$photos" ] && ph5=(-p eval_photos "$photos") && ph7=(-p wild_photos "$photos")
    # which data sets (folders of DATA_ROOT, caches in data/cache/): the notebooks' defaults are the development subsets
    sets=(); [ -n "$train" ] && sets+=(-y "train_sets: [${train//,/, }]"); ev=(); [ -n "$eval" ] && ev=(-p eval_set "$eval")
    wl=(); [ "$wild" != - ] && wl=(-p wild_set "$wild")
    # The small presets are what the package ships, so reports evaluate the shipped models; with
    # --preset paper the models trained here are gathered in data/models/paper and evaluated.
    models=(); [ "$preset" = paper ] && models=(-p models_dir ../data/models/paper)
    # papermill runs every cell, the slow ones included, and keeps each executed notebook beside
    # its tables. Stage-1 caches and trained models go to data/ (ignored by git) and are reused.
    # Then the executed notebook loses its image outputs (faces) and, like the tables beside it,
    # the machine's absolute paths (written relative to the repository root); a failed run's too.
    pm() { local nb=$1 dir=$2; shift 2
      local id=${nb%%_*}  # 07b, or 04; --only 07 takes every room of 07
      if [ -n "$only" ] && [ "${only#*,$id,}" = "$only" ] && [ "${only#*,${id%%[a-z]},}" = "$only" ]; then echo "skipping $nb (--only)"; return 0; fi
      mkdir -p "$out/$dir"; local t=$SECONDS ok=1 files=()
      local src; src=$(mktemp -d /tmp/tmpXXXXXXXX)/"$nb.ipynb"; "$VENV/bin/python" scripts/without_checks.py "nbs/$nb.ipynb" "$src"
      (cd nbs && "../$VENV/bin/papermill" --cwd . --log-level WARNING "$src" "$out/$dir/$nb.ipynb" \
         -p report_dir "$out/$dir" "$@") || ok=0; rm -rf "$(dirname "$src")"
      mapfile -d '' files < <(find "$out/$dir" -maxdepth 1 -type f \( -name "$nb.ipynb" -o -name '*.json' -o -name '*.md' -o -name '*.csv' \) -print0)
      [ ${#files[@]} = 0 ] || "$VENV/bin/python" scripts/clean_report_notebook.py "${files[@]}" || exit 1
      [ $ok = 1 ] || exit 1; echo "$out/$dir/ written ($((SECONDS - t)) s)"; }
    pm 03_dataset stage1 -p data_root "$data" -p workers "${WORKERS:-2}" -p cache_root ../data/cache -p stage1_images None \
       -p bench_images 200 -p detector_photos 2
    pm 02_attributes attributes -p data_root "$data" -p cache_root ../data/cache -p model_dir "../data/models/fac-$preset" -p preset_name "$preset" -p bench_batches 10 "${ep2[@]}" "${sets[@]}" "${ev[@]}"
    pm 04_reconnet reconnet -p cache_root ../data/cache -p model_dir "../data/models/recon-$preset" -p preset_name "$preset" -p limit None -p bench_batches 0 "${ep4[@]}" "${sets[@]}" "${ev[@]}"
    if [ "$preset" = paper ] && [ -f data/models/fac-paper/fac.keras ] && [ -f data/models/recon-paper/recon.keras ]; then mkdir -p data/models/paper
      cp data/models/fac-paper/fac.keras data/models/fac-paper/fac.json data/models/recon-paper/recon.keras data/models/recon-paper/recon.json data/models/paper/; fi
    pm 05g_obfuscator generation -p data_root "$data" "${ph5[@]}" "${models[@]}"
    pm 06_recognizer recognizer -p cache_root ../data/cache -p preset_name "$preset" -p seed "$seed" "${ep[@]}" "${ev[@]}"
    # the evaluation, in rooms: 07b runs every method over the photos (kept in data/evaluation for the next two),
    # 07c trains the report's recogniser on them (Table 3), 07d grades the generators (07a has no data to read)
    pm 07b_attackers evaluation -p data_root "$data" -p cache_root ../data/cache -p run_dir ../data/evaluation \
       -p max_identities 50 -p attack_per_identity 5 -p workers "${WORKERS:-2}" -p seed "$seed" "${ph7[@]}" "${models[@]}" "${ev[@]}" "${wl[@]}"
    pm 07c_table3 evaluation -p run_dir ../data/evaluation -p recognizer "$preset" -p draws "$draws" -p seed "$seed" "${rep[@]}" "${ev[@]}"
    pm 07d_generators evaluation -p run_dir ../data/evaluation -p cache_root ../data/cache -p generator_faces 150 -p seed "$seed" \
       "${models[@]}" "${ev[@]}"
    "$VENV/bin/python" - "$out" "$all_args" "$data" "$preset" "${epochs:-preset}" "$draws" "${photos:-default}" "$seed" "${train:-default}" "${eval:-default}" "$wild" <<'PY'
import json, sys, glob, os
from faceobf.core import environment
out, args, data, preset, epochs, draws, photos, seed, train, eval_set, wild = sys.argv[1:]
data = os.path.relpath(data)  # relative to the repository root (run.sh runs there), as in the whole of reports/
args = ' '.join(os.path.relpath(a) if os.path.isabs(a) and os.path.isdir(a) else a for a in args.split(' '))
secs = {os.path.relpath(p, out): json.load(open(p))['metadata']['papermill']['duration'] for p in sorted(glob.glob(f'{out}/*/0*.ipynb'))}
run = dict(command=f'./run.sh report {args}',
           parameters=dict(data=data, preset=preset, epochs=epochs, draws=int(draws), photos=photos, seed=int(seed),
                           train_sets=train, eval_set=eval_set, wild_set='default' if wild == '-' else wild),
           notebook_seconds={k: round(v, 1) for k, v in secs.items()}, environment=environment(),
           note='notebook_seconds come from each executed notebook\'s papermill record; with --only, the others are from earlier runs. '
                'epochs=preset: each preset\'s epochs, except the small attribute classifier (2 of its 10) and reconstruction network (1 of its 8), to keep the report under 30 min; the shipped ones are trained by ./run.sh models')
json.dump(run, open(f'{out}/run.json', 'w'), indent=1)
print(f'{out}/run.json written; notebooks took', {k: round(v) for k, v in secs.items()}, 's')
PY
    ;;
  models)
    # Retrain the shipped models (small presets, and the judge) from a folder of CelebA data sets and copy
    # them, without optimizer state, into faceobf/models/.
    venv
    data=${1:-}
    [ -n "$data" ] && [ -d "$data" ] || { echo "run.sh models: give the folder that holds celeba-6k/ and celeba-10k-89px/ (CelebA format); see data/README.md" >&2; exit 2; }
    f="$VENV/bin/faceobf"
    for set in celeba-6k celeba-10k-89px; do "$f" prepare "$data/$set" --out "data/cache/$set" --quiet; done
    "$f" train-fac data/cache/celeba-6k data/cache/celeba-10k-89px --out data/models/fac-small --preset small --overwrite --quiet
    "$f" train-recon data/cache/celeba-6k --out data/models/recon-small --preset small --overwrite --quiet
    # the judge: a second, independent attribute classifier that grades generated faces (07) and is in no training loss
    "$f" train-fac data/cache/celeba-6k data/cache/celeba-10k-89px --out data/models/judge --preset judge --overwrite --quiet
    "$VENV/bin/python" -c 'from faceobf.generate.shipped import ship_model as s; s("data/models/fac-small/fac.keras", "faceobf/models/fac.keras"); s("data/models/recon-small/recon.keras", "faceobf/models/recon.keras"); s("data/models/judge/fac.keras", "faceobf/models/judge/fac.keras")'
    echo "run.sh models: faceobf/models/edit (the adversarial generator, preset gan-gpu) trains on a GPU: see scripts/train_generator_gpu.sh" >&2
    "$VENV/bin/python" scripts/build_donor_bank.py data/cache/celeba-6k data/cache/celeba-10k-89px --out faceobf/models/donors.npz
    # the face-texture bank of the texture method: composites of five people each, from celeba-6k's training split (about an hour on 2 cores)
    "$VENV/bin/python" scripts/build_texture_bank.py "$data" --out faceobf/models/texture/ --workers "${WORKERS:-2}" --faces-cache data/cache/texture-faces.npz
    ls -la faceobf/models ;;
  timings)
    # every notebook at its default parameters (what a reader runs in JupyterLab) -> reports/notebooks/timings.md
    venv; TF_CPP_MIN_LOG_LEVEL=2 "$VENV/bin/python" scripts/time_notebooks.py "$@" ;;
  faceobf) venv; "$VENV/bin/faceobf" "$@" ;;
  app) venv; TF_CPP_MIN_LOG_LEVEL=2 exec "$VENV/bin/faceobf" app "$@" ;;
  lab) venv
    root=(); [ "$(id -u)" = 0 ] && root=(--allow-root)  # JupyterLab refuses root unless told
    exec "$VENV/bin/jupyter" lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=nbs --no-browser "${root[@]}" "$@" ;;
  readme) venv; "$VENV/bin/faceobf" demo --out reports/demo
    "$VENV/bin/python" scripts/summary_table.py   # reports/summary.md, which nbs/index.ipynb quotes
    "$VENV/bin/jupyter" nbconvert --to markdown --log-level WARN nbs/index.ipynb --output-dir . --output README
    "$VENV/bin/jupyter" nbconvert --to markdown --log-level WARN nbs/results.ipynb --output-dir reports --output README ;;
  help|-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
  *) die "unknown command '$cmd' (try ./run.sh help)" ;;
esac
