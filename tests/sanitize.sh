#!/usr/bin/env bash
# The unit tests of the libraries without LibTorch or ITK (core, io, sim, ps, report) under
# AddressSanitizer + UndefinedBehaviorSanitizer (the asan preset, build-asan/): any report
# (UBSan halts on the first), leak or failure fails the run. The LibTorch and ITK suites are
# not built here: their sanitized build does not fit CI's time on 2 cores.
# Usage: tests/sanitize.sh
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
targets=(dcae_core_tests dcae_io_tests dcae_sim_tests dcae_ps_tests dcae_report_tests)
log=$(mktemp)
cmake --preset asan > "$log" 2>&1 || { cat "$log"; exit 1; }
rm -f "$log"
cmake --build build-asan --target "${targets[@]}"
status=0
for t in "${targets[@]}"; do
  log="build-asan/$t.log"
  rc=0
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 "build-asan/tests/$t" > "$log" 2>&1 || rc=$?
  echo "sanitizers: $t: $(grep -E '^\[  (PASSED|FAILED)' "$log" | tr '\n' ' ')(exit $rc)"
  if [[ $rc -ne 0 ]] || grep -q -E "runtime error:|ERROR: (Address|Leak)Sanitizer" "$log"; then
    grep -E -A20 "runtime error:|ERROR: (Address|Leak)Sanitizer|FAILED" "$log" | head -60
    status=1
  fi
done
exit "$status"
