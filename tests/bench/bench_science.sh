#!/usr/bin/env bash
# Benchmark (not a test): the experiment behind dcae's claim. Does dictionary learning on the
# DCAE's features find task networks better than dictionary learning on the raw signals?
#
# For every cell of BOLD signal {1, 2, 3}% x tSNR {40, 70} and every seed: dcae-simulate
# writes SUBJECTS participants (HCP-MOTOR-like blocks in each participant's own order, head
# motion, slice timing); dcae-preproc preprocesses every run; the autoencoder is trained on
# the first half of the participants; the other half are decomposed and scored (each run
# against its own events, with its chance level) by:
#   raw-DL            dictionary learning on the raw signals (the baseline)
#   DCAE-DL           dictionary learning on the trained DCAE's features (least-squares time
#                     courses), with the decoder's readouts (upsampling: the paper's; ablation)
#   untrained DCAE-DL the same on the features of a random-weight DCAE (control)
#   PCA-DL            the same on a PCA of the training runs as wide as the features (control)
#   low-pass raw-DL   raw-DL after a Gaussian temporal low-pass of 1 volume (control)
# all with dcae's defaults (K, lambda) and the same ones for every method. Maps are compared
# with the planted networks (r, Dice). Prints, per cell, the mean r of each method against its
# chance level and DCAE vs raw paired over seeds (Wilcoxon signed-rank, rank-biserial r), on r
# and on r minus its chance level (the fair measure: smoother atoms have a higher chance level); then
# the same for an HCP-like row (284 volumes at TR 0.72 s). Results accumulate in
# OUT/results.jsonl, so an interrupted run resumes where it stopped.
#
# usage: tests/bench/bench_science.sh [BUILD_DIR] [OUT_DIR]   (default build, /tmp/dcae-bench-science)
# environment: SEEDS (10), SUBJECTS (4), SIGNALS ("1 2 3"), TSNRS ("40 70"), VOLUMES (160),
#   TR (2), GRID ("32 38 29"), VOXEL (5), EPOCHS (100: an upper bound; training stops on a validation plateau), HCP_SEEDS (SEEDS; 0 = no HCP row),
#   THREADS (2), PYTHON (/usr/bin/python3), KEEP (0: remove each seed's data once scored).
# About 2-3 minutes per seed and cell on 2 cores. Always exits 0.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-build}"
out="${2:-/tmp/dcae-bench-science}"
python="${PYTHON:-/usr/bin/python3}"
seeds="${SEEDS:-10}" subjects="${SUBJECTS:-4}" signals="${SIGNALS:-1 2 3}" tsnrs="${TSNRS:-40 70}"
volumes="${VOLUMES:-160}" tr="${TR:-2}" grid="${GRID:-32 38 29}" voxel="${VOXEL:-5}" epochs="${EPOCHS:-100}"
hcp_seeds="${HCP_SEEDS:-$seeds}" threads="${THREADS:-2}" keep="${KEEP:-0}"
bin="$build/bin"
for p in dcae-simulate dcae-preproc dcae-train dcae-encode dcae-dictlearn; do
  [[ -x "$bin/$p" ]] || { echo "${0##*/}: $bin/$p is not built" >&2; exit 0; }
done
"$python" -c 'import numpy, scipy, nibabel' 2>/dev/null ||
  { echo "${0##*/}: $python needs numpy, scipy and nibabel (python3-numpy python3-scipy python3-nibabel)" >&2; exit 0; }
mkdir -p "$out"
results="$out/results.jsonl"
touch "$results"
half=$((subjects / 2))

