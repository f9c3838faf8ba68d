#!/usr/bin/env python3
"""dcae-dictlearn's chance level against an independent numpy computation: a shard of pure
noise (AR(1) 0.8 series: BOLD-like autocorrelation, no task) is decomposed with K atoms and
scored against a block design; for every condition, the NullR95 dcae writes (95th percentile
over 200 circular shifts of the best |r| of the K atom time courses) must equal, within 0.05,
the same quantity computed here from dcae's own time courses (tests/support/dcae_science.py:
SPM's HRF, fslmaths -bptf, numpy's percentile). Also: pure noise scores at chance (its
assigned atoms mostly below it), one atom per condition, and the run's design is timed at
StartTime and filtered with the shard's high-pass.

Usage: null_level.py BIN_DIR       Exit 77 (skip) without numpy, scipy or nibabel.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

here = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(here.parent / "support"))
try:
    import nibabel as nib
    import numpy as np
    import scipy.stats  # noqa: F401  (the HRF)
except ImportError as e:
    print(f"SKIP: {sys.executable} lacks {e.name} (Debian python3-numpy, python3-scipy, python3-nibabel)")
    sys.exit(77)
import dcae_science as ds  # noqa: E402

bin_dir = pathlib.Path(sys.argv[1]).resolve()
T, TR, START, HIGHPASS, K = 120, 2.0, 1.0, 100.0, 20


def fail(message):
    sys.exit("FAIL: " + message)


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    rng = np.random.default_rng(5)
    grid = (12, 12, 10)
    mask = np.ones(grid, dtype=np.uint8)
    nib.save(nib.Nifti1Image(mask, np.diag([4.0, 4.0, 4.0, 1.0])), str(tmp / "sub-01_task-noise_desc-brain_mask.nii.gz"))
    ijk = np.argwhere(mask.transpose(2, 1, 0) > 0)[:, ::-1]  # x fastest, as dcae orders voxels
    n = len(ijk)
    x = np.empty((n, T))
    e = rng.standard_normal(n)
    for t in range(T):
        e = 0.8 * e + 0.6 * rng.standard_normal(n)
        x[:, t] = e
    x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    shard = tmp / "sub-01_task-noise_desc-preproc_timeseries.npy"
    np.save(shard, x.astype(np.float32))
    with open(shard.with_suffix(".json"), "w") as f:
        json.dump({"Format": "dcae time-series shard", "FormatVersion": 1, "Grid": list(grid),
                   "Mask": str(tmp / "sub-01_task-noise_desc-brain_mask.nii.gz"),
                   "Provenance": {"Steps": "dcae-preproc", "StartTime": START, "HighPassCutoff": HIGHPASS,
                                  "SliceTimingCorrected": True},
                   "RepetitionTime": TR, "Shape": [n, T], "Source": str(tmp / "sub-01_task-noise_bold.nii.gz"),
                   "VoxelIndices": ijk.tolist()}, f)
    # Three conditions in 12 s blocks, two blocks each.
    events = tmp / "sub-01_task-noise_events.tsv"
    with open(events, "w") as f:
        f.write("onset\tduration\ttrial_type\n")
        for b, c in enumerate(["a", "b", "c", "a", "b", "c"]):
            f.write(f"{10 + 36 * b}\t12\t{c}\n")
    out = tmp / "out"
    r = subprocess.run([str(bin_dir / "dcae-dictlearn"), "-q", str(shard), "--events", str(events), "--atoms", str(K),
                        "--passes", "2", "-o", str(out)], capture_output=True, text=True)
    if r.returncode != 0:
        fail("dcae-dictlearn: " + r.stderr)
    decomposition = next(out.rglob("*_decomposition.json"))
    d = ds.read_json(decomposition)
    run = d["Runs"][0]
    if run["Design"]["StartTime"] != START or run["Design"]["HighPassCutoff"] != HIGHPASS:
        fail(f"the design is not timed/filtered as the shard says: {run['Design']['StartTime']}, {run['Design']['HighPassCutoff']}")
    _, mixing = ds.read_mixing(decomposition.parent / run["Mixing"])
    if mixing.shape != (T, K):
        fail(f"mixing {mixing.shape}, expected {(T, K)}")
    ev = ds.read_events(events)
    regressors = ds.design(ev, T, TR, START, HIGHPASS)
    atoms = [s["Atom"] for s in run["Scores"]]
    if len(set(atoms)) != len(atoms):
        fail(f"an atom won two conditions: {atoms}")
    worst, above = 0.0, 0
    for s, dcae_design in zip(run["Scores"], run["Design"]["Regressors"]):
        c = s["Condition"]
        unfiltered, filtered = regressors[c]
        design_err = np.abs(np.asarray(dcae_design) - filtered).max()
        if design_err > 1e-3 * max(1.0, np.abs(filtered).max()):
            fail(f"{c}: dcae's design differs from numpy's by {design_err}")
        block = max(duration for _, duration in ev[c])
        expected = ds.null_r95(mixing, unfiltered, TR, block, HIGHPASS)
        got = s["NullR95"]
        worst = max(worst, abs(got - expected))
        above += s["r"] > got
        print(f"{c}: NullR95 dcae {got:.4f}, numpy {expected:.4f}; assigned atom {s['Atom']} r {s['r']:.3f}")
        if abs(got - expected) > 0.05:
            fail(f"{c}: NullR95 {got:.4f} differs from numpy's {expected:.4f} by more than 0.05")
        if not 0.1 < got < 0.95:
            fail(f"{c}: NullR95 {got} of {K} noise atoms is implausible")
    if above > 1:
        fail(f"pure noise beat its chance level in {above} of 3 conditions")
    print(f"PASS: NullR95 within {worst:.4f} of numpy's; noise above chance in {above} of 3 conditions")
