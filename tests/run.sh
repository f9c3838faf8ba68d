#!/usr/bin/env bash
# Runs every test: installs the Debian packages (if missing), builds, and runs ctest
# (unit tests, then the integration tests: bids-validator, nibabel); then fails if a process
# the tests started is still running. With the ci preset, also the fuzz targets
# (tests/fuzz/run.sh, FUZZ_SECONDS each, default 60; 0 skips them), and the sanitizers
# (tests/sanitize.sh ci: the suites without LibTorch or ITK under ASan + UBSan, the parameter
# server's under TSan; SANITIZE=0 skips them; `tests/sanitize.sh all` runs every suite).
# Usage: tests/run.sh [PRESET]   (default: ci). Extra ctest options via CTEST_ARGS.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-ci}
bash "$top/containers/build.sh" "$preset"
cd "$top"
# Every process the tests start carries this marker in its environment: when ctest is done,
# none may be left running (daemons included).
export DCAE_TEST_SUITE="dcae-tests-$$-$(date +%s)"
status=0
# shellcheck disable=SC2086
ctest --preset "$preset" ${CTEST_ARGS:-} || status=$?
mapfile -t left < <(bash "$top/tests/support/marked_processes.sh" DCAE_TEST_SUITE "$DCAE_TEST_SUITE" $$)
if [[ ${#left[@]} -gt 0 ]]; then
  echo "tests/run.sh: ${#left[@]} process(es) started by the tests are still running:"
  ps -o pid=,etime=,args= -p "$(IFS=,; echo "${left[*]}")" || true
  kill "${left[@]}" 2>/dev/null || true
  status=1
else
  echo "tests/run.sh: no process started by the tests is left running"
fi
fuzz_seconds=${FUZZ_SECONDS:-60}
if [[ "$preset" == ci && "$fuzz_seconds" != 0 ]]; then
  bash "$top/tests/fuzz/run.sh" "$fuzz_seconds" || status=1
fi
if [[ "$preset" == ci && "${SANITIZE:-1}" != 0 ]]; then
  bash "$top/tests/sanitize.sh" || status=1
fi
exit "$status"
