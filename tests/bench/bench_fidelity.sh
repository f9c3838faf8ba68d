#!/usr/bin/env bash
# Benchmark (not a test): do the planted networks survive preprocessing? One quickstart-like
# participant (160 volumes at TR 2 s, interleaved slices, 4% BOLD change) is simulated with
# and without head motion and preprocessed with steps switched off one at a time; for each
# variant, the mean series of every movement network's core (planted map >= 0.5) is correlated
# with its condition's design, the design timed and filtered as that variant's data (mid-TR
# after slice-timing correction; the 100 s high-pass when the data have it). Prints a table:
# a step that lowers these numbers damages the signal.
#
# usage: tests/bench/bench_fidelity.sh [BUILD_DIR] [WORK]   (default build, /tmp/dcae-bench-fidelity)
# environment: PYTHON (/usr/bin/python3), SIGNAL (4), VOLUMES (160). Always exits 0.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-build}"
work="${2:-/tmp/dcae-bench-fidelity}"
python="${PYTHON:-/usr/bin/python3}"
bin="$build/bin"
[[ -x "$bin/dcae-preproc" ]] || { echo "${0##*/}: $bin/dcae-preproc is not built" >&2; exit 0; }
"$python" -c 'import numpy, scipy, nibabel' 2>/dev/null || { echo "${0##*/}: $python needs numpy, scipy, nibabel" >&2; exit 0; }
rm -rf "$work"
mkdir -p "$work"
sim=(--subjects 1 --tr 2 --volumes "${VOLUMES:-160}" --signal "${SIGNAL:-4}" --slice-timing interleaved)
"$bin/dcae-simulate" -q "${sim[@]}" "$work/motion" || exit 0
"$bin/dcae-simulate" -q "${sim[@]}" --motion 0 --rotation 0 --spikes 0 "$work/still" || exit 0
run=sub-01/func/sub-01_task-motor_run-01
variants=(
  "all steps|"
  "linear resampling in motion correction|--interpolation linear"
  "no motion correction|--no-motion-correction"
  "no slice timing|--no-slice-timing"
  "no smoothing|--fwhm 0"
  "no high-pass|--highpass 0"
  "motion correction only|--no-slice-timing --fwhm 0 --highpass 0 --grand-mean 0"
)
specs=()
for data in motion still; do
  specs+=("$data: raw data|$work/$data/${run}_bold.nii.gz|0|0")
  for i in "${!variants[@]}"; do
    name=${variants[$i]%%|*} opts=${variants[$i]#*|}
    # shellcheck disable=SC2086
    "$bin/dcae-preproc" -q --no-shard $opts "$work/$data/${run}_bold.nii.gz" "$work/$data-$i" || continue
    start=1 hp=100
    [[ "$opts" == *--no-slice-timing* ]] && start=0
    [[ "$opts" == *"--highpass 0"* ]] && hp=0
    specs+=("$data: $name|$work/$data-$i/${run}_desc-filtered_bold.nii.gz|$start|$hp")
  done
done
"$python" - "$here/../support" "$work" "${specs[@]}" <<'PY'
import sys, pathlib
import numpy as np, nibabel as nib
sys.path.insert(0, sys.argv[1])
import dcae_science as ds
work = pathlib.Path(sys.argv[2])
movements = ["lf", "lh", "rf", "rh", "t"]
print("| data: preprocessing | " + " | ".join(movements) + " | mean |")
print("|---|" + "---|" * (len(movements) + 1))
for spec in sys.argv[3:]:
    label, image, start, hp = spec.split("|")
    data = label.split(":")[0]
    gt = work / data / "derivatives" / "groundtruth" / "sub-01" / "func"
    nets = ds.read_json(gt / "sub-01_task-motor_run-01_desc-groundtruth_components.json")["Networks"]
    maps = np.asarray(nib.load(str(gt / "sub-01_task-motor_run-01_desc-groundtruth_components.nii.gz")).dataobj)
    bold = np.asarray(nib.load(image).dataobj, dtype=float)
    ev = ds.read_events(work / data / "sub-01" / "func" / "sub-01_task-motor_run-01_events.tsv")
    design = ds.design(ev, bold.shape[3], 2.0, float(start), float(hp))
    rs = []
    for k, net in enumerate(nets):
        if net["Condition"] in movements:
            core = maps[..., k] >= 0.5
            rs.append(np.corrcoef(bold[core].mean(0), design[net["Condition"]][1])[0, 1])
    print(f"| {label} | " + " | ".join(f"{r:.3f}" for r in rs) + f" | {np.mean(rs):.3f} |")
PY
exit 0
