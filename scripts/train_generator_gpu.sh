#!/usr/bin/env bash
# The device call that trains the `gan-gpu` generator (see scripts/train_generator_gpu.py). Prepare here:
#   mkdir -p .whl && pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 -d .whl keras==3.15.1 namex==0.1.0 optree==0.20.0
#   python scripts/pack_training_arrays.py data/cache/celeba-6k --val data/cache/celeba-6k --out data/gpu/train.npz
# then run this script on the GPU machine with .whl and data/gpu carried; results land in $OUT (or ./gpu-out).
set -uo pipefail
OUT=${OUT:-gpu-out}; mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
python3 scripts/train_generator_gpu.py data/gpu/train.npz --out "$OUT" "$@" 2>&1 | tee "$OUT/run.log"
