#!/usr/bin/env bash
# Runs every test: installs the Debian packages (if missing), builds, and runs ctest
# (unit tests, then the integration tests: bids-validator, nibabel).
# Usage: tests/run.sh [PRESET]   (default: ci). Extra ctest options via CTEST_ARGS.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-ci}
bash "$top/containers/build.sh" "$preset"
cd "$top"
# shellcheck disable=SC2086
ctest --preset "$preset" ${CTEST_ARGS:-}
