#!/usr/bin/env bash
# Benchmark (not a test): one HCP-sized run, raw NIfTI to maps, stage by stage.
# Simulates an HCP MOTOR run (dcae-simulate --layout hcp: 2 mm grid 91x109x91, 284 volumes,
# TR 0.72, the MOTOR block timing) and a half-size grid (72x87x72 at 2.5 mm: half the voxels,
# the same head), then runs on each: preprocessing, training (one process, the default model),
# encoding, dictionary learning on the raw signals and on the features, and the report. Per
# stage it prints the wall time, the peak resident memory of the stage's process (GNU time)
# and its throughput; then the whole run's time, the largest peak against 3x the float32 size
# of the data, and each stage's time ratio full/half against the voxel ratio (linear scaling
# is a ratio near the voxel ratio).
#
# usage: tests/bench/bench_hcp.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, a temporary folder)
# environment: RUNS (grid:threads pairs, default "full:2 half:2": both grids on 2 threads,
#   about 17 minutes on 2 cores; "full:2 half:2 half:1" adds the half grid on 1 thread, about
#   9 minutes more, and "full:1" the full grid on 1 thread),
#   TRAIN_YAML (model YAML for dcae-train; default: the defaults), KEEP=1 keeps OUT_DIR.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$(realpath "${1:-$top/build}")/bin
out="${2:-}"
runs="${RUNS:-full:2 half:2}"
for c in simulate preproc train encode dictlearn report; do
  [[ -x "$bin/dcae-$c" ]] || { echo "bench_hcp.sh: $bin/dcae-$c not built" >&2; exit 0; }
done
[[ -x /usr/bin/time ]] || { echo "bench_hcp.sh: /usr/bin/time not found (apt-get install time)" >&2; exit 0; }
if [[ -z "$out" ]]; then
  out=$(mktemp -d)
  [[ "${KEEP:-0}" == 1 ]] || trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
rows="$out/stages.tsv"
: > "$rows"

# stage GRID THREADS NAME UNIT COUNT -- command...: runs the command under GNU time, appends
# "grid threads stage wall_s peak_MB count unit" to stages.tsv; a failing stage stops the run.
stage() {
  local grid="$1" threads="$2" name="$3" unit="$4" count="$5"
  shift 6
  local log="$out/$grid-t$threads-$name.log"
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" > "$log" 2>&1
  local rc=$?
  t1=$(date +%s.%N)
  if [[ $rc != 0 ]]; then
    echo "bench_hcp.sh: $grid, $threads thread(s): $name failed (exit $rc); last lines of $log:" >&2
    tail -5 "$log" >&2
    return 1
  fi
  local rss_kb
  rss_kb=$(tail -1 "$log.time" | awk '{print $2}')
  printf '%s\t%s\t%s\t%.2f\t%.0f\t%s\t%s\n' "$grid" "$threads" "$name" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$(awk -v k="$rss_kb" 'BEGIN{print k/1024}')" \
    "$count" "$unit" >> "$rows"
  echo "  $name: $(tail -1 "$rows" | cut -f4) s, $(tail -1 "$rows" | cut -f5) MB" >&2
}

# brain_voxels SHARD_JSON: the shard's number of series (its Shape's first entry).
brain_voxels() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Shape"][0])' "$1"; }

