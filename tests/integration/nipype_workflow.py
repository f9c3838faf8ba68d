#!/usr/bin/env python3
"""First, init_dcae_wf (participant → group: preproc, train, encode, DictLearn on raw signals
and features) on two simulated participants with MultiProc (n_procs 2, each node's
num_threads counted), checking the per-run scores, mixing and maps, and that importing
dcae_nipype changed nothing in Nipype. Then a real Nipype workflow (Linear plugin, default
settings) of two nodes, dcae-simulate (one tiny participant, interleaved slices) → dcae-preproc on its run
with the dataset's sidecar, and checks what the interfaces report: the preprocessed run
(nibabel: shape, TR, slice timing corrected from the sidecar), the brain mask, the confounds
(trans_x ... rot_z, framewise_displacement, dvars, global_signal, csf, white_matter,
cosine*; one row per volume), the shard (numpy:
[mask voxels, T]). A second run must come from Nipype's cache. Then the workflow grows Train
and Encode nodes fed by the shard alone (its .json sidecar must survive Nipype's clean-up) and,
when dcae-report is built, a Report node on the derivatives folder; Simulate + Preproc run on
an HCP-layout dataset; every output an interface predicts must exist, or Nipype fails.

Usage: nipype_workflow.py BIN_DIR       Exit 77 (skip) without nipype, nibabel or numpy.
"""
import csv
import json
import os
import pathlib
import sys
import tempfile
import time

top = pathlib.Path(__file__).resolve().parents[2]
bin_dir = pathlib.Path(sys.argv[1]).resolve()
os.environ["NIPYPE_NO_ET"] = "1"
try:
    import nibabel as nib
    import numpy as np
    from nipype import Node, Workflow
except ImportError as e:
    print(f"SKIP: {sys.executable} lacks {e.name} (Debian python3-nipype, python3-nibabel)")
    sys.exit(77)
for exe in ("dcae-simulate", "dcae-preproc", "dcae-train", "dcae-encode"):
    if not (bin_dir / exe).exists():
        sys.exit(f"FAIL: {bin_dir / exe} is not built")
sys.path.insert(0, str(top / "plugins" / "nipype"))
os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
from nipype.utils import filemanip  # noqa: E402

related_before = [tuple(x) for x in filemanip.related_filetype_sets]
import dcae_nipype  # noqa: E402
from dcae_nipype import Encode, Preproc, Report, Simulate, Train, init_dcae_wf  # noqa: E402

if [tuple(x) for x in filemanip.related_filetype_sets] != related_before:
    sys.exit("FAIL: importing dcae_nipype changed Nipype's related file types")

GRID, VOXEL_MM, TR, VOLUMES = [16, 20, 14], [8.0, 8.0, 8.0], 2.0, 30
CONFOUND_COLUMNS = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z",
                    "framewise_displacement", "dvars", "global_signal", "csf", "white_matter"]


def first(files):
    """The first run of a list of runs."""
    return files[0]


def check(condition, message):
    if not condition:
        sys.exit("FAIL: " + message)


