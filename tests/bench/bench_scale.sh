#!/usr/bin/env bash
# Benchmark (not a test): Downpour at scale, measured where it can be and modelled past it.
#   - the parts: one mini-batch of the default model (T 284, batch 256) on 1 and 2 threads; a
#     message, a fetch and a push of the whole parameter vector (float32, fp16) between two
#     network namespaces joined by veth pairs, unshaped and shaped with tc tbf to 1 and 10 Gbit/s;
#     a push then a fetch by one client and by two at once, and the cores it keeps busy; the
#     same against two servers;
#   - training through that link: 1, 2, 3 dcae-worker processes against 1 and 2 dcae-ps
#     processes (each server in a namespace of its own), for 6 epochs: time per epoch and
#     the workers' split of their time;
#   - the performance model (tests/bench/perf_model.py, a discrete-event simulation fed only with
#     those measurements) validated against those runs, then its speed-up curve for 1-64 workers,
#     1-8 servers, 1/10/100 Gbit/s, CPU and GPU workers (speedup.svg, speedup.tsv).
# Creates and removes its own network namespaces (root), talks only to their addresses
# (10.231.0.0/16). Builds nothing. About 3 minutes on 2 cores.
#
# usage: tests/bench/bench_scale.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, /tmp/dcae-bench-scale)
# environment: MAX_EPOCHS (6), RUNS (4), VOXELS (2048),
#   BLOCK_ROWS (512), WARMUP (8), GPU_STEP_S (a GPU's measured seconds per mini-batch, from
#   tests/bench/gpu_train.sh on a lent device; without it the GPU curve uses 10 ms, labelled as
#   an assumption), PYTHON (/usr/bin/python3, with numpy), REMODEL (the scale.json of an earlier
#   run: its measurements are not taken again, only the model runs; no root needed).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-build}"
out="${2:-/tmp/dcae-bench-scale}"
python="${PYTHON:-/usr/bin/python3}"
if [[ -z "${REMODEL:-}" ]]; then
  [[ $(id -u) == 0 ]] || { echo "bench_scale.sh: needs root (it creates network namespaces)" >&2; exit 1; }
  for t in ip tc; do command -v "$t" > /dev/null || { echo "bench_scale.sh: $t not found (iproute2)" >&2; exit 1; }; done
  for x in "$build/bin/dcae-ps" "$build/bin/dcae-worker" "$build/tests/bench/dcae_bench_train" "$build/tests/bench/dcae_bench_link"; do
    [[ -x "$x" ]] || { echo "bench_scale.sh: $x not built" >&2; exit 1; }
  done
else
  [[ -r "$REMODEL" ]] || { echo "bench_scale.sh: $REMODEL: cannot read" >&2; exit 1; }
  REMODEL="$(cd "$(dirname "$REMODEL")" && pwd)/$(basename "$REMODEL")"
  export REMODEL
fi
"$python" -c 'import numpy' 2> /dev/null || { echo "bench_scale.sh: $python needs numpy" >&2; exit 1; }
mkdir -p "$out"
exec "$python" "$here/scale.py" "$(cd "$build/bin" && pwd)" "$(cd "$build/tests/bench" && pwd)" "$(cd "$out" && pwd)"
