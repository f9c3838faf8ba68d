#!/usr/bin/env bash
# The quickstart: installs what is missing, builds, and runs dcae end to end on the embedded
# simulated dataset. Today that is: simulate a BIDS dataset with ground truth (2 participants,
# HCP-MOTOR-like task), preprocess every run (dcae-preproc: motion correction, slice timing,
# brain mask, smoothing, scaling, high-pass, time-series shards), train the autoencoder on all
# runs' shards (dcae-train, a short run) and encode every voxel (dcae-encode). Later stages
# (distributed training, dictionary learning, report) join here as they land.
# Usage: bids-app/quickstart.sh [OUTPUT_DIR]   (default: ./quickstart)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:-$PWD/quickstart}")
bash "$top/containers/build.sh" release
bin="$top/build/bin"
echo "== simulating the embedded dataset into $out/bids" >&2
"$bin/dcae-simulate" --overwrite --subjects 2 --runs 1 --tr 2 --volumes 120 \
  --slice-timing interleaved "$out/bids"
for bold in "$out"/bids/sub-*/func/*_bold.nii.gz; do
  echo "== preprocessing $(basename "$bold")" >&2
  "$bin/dcae-preproc" "$bold" "$out/derivatives"
done
echo "== training the autoencoder on every run's shards" >&2
"$bin/dcae-train" --max-steps 300 -o "$out/model" "$out"/derivatives/shards/*_timeseries.npy
echo "== encoding every voxel" >&2
"$bin/dcae-encode" -m "$out/model/model.pt" -o "$out/features" "$out"/derivatives/shards/*_timeseries.npy
echo "== done" >&2
echo "BIDS dataset:   $out/bids"
echo "ground truth:   $out/bids/derivatives/groundtruth"
echo "preprocessed:   $out/derivatives (sub-*/func/*_desc-preproc_bold.nii.gz, confounds, masks)"
echo "shards:         $out/derivatives/shards"
echo "model:          $out/model (model.pt, model.yaml, loss.tsv)"
echo "features:       $out/features"