def check_preproc(o, shape, tr, slice_timing):
    """The outputs of one Preproc run: images, sidecar and confounds."""
    bold = nib.load(o.preproc_bold)
    check(bold.shape == tuple(shape), f"{o.preproc_bold}: shape {bold.shape}, expected {shape}")
    check(abs(bold.header.get_zooms()[3] - tr) < 1e-6, f"{o.preproc_bold}: TR {bold.header.get_zooms()[3]}")
    check(np.isfinite(bold.get_fdata()).all(), f"{o.preproc_bold}: non-finite values")
    mask = np.asarray(nib.load(o.brain_mask).dataobj) > 0
    check(mask.shape == tuple(shape[:3]) and 0.05 < mask.mean() < 0.9,
          f"{o.brain_mask}: shape {mask.shape}, brain fraction {mask.mean():.2f}")
    sidecar = json.loads(pathlib.Path(o.preproc_json).read_text())
    check(abs(sidecar["RepetitionTime"] - tr) < 1e-6, f"{o.preproc_json}: RepetitionTime")
    check(sidecar["SliceTimingCorrected"] == slice_timing, f"{o.preproc_json}: SliceTimingCorrected")
    with open(o.confounds, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    check(rows[0][:len(CONFOUND_COLUMNS)] == CONFOUND_COLUMNS and
          all(c.startswith("cosine") for c in rows[0][len(CONFOUND_COLUMNS):]),
          f"{o.confounds}: columns {rows[0]}")
    check(len(rows) == 1 + shape[3], f"{o.confounds}: {len(rows) - 1} rows for {shape[3]} volumes")
    check(all(abs(float(v)) < 20 for row in rows[1:] for v in row[:6]), f"{o.confounds}: motion out of range")
    check(set(json.loads(pathlib.Path(o.confounds_json).read_text())) >= set(CONFOUND_COLUMNS),
          f"{o.confounds_json}: columns not described")
    return mask


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    start = time.monotonic()

    # init_dcae_wf: participant → group as one workflow, DictLearn nodes in it; Nipype's
    # defaults (unnecessary outputs removed) and no global change (keep_shard_sidecars not
    # called yet): the factory's nodes keep the shards' sidecars themselves.
    ds = Simulate(subjects=2, grid=GRID, voxel_size=VOXEL_MM, tr=TR, volumes=60, seed=3,
                  quiet=True).run(cwd=str(tmp)).outputs
    full = init_dcae_wf(atoms=6, train_steps=10, num_threads=2)
    full.base_dir = str(tmp / "full")
    full.config["execution"] = {"crashdump_dir": str(tmp / "crash"), "stop_on_first_crash": "true"}
    full.inputs.inputnode.bold_files = ds.bold_files
    full.inputs.inputnode.events_files = ds.events_files
    graph = full.run(plugin="MultiProc", plugin_args={"n_procs": 2})
    nodes = {n.name: n for n in graph.nodes()}
    check(nodes["preproc"].inputs.num_threads == 2, "the factory did not set num_threads")
    for label in ("raw", "dcae"):
        out = nodes["dictlearn_" + label].result.outputs
        d = json.loads(pathlib.Path(out.decomposition).read_text())
        check(len(d["Runs"]) == 2 and all(len(r["Scores"]) >= 5 for r in d["Runs"]),
              f"{out.decomposition}: runs {len(d['Runs'])}, scores per run "
              f"{[len(r['Scores']) for r in d['Runs']]}")
        check(len(out.mixing) == 2 and all(os.path.exists(m) for m in out.mixing + out.components),
              f"dictlearn_{label}: mixing {out.mixing}, components {out.components}")
        check(nib.load(out.components[0]).shape[3] == 6, f"{out.components[0]}: not 6 maps")
        check(len(out.correlation_components) == 2 and
              nib.load(out.correlation_components[0]).shape == nib.load(out.components[0]).shape,
              f"dictlearn_{label}: r-maps {out.correlation_components}")
    check(isinstance(nodes["dictlearn_dcae"].result.outputs.decoder_mixing, list),
          "dictlearn_dcae: no decoder readout with the checkpoint")
    print(f"ok   init_dcae_wf: 2 runs preprocessed, trained, encoded, raw and DCAE dictionaries "
          f"scored per run ({time.monotonic() - start:.1f} s)")
    dcae_nipype.keep_shard_sidecars()

    # The workflow: simulate → preproc.
    wf = Workflow(name="dcae", base_dir=str(tmp / "work"))
    wf.config["execution"] = {"crashdump_dir": str(tmp / "crash"), "stop_on_first_crash": "true"}
    simulate = Node(Simulate(subjects=1, grid=GRID, voxel_size=VOXEL_MM, tr=TR, volumes=VOLUMES,
                             slice_timing="interleaved", seed=7, quiet=True), name="simulate")
    preproc = Node(Preproc(num_threads=2, quiet=True), name="preproc")
    # The sidecar is connected too: Nipype deletes a node's files that no connection uses.
    wf.connect([(simulate, preproc, [(("bold_files", first), "bold"), ("bold_sidecar", "sidecar")])])
    graph = wf.run(plugin="Linear")
    nodes = {n.name: n for n in graph.nodes()}
    sim_out, pre_out = nodes["simulate"].result.outputs, nodes["preproc"].result.outputs
    check(len(sim_out.bold_files) == 1 and sim_out.bold_files[0].endswith(
        "sub-01/func/sub-01_task-motor_run-01_bold.nii.gz"), f"bold_files {sim_out.bold_files}")
    check(pathlib.Path(sim_out.bold_files[0]).parents[3] == tmp / "work" / "dcae" / "simulate",
          f"the dataset is not in the node's folder: {sim_out.bold_files[0]}")
    mask = check_preproc(pre_out, GRID + [VOLUMES], TR, True)
    shard = np.load(pre_out.shard)
    check(shard.dtype == np.float32 and shard.shape == (int(mask.sum()), VOLUMES),
          f"{pre_out.shard}: {shard.dtype} {shard.shape}, expected float32 ({int(mask.sum())}, {VOLUMES})")
    print(f"ok   workflow simulate → preproc: {pre_out.preproc_bold} {GRID + [VOLUMES]}, "
          f"{int(mask.sum())} brain voxels, confounds {len(CONFOUND_COLUMNS)} columns, shard "
          f"{shard.shape} ({time.monotonic() - start:.1f} s)")

    # Again: Nipype's cache answers, nothing is recomputed.
    stamp = os.stat(pre_out.preproc_bold).st_mtime_ns
    graph = wf.run(plugin="Linear")
    check(os.stat(pre_out.preproc_bold).st_mtime_ns == stamp, "a second run recomputed preproc")
    print("ok   a second run of the workflow is served from Nipype's cache")

    # Train and Encode nodes on the shard (connected alone: Nipype cleans preproc's folder).
    train = Node(Train(max_steps=3, num_threads=2, quiet=True), name="train")
    encode = Node(Encode(reconstructions=True, num_threads=2, quiet=True), name="encode")
    wf.connect([(preproc, train, [("shard", "shards")]), (preproc, encode, [("shard", "shards")]),
                (train, encode, [("checkpoint", "checkpoint")])])
    with_report = (bin_dir / "dcae-report").exists()
    if with_report:
        report = Node(Report(output_dir="report", quiet=True), name="report")
        wf.connect(preproc, "out_dir", report, "derivatives_dir")
    graph = wf.run(plugin="Linear")
    nodes = {n.name: n for n in graph.nodes()}
    trained, encoded = nodes["train"].result.outputs, nodes["encode"].result.outputs
    check(os.path.getsize(trained.checkpoint) > 0, f"{trained.checkpoint}: empty")
    features = np.load(encoded.features[0])
    recon = np.load(encoded.reconstructions[0])
    check(features.shape[0] == shard.shape[0] and recon.shape == shard.shape,
          f"features {features.shape}, reconstructions {recon.shape} for a shard {shard.shape}")
    print(f"ok   workflow grown by train → {pathlib.Path(trained.checkpoint).name} and encode → "
          f"features {features.shape}")
    if with_report:
        pages = nodes["report"].result.outputs
        check([pathlib.Path(p).name for p in pages.participant_pages] == ["sub-01.html"]
              and pathlib.Path(pages.group_page).parent == tmp / "work" / "dcae" / "report" / "report",
              f"report pages {pages.participant_pages}, {pages.group_page}")
        check("</html>" in pathlib.Path(pages.participant_pages[0]).read_text(), "sub-01.html is not a page")
        print(f"ok   report node: {pages.participant_pages[0]}, group.html")
    else:
        print(f"skip report node: dcae-report is not built in {bin_dir}")

    # The HCP layout: two runs, preproc of the second without a shard.
    (tmp / "hcp").mkdir()
    hcp = Simulate(layout="hcp", subjects=1, runs=2, grid=GRID, voxel_size=VOXEL_MM, tr=0.72,
                   volumes=50, quiet=True).run(cwd=str(tmp / "hcp")).outputs
    check([pathlib.Path(b).name for b in hcp.bold_files] == ["tfMRI_MOTOR_LR.nii.gz", "tfMRI_MOTOR_RL.nii.gz"],
          f"HCP bold_files {hcp.bold_files}")
    rl = Preproc(bold=hcp.bold_files[1], no_shard=True, quiet=True).run(cwd=str(tmp / "hcp")).outputs
    check(pathlib.Path(rl.preproc_bold).name == "sub-100001_task-motor_dir-RL_desc-preproc_bold.nii.gz",
          f"HCP preproc_bold {rl.preproc_bold}")
    check_preproc(rl, GRID + [50], 0.72, False)
    check(nib.load(hcp.groundtruth_components[1]).shape[:3] == tuple(GRID), "HCP ground truth maps")
    print(f"ok   HCP layout: {len(hcp.bold_files)} runs, {pathlib.Path(rl.preproc_bold).name}")

    # A command that fails is reported with its own message, not as a missing output.
    (tmp / "fail").mkdir()
    try:
        Simulate(volumes=10, tr=0.72, quiet=True).run(cwd=str(tmp / "fail"))
        check(False, "a simulation shorter than one task block ran")
    except RuntimeError as e:
        check("exit status 2" in str(e) and "shorter than 30 s" in str(e), f"the error says: {e}")
    print("ok   a failing command raises its own error message")
    print(f"nipype workflow: all checks passed ({time.monotonic() - start:.1f} s)")
