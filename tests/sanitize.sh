#!/usr/bin/env bash
# The unit suites under the sanitizers; any report, leak or failure fails the run.
#   - AddressSanitizer + UndefinedBehaviorSanitizer (the asan preset, build-asan/, -O1): every
#     unit suite: core, io, sim, ps, report, and the LibTorch and ITK ones (preproc, model,
#     dict, app, train). UBSan halts on the first report, except those listed in
#     tests/sanitizers/ubsan.supp (inside ITK's headers, each with its reason); LeakSanitizer
#     runs at exit, with the suppressions of tests/sanitizers/lsan.supp (none so far).
#   - ThreadSanitizer (the tsan preset, build-tsan/): the parameter server, its client and the
#     coordinator (dcae_ps_tests), and one server under 16 concurrent pushers
#     (dcae_ps_load_tests, DCAE_LOAD_SECONDS, 10 s here), with tests/sanitizers/tsan.supp for
#     gRPC's and protobuf's own internals, which are not instrumented.
# Usage: tests/sanitize.sh [ci|all|asan|quick|tsan]
#   all: asan and tsan; asan: ASan+UBSan on every unit suite (on 2 cores about 22 min to build
#   from a cold cache, the LibTorch and ITK code at -O1 with line tables only, -g1, and 15 min
#   to run); quick: ASan+UBSan on the suites without LibTorch or ITK (core, io, sim, ps,
#   report: about 6 min to build); tsan: TSan alone; ci (default, what tests/run.sh runs):
#   quick and tsan. On a new machine, with ccache empty, `all` took CI to 80 minutes of its 90
#   (a 2-core VM varies more than that margin); run `tests/sanitize.sh all` before a change to
#   the LibTorch or ITK code lands.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
what="${1:-ci}"
case "$what" in ci | all | asan | quick | tsan) ;; *) echo "usage: tests/sanitize.sh [ci|all|asan|quick|tsan]" >&2; exit 2 ;; esac
supp="$top/tests/sanitizers"
status=0

# run_suite BUILD_DIR TARGET ENV...: runs one test program with the given sanitizer settings,
# prints its gtest summary, and prints the reports (and fails) when there are any.
run_suite() {
  local dir="$1" t="$2"
  shift 2
  local log="$dir/$t.log" rc=0
  env "$@" "$dir/tests/$t" > "$log" 2>&1 || rc=$?
  echo "sanitizers ($(basename "$dir")): $t: $(grep -E '^\[  (PASSED|FAILED)' "$log" | tr '\n' ' ')(exit $rc)"
  if [[ $rc -ne 0 ]] || grep -q -E "runtime error:|ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer" "$log"; then
    grep -E -A30 "runtime error:|ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|FAILED" "$log" | head -80
    status=1
  fi
}

# configure PRESET: configures quietly (the log only on failure).
configure() {
  local log
  log=$(mktemp)
  cmake --preset "$1" > "$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
  rm -f "$log"
}

if [[ "$what" != tsan ]]; then
  targets=(dcae_core_tests dcae_io_tests dcae_sim_tests dcae_ps_tests dcae_report_tests)
  [[ "$what" == quick || "$what" == ci ]] ||
    targets+=(dcae_preproc_tests dcae_model_tests dcae_dict_tests dcae_app_tests dcae_train_tests)
  configure asan
  t0=$SECONDS
  cmake --build build-asan --target "${targets[@]}"
  t1=$SECONDS
  for t in "${targets[@]}"; do
    run_suite build-asan "$t" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp" \
      ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
  done
  echo "sanitizers (build-asan): ${#targets[@]} suites; build $((t1 - t0)) s, run $((SECONDS - t1)) s"
fi

if [[ "$what" == tsan || "$what" == all || "$what" == ci ]]; then
  targets=(dcae_ps_tests dcae_ps_load_tests)
  configure tsan
  cmake --build build-tsan --target "${targets[@]}"
  for t in "${targets[@]}"; do
    run_suite build-tsan "$t" DCAE_LOAD_SECONDS=10 \
      TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
  done
fi
exit "$status"
