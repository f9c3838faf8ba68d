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
#        SIMULATE_ARGS="--motion 2 --rotation 2" bids-app/quickstart.sh   other simulated data
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:-$PWD/quickstart}")
bash "$top/containers/build.sh" release
bin="$top/build/bin"
start=$SECONDS
echo "== simulating the embedded dataset into $out/bids" >&2
# Runs of 160 volumes at TR 2 s (about three blocks per movement) and a 4% BOLD change: the
# planted networks are findable (their cores follow the task at r ≥ 0.8 after preprocessing)
# and every movement's network is found by dictionary learning above its chance level.
# shellcheck disable=SC2086
"$bin/dcae-simulate" --overwrite --subjects 2 --runs 1 --tr 2 --volumes 160 --signal 4 \
  --slice-timing interleaved ${SIMULATE_ARGS:-} "$out/bids"
echo "== BIDS-App, participant level" >&2
"$top/bids-app/run" "$out/bids" "$out/derivatives" participant
echo "== BIDS-App, group level" >&2
# One process trains until the loss on held-out voxels stops improving (at most 100 epochs);
# Downpour SGD (WORKERS) for 20 epochs.
epochs=100
[[ -z "${WORKERS:-}" ]] || epochs=20
"$top/bids-app/run" "$out/bids" "$out/derivatives" group --epochs "$epochs" \
  ${WORKERS:+--workers "$WORKERS"}
echo "== done in $((SECONDS - start)) s" >&2
echo "BIDS dataset:   $out/bids (ground truth: $out/bids/derivatives/groundtruth)"
echo "derivatives:    $out/derivatives (sub-*/func: preprocessed runs, masks, confounds, each run's atoms and maps)"
echo "decompositions: $out/derivatives/task-motor_desc-{rawodl,dcaeodl}_decomposition.json (scores, chance levels)"
echo "model:          $out/derivatives/model (model.pt, model.yaml, loss.tsv)"
echo "reports:        $out/derivatives/group.html and $out/derivatives/sub-*.html"
