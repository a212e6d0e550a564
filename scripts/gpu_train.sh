#!/usr/bin/env bash
# Train faceobf's models on an accelerator machine under JAX (it has JAX, no TensorFlow).
#
# Here, once: build the stage-1 cache (dlib's models are too big to carry) and fetch the wheels the
# accelerator image lacks (keras and two of its small dependencies, for its Python 3.12):
#   ./run.sh faceobf prepare ../shared/data/celeba-6k --out data/cache/celeba-6k
#   scripts/gpu_train.sh fetch-wheels
# There, carrying .whl and the cache (28 MB for celeba-6k; keep the total under 64 MiB):
#   scripts/gpu_train.sh train fac   data/cache/celeba-6k paper 15 "$OUT/fac-paper"
#   scripts/gpu_train.sh train recon data/cache/celeba-6k paper 15 "$OUT/recon-paper"
# Each prints the test result, seconds per epoch and images/s, and leaves NAME.keras, NAME.json
# (the model card) and log.csv in the output folder. PY and WHEEL_PYTHON override the interpreter
# and the wheels' Python version (to try the script on a CPU machine first).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
WHEELS=(keras==3.15.1 namex==0.1.0 optree==0.20.0)
case "${1:-}" in
  fetch-wheels)
    "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "${WHEEL_PYTHON:-3.12}" --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "${WHEELS[@]}"
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    ls -la .whl ;;
  train)
    [ $# -eq 6 ] && [[ $2 == fac || $2 == recon ]] || { echo "usage: $0 train fac|recon CACHE_DIR PRESET EPOCHS OUT_DIR" >&2; exit 2; }
    site=$(mktemp -d)
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl
    export PYTHONPATH="$site:$PWD" KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1
    "$PY" -c 'import sys; from faceobf.cli import main; sys.exit(main(sys.argv[1:]))' \
      "train-$2" "$3" --preset "$4" --epochs "$5" --out "$6" --quiet ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
