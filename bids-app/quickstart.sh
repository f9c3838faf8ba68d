#!/usr/bin/env bash
# The quickstart: installs what is missing, builds, and runs dcae end to end on the embedded
# simulated dataset. Today that is: simulate a BIDS dataset with ground truth (2 participants).
# Later stages (preprocessing, training, dictionary learning, report) join here as they land.
# Usage: bids-app/quickstart.sh [OUTPUT_DIR]   (default: ./quickstart)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:-$PWD/quickstart}")
bash "$top/containers/build.sh" release
bin="$top/build/bin"
echo "== simulating the embedded dataset into $out/bids" >&2
"$bin/dcae-simulate" --overwrite --subjects 2 --runs 1 "$out/bids"
echo "== done" >&2
echo "BIDS dataset:  $out/bids"
echo "ground truth:  $out/bids/derivatives/groundtruth"
