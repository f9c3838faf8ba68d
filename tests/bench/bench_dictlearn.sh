#!/usr/bin/env bash
# Benchmark (not a test): dcae's online dictionary learning (dcae_bench_dictlearn) beside
# scikit-learn's MiniBatchDictionaryLearning (bench_dictlearn.py, Debian python3-sklearn) on the
# same matrix with the same K, lambda, batch size and passes: wall time (learning + coding every
# signal) and the objective 0.5*||X - DA||^2 + lambda*||A||_1 of each result, computed by one
# formula in Python. Two sizes: one HCP run (284 x 50,000) and a small matrix (284 x 5,000).
#
# The data: a simulated HCP-MOTOR run (dcae-simulate, 3 mm voxels, 284 volumes, no motion)
# preprocessed by dcae-preproc (mask, smoothing, scaling, high-pass) into a time-series shard;
# made once under WORK (default /tmp/dcae-bench-dictlearn).
#
# usage: tests/bench/bench_dictlearn.sh [BUILD_DIR]
# environment: PYTHON (/usr/bin/python3), THREADS ("1 2"), K (100), LAMBDA (0.15), BATCH (256),
#              PASSES (1), SIZES ("50000 5000"), WORK. Always exits 0.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-build}"
python="${PYTHON:-/usr/bin/python3}"
work="${WORK:-/tmp/dcae-bench-dictlearn}"
k="${K:-100}" lambda="${LAMBDA:-0.15}" batch="${BATCH:-256}" passes="${PASSES:-1}"
# shellcheck source=tests/bench/common.sh
source "$here/common.sh"
bench="$(bench_program dcae_bench_dictlearn "$build")" || exit 0
python_peer "$python" sklearn python3-sklearn || exit 0

shard="$work/derivatives/shards/sub-01_task-motor_run-01_desc-preproc_timeseries.npy"
if [[ ! -f "$shard" ]]; then
  mkdir -p "$work"
  "$build/bin/dcae-simulate" -q --subjects 1 --grid 53 64 48 --voxel-size 3 3 3 --motion 0 --rotation 0 \
    --spikes 0 --overwrite "$work/bids" || exit 0
  "$build/bin/dcae-preproc" -q --no-motion-correction \
    "$work/bids/sub-01/func/sub-01_task-motor_run-01_bold.nii.gz" "$work/derivatives" || exit 0
fi
voxels=$("$python" -c "import numpy; print(numpy.load('$shard', mmap_mode='r').shape)")
echo "data: $shard $voxels; K $k, lambda $lambda, batch $batch, passes $passes"
printf '\n| signals | threads | dcae s | sklearn s | speed-up | dcae objective | sklearn objective | dcae/sklearn objective |\n|---|---|---|---|---|---|---|---|\n'
for rows in ${SIZES:-50000 5000}; do
  for threads in ${THREADS:-1 2}; do
    export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
    ours=$("$bench" "$shard" "$rows" "$k" "$lambda" "$batch" "$passes" "$threads" "$work/ours" | tail -1)
    row=$("$python" "$here/bench_dictlearn.py" "$shard" "$rows" "$k" "$lambda" "$batch" "$passes" "$threads" "$work/ours" "$ours" | tail -1)
    "$python" - "$rows" "$threads" "$row" <<'PY'
import json, sys
rows, threads, r = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
print(f"| {rows} | {threads} | {r['ours_total_s']:.2f} | {r['sk_total_s']:.2f} | {r['sk_total_s'] / r['ours_total_s']:.1f}x"
      f" | {r['ours_objective_py']:.1f} | {r['sk_objective']:.1f} | {r['ours_objective_py'] / r['sk_objective']:.4f} |")
PY
  done
done
exit 0
