#!/usr/bin/env bash
# Benchmark: wall time and peak memory of the whole dcae-preproc pipeline on one simulated
# 64x64x36x200 run (3.5 mm voxels, TR 2 s, interleaved slices) on 2 threads, against the
# issue's memory bound: 4x the float32 size of the 4-D data.
# Usage: tests/bench/bench_preproc.sh [BUILD_DIR]   (default: build)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$(realpath "${1:-$top/build}")/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/dcae-simulate" -q --subjects 1 --grid 64 64 36 --voxel-size 3.5 3.5 3.5 --tr 2 \
  --volumes 200 --slice-timing interleaved "$work/bids"
bold="$work/bids/sub-01/func/sub-01_task-motor_run-01_bold.nii.gz"
/usr/bin/time -v "$bin/dcae-preproc" -q --nthreads 2 "$bold" "$work/out" 2> "$work/time.txt"
wall=$(grep "Elapsed (wall clock)" "$work/time.txt" | awk '{print $NF}')
rss_kb=$(grep "Maximum resident set size" "$work/time.txt" | awk '{print $NF}')
data_mb=$(awk 'BEGIN { printf "%.1f", 64*64*36*200*4/1048576 }')
rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k/1024 }')
ratio=$(awk -v r="$rss_mb" -v d="$data_mb" 'BEGIN { printf "%.2f", r/d }')
printf '%-34s %12s %14s %16s %10s\n' "run" "wall (m:s)" "peak RSS (MB)" "4-D float32 (MB)" "RSS/data"
printf '%-34s %12s %14s %16s %10s\n' "64x64x36x200, 2 threads" "$wall" "$rss_mb" "$data_mb" "$ratio"
awk -v x="$ratio" 'BEGIN { exit !(x < 4.0) }' && echo "peak memory is below 4x the data (goal met)" \
  || echo "peak memory is NOT below 4x the data (goal missed)"