run_grid() {
  local grid="$1" threads="$2"
  local dims vox
  case "$grid" in
    full) dims="91 109 91" vox="2 2 2" ;;
    half) dims="72 87 72" vox="2.5 2.5 2.5" ;;
    *) echo "bench_hcp.sh: unknown grid $grid (full, half)" >&2; return 1 ;;
  esac
  local w="$out/$grid-t$threads"
  rm -rf "$w"
  mkdir -p "$w"
  echo "== $grid grid ($dims voxels of $vox mm, 284 volumes), $threads thread(s)" >&2
  local raw="$out/raw-$grid"
  if [[ ! -d "$raw" ]]; then
    stage "$grid" "$threads" simulate volumes 284 -- "$bin/dcae-simulate" -q --nthreads "$threads" \
      --layout hcp --subjects 1 --runs 1 --grid $dims --voxel-size $vox --tr 0.72 \
      --volumes 284 "$raw" || return 1
  fi
  local run_dir
  run_dir=$(dirname "$(find "$raw" -name 'tfMRI_MOTOR_LR.nii.gz' -not -path '*groundtruth*' | head -1)")
  stage "$grid" "$threads" preprocess volumes 284 -- "$bin/dcae-preproc" --nthreads "$threads" \
    "$run_dir/tfMRI_MOTOR_LR.nii.gz" "$w/deriv" || return 1
  local shard
  shard=$(find "$w/deriv/shards" -name '*_timeseries.npy' | head -1)
  local n
  n=$(brain_voxels "${shard%.npy}.json")
  echo "$grid $n" >> "$out/voxels.txt"
  local yaml=()
  [[ -n "${TRAIN_YAML:-}" ]] && yaml=(--model-config "$TRAIN_YAML")
  stage "$grid" "$threads" train samples 0 -- "$bin/dcae-train" --nthreads "$threads" \
    "${yaml[@]}" -o "$w/deriv/model" "$shard" || return 1
  # samples trained: the last step in loss.tsv times the batch size in the model's YAML
  local samples
  samples=$(/usr/bin/python3 - "$w/deriv/model" << 'EOF'
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/loss.tsv"), delimiter="\t"))
batch = re.search(r"batch_size:\s*(\d+)", open(sys.argv[1] + "/model.yaml").read())
print(int(rows[-1]["step"]) * int(batch.group(1)) if rows and batch else "")
EOF
)
  [[ -n "$samples" ]] && sed -i "\$s/\t0\tsamples\$/\t$samples\tsamples/" "$rows"
  stage "$grid" "$threads" encode signals "$n" -- "$bin/dcae-encode" -q --nthreads "$threads" \
    -m "$w/deriv/model/model.pt" -o "$w/deriv/features" "$shard" || return 1
  local feat
  feat=$(find "$w/deriv/features" -name '*.npy' | head -1)
  stage "$grid" "$threads" dictlearn_raw signals "$n" -- "$bin/dcae-dictlearn" -q \
    --nthreads "$threads" --events "$run_dir/EVs" -o "$w/deriv" "$shard" || return 1
  stage "$grid" "$threads" dictlearn_features signals "$n" -- "$bin/dcae-dictlearn" -q \
    --nthreads "$threads" --events "$run_dir/EVs" -o "$w/deriv" "$feat" || return 1
  stage "$grid" "$threads" report pages 0 -- "$bin/dcae-report" -q --nthreads "$threads" \
    --ground-truth "$raw/groundtruth" "$w/deriv" || return 1
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$w"; fi
}

for r in $runs; do
  grid="${r%%:*}" threads="${r##*:}"
  run_grid "$grid" "$threads" || echo "bench_hcp.sh: $grid grid on $threads thread(s) stopped" >&2
done

/usr/bin/python3 - "$rows" "$out/voxels.txt" << 'EOF'
import collections, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
vox = {}
for l in open(sys.argv[2]) if len(sys.argv) > 2 else []:
    g, n = l.split()
    vox[g] = int(n)
grid_voxels = {"full": 91 * 109 * 91, "half": 72 * 87 * 72}
print("| grid | threads | stage | wall (s) | peak RSS (MB) | throughput |")
print("|---|---|---|---|---|---|")
wall = collections.defaultdict(float)
peak = collections.defaultdict(float)
times = {}
for g, t, s, w, m, n, unit in rows:
    w, m, n = float(w), float(m), float(n or 0)
    rate = (f"{n / w:,.{2 if n / w < 10 else 0}f} {unit}/s" if n > 0 and w > 0 else "")
    print(f"| {g} | {t} | {s} | {w:.1f} | {m:,.0f} | {rate} |")
    if s != "simulate":
        wall[(g, t)] += w
        peak[(g, t)] = max(peak[(g, t)], m)
        times[(g, t, s)] = w
print()
print("| grid | threads | brain voxels | whole run without simulate (s) | goal 600 s | largest peak (MB) | 3x float32 data (MB) |")
print("|---|---|---|---|---|---|---|")
for (g, t), w in wall.items():
    data_mb = grid_voxels[g] * 284 * 4 / 2**20
    print(f"| {g} | {t} | {vox.get(g, '?'):,} | {w:.0f} | {'met' if w <= 600 else 'missed'} | "
          f"{peak[(g, t)]:,.0f} | {3 * data_mb:,.0f} ({'met' if peak[(g, t)] < 3 * data_mb else 'missed'}) |")
if "full" in vox and "half" in vox:
    print()
    ratio = vox["full"] / vox["half"]
    print(f"Scaling: time full / half against the brain-voxel ratio {ratio:.2f} "
          "(above it: the stage grows faster than linearly)")
    print()
    print("| threads | stage | full (s) | half (s) | ratio |")
    print("|---|---|---|---|---|")
    for (g, t, s), w in times.items():
        if g == "full" and ("half", t, s) in times:
            h = times[("half", t, s)]
            print(f"| {t} | {s} | {w:.1f} | {h:.1f} | {w / h:.2f} |")
EOF
exit 0
