#!/usr/bin/env bash
# Benchmark (not a test) of distributed training on this machine, over loopback.
#   (a) fetch + push of the default model: bytes/s each way and the ratio to memcpy;
#   (c) pushes and bytes/s one server sustains (several concurrent pushers);
#   (d) the same with fp16 transfer                      — dcae_bench_dist;
#   (b) wall time to a target loss with 1 worker and with 2 workers of one thread each
#       (dcae-train --workers N --target-loss L), and their ratio (goal ≤ 0.6), with the
#       exchanges between steps and with them overlapping the computation (--overlap).
# Builds nothing.
#
# usage: tests/bench/bench_dist.sh [BUILD_DIR]      (default BUILD_DIR: build)
# environment: TARGET (target epoch-mean loss, default 0.75), RUNS (simulated runs, 4),
#              VOXELS (voxels per run, 4096), T (time points, 284), BATCH (mini-batch, default:
#              the model's, 256), BLOCK_ROWS (voxels per partition, 2048), WARMUP (warm-up
#              steps, 20), CLIENTS (pushers, 4), PYTHON (/usr/bin/python3, with numpy).
#              (b) trains the default model; the smaller, transfer-heavier set-up of earlier
#              runs is T=128 VOXELS=3000 BATCH=64 BLOCK_ROWS=500.
set -uo pipefail
build="${1:-build}"
python="${PYTHON:-/usr/bin/python3}"
bench="$build/tests/bench/dcae_bench_dist"
train="$build/bin/dcae-train"
for x in "$bench" "$train"; do
  [[ -x "$x" ]] || { echo "bench_dist.sh: $x not built" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== (a), (c), (d): one in-process server, loopback"
"$bench" --clients "${CLIENTS:-4}"

echo
echo "== (b): time to target loss ${TARGET:-0.75}, 1 worker vs 2 workers (1 thread each)"
"$python" - "$work" "${RUNS:-4}" "${VOXELS:-4096}" "${T:-284}" <<'PY'
import json, sys
import numpy as np
out, runs, voxels, t = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(0)
time = np.arange(t) * 2.0
for r in range(runs):
    comps = np.stack([np.sin(2 * np.pi * time / f + rng.uniform(0, 6)) for f in (40, 25, 60, 16)])
    x = rng.normal(size=(voxels, 4)) @ comps + 0.5 * rng.normal(size=(voxels, t))
    x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    np.save(f"{out}/run{r}.npy", x.astype(np.float32))
    json.dump({"Format": "dcae time-series shard", "FormatVersion": 1, "Shape": [voxels, t],
               "RepetitionTime": 2.0, "Source": "synthetic", "Mask": "", "Provenance": {}},
              open(f"{out}/run{r}.json", "w"))
PY
cat > "$work/model.yaml" <<YAML
train:
  epochs: 0
  target_loss: ${TARGET:-0.75}
YAML
[[ -n "${BATCH:-}" ]] && printf '  batch_size: %d\n' "$BATCH" >> "$work/model.yaml"
# Each way of exchanging: a worker pushes and fetches between its steps (the default), or on a
# background thread while it computes the next steps (--overlap).
for mode in default overlap; do
  declare -A wall=()
  extra=()
  [[ "$mode" == overlap ]] && extra=(--overlap)
  for w in 1 2; do
    start=$(date +%s.%N)
    if ! "$train" -q --workers "$w" --nthreads "$w" --block-rows "${BLOCK_ROWS:-2048}" --warmup-steps "${WARMUP:-20}" "${extra[@]}" \
        --model-config "$work/model.yaml" -o "$work/$mode$w" "$work"/run*.npy; then
      echo "dcae-train --workers $w ${extra[*]} failed" >&2
      exit 1
    fi
    end=$(date +%s.%N)
    wall[$w]=$(echo "$end - $start" | bc -l)
    epochs=$(($(wc -l < "$work/$mode$w/loss.tsv") - 1))
    last=$(tail -1 "$work/$mode$w/loss.tsv" | cut -f2)
    printf 'exchange=%s\tworkers=%d\twall_s=%.2f\tepochs=%d\tlast_epoch_loss=%s\n' "$mode" "$w" "${wall[$w]}" "$epochs" "$last"
  done
  printf 'exchange=%s\tratio_2_over_1=%.3f (goal <= 0.6)\n' "$mode" "$(echo "${wall[2]} / ${wall[1]}" | bc -l)"
done
