#!/usr/bin/env bash
# The quickstart: installs what is missing, builds, and runs dcae end to end on the embedded
# simulated dataset through the BIDS-App: simulate a BIDS dataset with ground truth
# (2 participants, HCP-MOTOR-like task), then `participant` (validation, preprocessing of
# every run: motion correction, slice timing, brain mask, smoothing, scaling, high-pass,
# time-series shards; participant reports) and `group` (autoencoder training on every run,
# encoding, dictionary learning on the raw signals and on the features, scores against the
# task, reports). Prints where the reports are.
# Usage: bids-app/quickstart.sh [OUTPUT_DIR]   (default: ./quickstart)
#        WORKERS=2 bids-app/quickstart.sh      trains with 2 Downpour SGD workers on loopback
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:-$PWD/quickstart}")
bash "$top/containers/build.sh" release
bin="$top/build/bin"
start=$SECONDS
echo "== simulating the embedded dataset into $out/bids" >&2
"$bin/dcae-simulate" --overwrite --subjects 2 --runs 1 --tr 2 --volumes 120 \
  --slice-timing interleaved "$out/bids"
echo "== BIDS-App, participant level" >&2
"$top/bids-app/run" "$out/bids" "$out/derivatives" participant
echo "== BIDS-App, group level" >&2
"$top/bids-app/run" "$out/bids" "$out/derivatives" group --train-steps 300 --atoms 50 \
  ${WORKERS:+--workers "$WORKERS" --epochs 2}
echo "== done in $((SECONDS - start)) s" >&2
echo "BIDS dataset:   $out/bids (ground truth: $out/bids/derivatives/groundtruth)"
echo "derivatives:    $out/derivatives (sub-*/func: preprocessed runs, masks, confounds, spatial maps)"
echo "decompositions: $out/derivatives/task-motor_desc-{rawodl,dcaeodl}_{mixing.tsv,decomposition.json}"
echo "model:          $out/derivatives/model (model.pt, model.yaml, loss.tsv)"
echo "reports:        $out/derivatives/group.html and $out/derivatives/sub-*.html"
