#!/usr/bin/env bash
# Simulates a small BIDS dataset and checks it with the official bids-validator (npm, offline).
# The validator is installed once into a cache outside the repository:
#   ${DCAE_TOOLS_CACHE:-~/.cache/dcae}/bids-validator
# Exit 77 (skipped) when Node.js/npm are absent.
set -euo pipefail
bin=${1:?usage: simulate_validate.sh BIN_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
validator=$("$here/../../containers/install-bids-validator.sh") || {
  rc=$?; [ $rc -eq 77 ] && { echo "SKIP: Node.js/npm not available for bids-validator"; exit 77; }; exit $rc; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/dcae-simulate" -q --subjects 2 --runs 2 --grid 24 28 22 --voxel-size 6 6 6 \
  --tr 2 --volumes 60 --slice-timing interleaved "$work/ds"

"$validator" --version
set +e
"$validator" --verbose --ignoreNiftiHeaders=false "$work/ds" > "$work/report.txt" 2>&1
rc=$?
set -e
cat "$work/report.txt"
if [ $rc -ne 0 ] || grep -q "\[ERR\]" "$work/report.txt"; then
  echo "FAIL: bids-validator reported errors (exit $rc)"
  exit 1
fi
grep -q "2 - Subjects" "$work/report.txt" || { echo "FAIL: the validator did not see 2 subjects"; exit 1; }
echo "PASS: bids-validator found no errors in the simulated dataset"
