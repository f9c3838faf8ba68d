#!/usr/bin/env bash
# Builds the fuzz targets (clang, libFuzzer, ASan + UBSan) in build-fuzz/ and runs each for
# SECONDS seconds on its corpus: tests/fuzz/corpus/<target>/ (small seeds and every input
# that once found a bug) plus, when ../shared/data is there, real files from it and from the
# simulator. A crash, a leak, an uncaught exception (not dcae::Error), a hang over 5 s or more
# than 2 GB fails the run; the input is saved as build-fuzz/findings/<target>-*.
# Prints per target the executions, the coverage reached and the corpus size.
# Usage: tests/fuzz/run.sh [SECONDS]   (default 60)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${1:-60}
build="$top/build-fuzz"
configure_log=$(mktemp)
command -v clang++ > /dev/null || { echo "tests/fuzz/run.sh: clang++ is not installed (Debian's clang)"; exit 1; }
cmake -S "$top" -B "$build" -G Ninja -DDCAE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ > "$configure_log" 2>&1 ||
  { cat "$configure_log"; exit 1; }
rm -f "$configure_log"
cmake --build "$build" --target fuzz_all
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shared="$top/../shared/data"
# Seeds made here: a simulated dataset (NIfTI, events, sidecars, a shard, the YAML the model
# writes) when the main build is there.
if [[ -x "$top/build/bin/dcae-simulate" ]]; then
  "$top/build/bin/dcae-simulate" -q --subjects 1 --grid 12 14 10 --voxel-size 10 10 10 --volumes 20 \
    --tr 2 "$work/sim" > /dev/null 2>&1 || true
  "$top/build/bin/dcae-preproc" -q "$work/sim/sub-01/func/sub-01_task-motor_run-01_bold.nii.gz" \
    "$work/deriv" > /dev/null 2>&1 || true
fi
seed() { # seed TARGET FILE...: copies existing files into the target's extra corpus
  local t=$1; shift
  mkdir -p "$work/seeds/$t"
  for f in "$@"; do [[ -f "$f" ]] && cp "$f" "$work/seeds/$t/$(echo "$f" | md5sum | cut -c1-12)-$(basename "$f")"; done
  return 0
}
shopt -s nullglob globstar
seed fuzz_events "$work"/sim/**/*_events.tsv "$shared"/bids-examples/**/*_events.tsv "$shared"/hcp/**/EVs/*.txt
seed fuzz_json "$work"/sim/**/*.json "$shared"/bids-examples/ds001/**/*.json "$shared"/epi/*.json
seed fuzz_config "$top"/tests/**/*.yaml "$work"/deriv/**/*.yaml
seed fuzz_npy "$work"/deriv/shards/*.npy
# The NIfTI target reads its first byte as ".nii.gz or .nii": prefix the real files.
mkdir -p "$work/seeds/fuzz_nifti"
for f in "$work"/sim/**/*.nii.gz "$shared"/epi/*.nii "$shared"/haxby2001-25mm/**/*.nii.gz; do
  [[ $(stat -c %s "$f") -lt 1500000 ]] || continue
  case "$f" in *.gz) b='\x01' ;; *) b='\x00' ;; esac
  { printf "$b"; cat "$f"; } > "$work/seeds/fuzz_nifti/$(echo "$f" | md5sum | cut -c1-12)"
done
mkdir -p "$build/findings"
status=0
printf "\n| target | executions | exec/s | coverage (edges) | corpus | result |\n|---|---|---|---|---|---|\n" > "$work/table"
for t in fuzz_events fuzz_json fuzz_config fuzz_nifti fuzz_npy fuzz_ps; do
  corpus="$top/tests/fuzz/corpus/$t"
  mkdir -p "$corpus" "$work/run/$t" "$work/seeds/$t"
  cp "$corpus"/* "$work/run/$t/" 2>/dev/null || true
  log="$build/findings/$t.log"
  rc=0
  ASAN_OPTIONS=detect_leaks=1 "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=5 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/findings/$t-" \
    "$work/run/$t" "$work/seeds/$t" > "$log" 2>&1 || rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  size=$(find "$work/run/$t" -type f | wc -l)
  result=ok
  if [[ $rc -ne 0 ]]; then result="FAILED (exit $rc; see $log)"; status=1; tail -40 "$log"; fi
  echo "| $t | $runs | $rate | $cov | $size | $result |" >> "$work/table"
done
cat "$work/table"
exit "$status"