# run_cell NAME SEED VOLUMES TR SIMULATE-ARGS...: one seed of one cell, appended to results.
run_cell() {
  local cell="$1" seed="$2" nvol="$3" rtr="$4"
  shift 4
  if grep -q "\"cell\": \"$cell\", \"seed\": $seed," "$results"; then return 0; fi
  local w="$out/work/$cell-seed$seed" t0=$SECONDS
  rm -rf "$w"
  mkdir -p "$w"
  # shellcheck disable=SC2086
  "$bin/dcae-simulate" -q --seed "$seed" --subjects "$subjects" --volumes "$nvol" --tr "$rtr" \
    --slice-timing interleaved "$@" "$w/bids" || { echo "$cell seed $seed: simulation failed" >&2; return 0; }
  local train=() eval=() events=()
  for s in $(seq 1 "$subjects"); do
    local sub
    sub=$(printf "sub-%02d" "$s")
    local bold="$w/bids/$sub/func/${sub}_task-motor_run-01_bold.nii.gz"
    "$bin/dcae-preproc" -q --nthreads "$threads" "$bold" "$w/d" ||
      { echo "$cell seed $seed: preprocessing of $sub failed" >&2; return 0; }
    local shard="$w/d/shards/${sub}_task-motor_run-01_desc-preproc_timeseries.npy"
    if ((s <= half)); then train+=("$shard"); else
      eval+=("$shard")
      events+=("$w/bids/$sub/func/${sub}_task-motor_run-01_events.tsv")
    fi
  done
  local common=(-q --nthreads "$threads" --prefix task-motor --events "${events[@]}")
  # Trained and untrained (learning rate 0) models, each encoding the evaluation runs.
  "$bin/dcae-train" -q --nthreads "$threads" --epochs "$epochs" -o "$w/model" "${train[@]}" ||
    { echo "$cell seed $seed: training failed" >&2; return 0; }
  printf "optimizer:\n  learning_rate: 0\n" > "$w/untrained.yaml"
  "$bin/dcae-train" -q --nthreads "$threads" --max-steps 1 --model-config "$w/untrained.yaml" -o "$w/untrained" "${train[@]}" ||
    return 0
  "$bin/dcae-encode" -q --nthreads "$threads" -m "$w/model/model.pt" -o "$w/features" "${eval[@]}" || return 0
  "$bin/dcae-encode" -q --nthreads "$threads" -m "$w/untrained/model.pt" -o "$w/features-untrained" "${eval[@]}" || return 0
  local feats=() ufeats=() pfeats=() lows=()
  for e in "${eval[@]}"; do
    local b
    b=$(basename "$e" _desc-preproc_timeseries.npy)
    feats+=("$w/features/${b}_desc-features_timeseries.npy")
    ufeats+=("$w/features-untrained/${b}_desc-features_timeseries.npy")
    pfeats+=("$w/features-pca/${b}_desc-features_timeseries.npy")
    lows+=("$w/lowpass/${b}_desc-preproc_timeseries.npy")
  done
  local width
  width=$("$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['Shape'][1])" "${feats[0]%.npy}.json")
  "$python" "$here/science.py" pca "${train[@]}" -- "${eval[@]}" --out "$w/features-pca" --width "$width" > /dev/null || return 0
  "$python" "$here/science.py" lowpass "${eval[@]}" --out "$w/lowpass" --sigma 1 || return 0
  "$bin/dcae-dictlearn" "${eval[@]}" --label rawodl -o "$w/raw" "${common[@]}" > /dev/null &&
    "$bin/dcae-dictlearn" "${feats[@]}" --signals "${eval[@]}" --checkpoint "$w/model/model.pt" --label dcaeodl \
      -o "$w/dcae" "${common[@]}" > /dev/null &&
    "$bin/dcae-dictlearn" "${feats[@]}" --signals "${eval[@]}" --checkpoint "$w/model/model.pt" --decoder-readout ablation \
      --label dcaeodl -o "$w/ablation" "${common[@]}" > /dev/null &&
    "$bin/dcae-dictlearn" "${ufeats[@]}" --signals "${eval[@]}" --label dcaeodl -o "$w/untrained-dl" "${common[@]}" > /dev/null &&
    "$bin/dcae-dictlearn" "${pfeats[@]}" --signals "${eval[@]}" --label pcaodl -o "$w/pca" "${common[@]}" > /dev/null &&
    "$bin/dcae-dictlearn" "${lows[@]}" --label rawodl -o "$w/lowpass-dl" "${common[@]}" > /dev/null ||
    { echo "$cell seed $seed: dictionary learning failed" >&2; return 0; }
  local mse
  mse=$(tail -1 "$w/model/loss.tsv" | cut -f4)
  "$python" "$here/science.py" collect "$results" --gt "$w/bids/derivatives/groundtruth" --deriv "$w/d" \
    --meta "{\"cell\": \"$cell\", \"seed\": $seed, \"subjects\": $subjects, \"volumes\": $nvol, \"tr\": $rtr, \"train_mse\": ${mse:-null}}" \
    raw="$w/raw/task-motor_desc-rawodl_decomposition.json" dcae="$w/dcae/task-motor_desc-dcaeodl_decomposition.json" \
    ablation="$w/ablation/task-motor_desc-dcaeodl_decomposition.json" \
    untrained="$w/untrained-dl/task-motor_desc-dcaeodl_decomposition.json" \
    pca="$w/pca/task-motor_desc-pcaodl_decomposition.json" lowpass="$w/lowpass-dl/task-motor_desc-rawodl_decomposition.json" ||
    return 0
  echo "$cell seed $seed: done in $((SECONDS - t0)) s (training MSE ${mse:-n/a})" >&2
  [[ "$keep" == 1 ]] || rm -rf "$w"
}

start=$SECONDS
for signal in $signals; do
  for tsnr in $tsnrs; do
    for seed in $(seq 1 "$seeds"); do
      # shellcheck disable=SC2086
      run_cell "signal${signal}_tsnr${tsnr}" "$seed" "$volumes" "$tr" --signal "$signal" --tsnr "$tsnr" \
        --grid $grid --voxel-size "$voxel" "$voxel" "$voxel"
    done
  done
done
for seed in $(seq 1 "$hcp_seeds"); do
  # shellcheck disable=SC2086
  run_cell "hcp_T284_TR0.72" "$seed" 284 0.72 --grid $grid --voxel-size "$voxel" "$voxel" "$voxel"
done
echo "bench_science: $((SECONDS - start)) s; results in $results" >&2
"$python" "$here/science.py" summary "$results"
exit 0
