"""Nipype interfaces of dcae's executables: inputs generated from each executable's usage
(_generated.py), outputs written here from what each command writes and how it names it
(src/app/*_command.cpp, src/sim/simulator.cpp, src/preproc/pipeline.cpp, src/model/)."""
import os

from nipype.interfaces.base import Directory, File, InputMultiObject, TraitedSpec

from . import _generated
from .base import DcaeCommandLine
from .naming import bids_filename, derivative_path, encoded_stem, run_entities

SPECS = _generated.SPECS


class SimulateOutputSpec(TraitedSpec):
    out_dir = Directory(exists=True, desc="the simulated dataset")
    bold_files = InputMultiObject(File(exists=True), desc="every run's 4-D BOLD image")
    events_files = InputMultiObject(File(exists=True), desc="BIDS: every run's events.tsv")
    ev_dirs = InputMultiObject(Directory(exists=True), desc="HCP: every run's EVs folder")
    movement_regressors = InputMultiObject(File(exists=True),
                                           desc="HCP: every run's Movement_Regressors.txt")
    bold_sidecar = File(exists=True, desc="BIDS: task-<task>_bold.json (RepetitionTime, ...)")
    dataset_description = File(exists=True, desc="BIDS: dataset_description.json")
    groundtruth_dir = Directory(exists=True, desc="the ground truth folder")
    groundtruth_motion = InputMultiObject(
        File(exists=True), desc="every run's true motion (*_desc-groundtruth_timeseries.tsv)")
    groundtruth_components = InputMultiObject(
        File(exists=True), desc="every run's network maps (*_desc-groundtruth_components.nii.gz)")
    groundtruth_mixing = InputMultiObject(
        File(exists=True), desc="every run's network time courses (*_desc-groundtruth_mixing.tsv)")
    groundtruth_mask = InputMultiObject(
        File(exists=True), desc="every run's true brain mask (*_desc-brain_mask.nii.gz)")


class Simulate(DcaeCommandLine):
    """dcae-simulate: a task-fMRI dataset (BIDS or HCP layout) with known ground truth.

    Simulate(subjects=1, grid=[16, 20, 14], volumes=20).cmdline is
    'dcae-simulate --grid 16 20 14 --subjects 1 --volumes 20 <cwd>/dataset'.
    """

    _cmd = "dcae-simulate"
    _spec = SPECS["dcae-simulate"]
    _output_names = {"output_dir": "dataset"}
    input_spec = _spec.input_spec
    output_spec = SimulateOutputSpec

    def _list_outputs(self):
        p = self.parsed_values()
        out = os.path.abspath(p["output_dir"])
        o = {"out_dir": out, "bold_files": [], "groundtruth_motion": [],
             "groundtruth_components": [], "groundtruth_mixing": [], "groundtruth_mask": []}

        def ground_truth(folder, prefix):
            for key, name in (("groundtruth_motion", "desc-groundtruth_timeseries.tsv"),
                              ("groundtruth_components", "desc-groundtruth_components.nii.gz"),
                              ("groundtruth_mixing", "desc-groundtruth_mixing.tsv"),
                              ("groundtruth_mask", "desc-brain_mask.nii.gz")):
                o[key].append(os.path.join(folder, prefix + name))

        if p["layout"] == "bids":
            o["events_files"] = []
            o["bold_sidecar"] = os.path.join(out, f"task-{p['task']}_bold.json")
            o["dataset_description"] = os.path.join(out, "dataset_description.json")
            o["groundtruth_dir"] = os.path.join(out, "derivatives", "groundtruth")
            for s in range(p["subjects"]):
                for r in range(p["runs"]):
                    e = {"sub": f"{s + 1:02d}", "task": p["task"], "run": f"{r + 1:02d}"}
                    func = os.path.join(out, "sub-" + e["sub"], "func")
                    o["bold_files"].append(os.path.join(func, bids_filename(e, "bold", ".nii.gz")))
                    o["events_files"].append(os.path.join(func, bids_filename(e, "events", ".tsv")))
                    ground_truth(os.path.join(o["groundtruth_dir"], "sub-" + e["sub"], "func"),
                                 bids_filename(e, "", ""))
        else:
            o["ev_dirs"], o["movement_regressors"] = [], []
            o["groundtruth_dir"] = os.path.join(out, "groundtruth")
            for s in range(p["subjects"]):
                subject = str(100001 + s)
                for r in range(p["runs"]):
                    name = f"tfMRI_{p['task'].upper()}_{'LR' if r == 0 else 'RL'}"
                    folder = os.path.join(out, subject, "MNINonLinear", "Results", name)
                    o["bold_files"].append(os.path.join(folder, name + ".nii.gz"))
                    o["ev_dirs"].append(os.path.join(folder, "EVs"))
                    o["movement_regressors"].append(os.path.join(folder, "Movement_Regressors.txt"))
                    ground_truth(os.path.join(o["groundtruth_dir"], subject, name), name + "_")
        return o


class PreprocOutputSpec(TraitedSpec):
    out_dir = Directory(exists=True, desc="the derivatives folder")
    preproc_bold = File(exists=True, desc="*[_space-<label>]_desc-preproc_bold.nii.gz: motion- "
                                          "and slice-timing-corrected, not smoothed (fMRIPrep's)")
    preproc_json = File(exists=True, desc="its sidecar (RepetitionTime, provenance, ...)")
    filtered_bold = File(exists=True, desc="*[_space-<label>]_desc-filtered_bold.nii.gz: "
                                           "smoothed, scaled, high-passed (FEAT's)")
    filtered_json = File(exists=True, desc="its sidecar (SmoothingFWHM, HighPassCutoff, ...)")
    brain_mask = File(exists=True, desc="*[_space-<label>]_desc-brain_mask.nii.gz")
    brain_mask_json = File(exists=True, desc="the mask's sidecar")
    confounds = File(exists=True, desc="*_desc-confounds_timeseries.tsv: trans_x ... rot_z, "
                                       "framewise_displacement, dvars, global_signal, csf, "
                                       "white_matter, cosine*")
    confounds_json = File(exists=True, desc="the confounds' sidecar")
    shard = File(exists=True, desc="shards/*_desc-preproc_timeseries.npy, [n_voxels, T] "
                                   "(unless no_shard)")
    shard_json = File(exists=True, desc="the shard's sidecar")


class Preproc(DcaeCommandLine):
    """dcae-preproc: FEAT-equivalent preprocessing of one BOLD run into a derivatives folder.

    Preproc(bold="ds/sub-01/func/sub-01_task-motor_run-01_bold.nii.gz", fwhm=6.0).cmdline is
    'dcae-preproc --fwhm 6.0 <path>/sub-01_task-motor_run-01_bold.nii.gz <cwd>/derivatives'.
    """

    _cmd = "dcae-preproc"
    _spec = SPECS["dcae-preproc"]
    _output_names = {"output_dir": "derivatives"}
    input_spec = _spec.input_spec
    output_spec = PreprocOutputSpec

    def _list_outputs(self):
        p = self.parsed_values()
        out = os.path.abspath(p["output_dir"])
        entities = run_entities(p["bold"])
        space = p["template_space"] if p.get("template") else ""
        o = {"out_dir": out}
        for key, add, suffix, ext in (
                ("preproc_bold", {"space": space, "desc": "preproc"}, "bold", ".nii.gz"),
                ("preproc_json", {"space": space, "desc": "preproc"}, "bold", ".json"),
                ("filtered_bold", {"space": space, "desc": "filtered"}, "bold", ".nii.gz"),
                ("filtered_json", {"space": space, "desc": "filtered"}, "bold", ".json"),
                ("brain_mask", {"space": space, "desc": "brain"}, "mask", ".nii.gz"),
                ("brain_mask_json", {"space": space, "desc": "brain"}, "mask", ".json"),
                ("confounds", {"desc": "confounds"}, "timeseries", ".tsv"),
                ("confounds_json", {"desc": "confounds"}, "timeseries", ".json")):
            o[key] = derivative_path(out, entities, add, suffix, ext)
        if not p["no_shard"]:
            stem = bids_filename(entities, "bold", "")[: -len("_bold")]
            stem += f"_space-{space}" if space else ""
            o["shard"] = os.path.join(out, "shards", stem + "_desc-preproc_timeseries.npy")
            o["shard_json"] = o["shard"][: -len(".npy")] + ".json"
        return o


class TrainOutputSpec(TraitedSpec):
    out_dir = Directory(exists=True, desc="the model folder")
    checkpoint = File(exists=True, desc="model.pt: model, Adagrad state, step, configuration")
    model_config = File(exists=True, desc="model.yaml: the configuration used")
    loss_log = File(exists=True, desc="loss.tsv: the training loss per step")


class Train(DcaeCommandLine):
    """dcae-train: the convolutional autoencoder trained on time-series shards."""

    _cmd = "dcae-train"
    _spec = SPECS["dcae-train"]
    _output_names = {"output_dir": "model"}
    input_spec = _spec.input_spec
    output_spec = TrainOutputSpec

    def _list_outputs(self):
        out = os.path.abspath(self.parsed_values()["output_dir"])
        return {"out_dir": out, "checkpoint": os.path.join(out, "model.pt"),
                "model_config": os.path.join(out, "model.yaml"),
                "loss_log": os.path.join(out, "loss.tsv")}


class EncodeOutputSpec(TraitedSpec):
    out_dir = Directory(exists=True, desc="the feature folder")
    features = InputMultiObject(File(exists=True),
                                desc="one *_desc-features_timeseries.npy ([n_voxels, F]) per shard")
    features_json = InputMultiObject(File(exists=True), desc="their sidecars")
    reconstructions = InputMultiObject(
        File(exists=True), desc="with reconstructions: *_desc-reconstruction_timeseries.npy")
    reconstructions_json = InputMultiObject(File(exists=True), desc="their sidecars")


class Encode(DcaeCommandLine):
    """dcae-encode: high-level features of every voxel of time-series shards."""

    _cmd = "dcae-encode"
    _spec = SPECS["dcae-encode"]
    _output_names = {"output_dir": "features"}
    input_spec = _spec.input_spec
    output_spec = EncodeOutputSpec

    def _list_outputs(self):
        p = self.parsed_values()
        out = os.path.abspath(p["output_dir"])
        stems = [encoded_stem(s) for s in p["shards"]]
        o = {"out_dir": out,
             "features": [os.path.join(out, s + "_desc-features_timeseries.npy") for s in stems]}
        o["features_json"] = [f[: -len(".npy")] + ".json" for f in o["features"]]
        if p["reconstructions"]:
            o["reconstructions"] = [os.path.join(out, s + "_desc-reconstruction_timeseries.npy")
                                    for s in stems]
            o["reconstructions_json"] = [f[: -len(".npy")] + ".json" for f in o["reconstructions"]]
        return o


class ReportOutputSpec(TraitedSpec):
    out_dir = Directory(exists=True, desc="the folder of the pages")
    participant_pages = InputMultiObject(File(exists=True),
                                         desc="sub-<label>.html of each participant reported")
    group_page = File(exists=True, desc="group.html")


class Report(DcaeCommandLine):
    """dcae-report: HTML reports (per participant and group) of a derivatives folder. Without
    output_dir the pages go into derivatives_dir; a relative output_dir ("report") keeps them in
    the node's folder."""

    _cmd = "dcae-report"
    _spec = SPECS["dcae-report"]
    input_spec = _spec.input_spec
    output_spec = ReportOutputSpec

    def _list_outputs(self):
        p = self.parsed_values()
        root = os.path.abspath(p["derivatives_dir"])
        out = os.path.abspath(p.get("output_dir") or root)
        labels = []
        for label in p.get("participant_label") or []:
            label = label[len("sub-"):] if label.startswith("sub-") else label
            if label not in labels:
                labels.append(label)
        if not labels:
            labels = sorted(e.name[len("sub-"):] for e in os.scandir(root)
                            if e.is_dir() and e.name.startswith("sub-") and len(e.name) > 4)
        o = {"out_dir": out}
        if p["level"] != "group":
            o["participant_pages"] = [os.path.join(out, f"sub-{label}.html") for label in labels]
        if p["level"] != "participant":
            o["group_page"] = os.path.join(out, "group.html")
        return o


class DictLearnOutputSpec(TraitedSpec):
    out_dir = Directory(exists=True, desc="the output folder")
    decomposition = File(exists=True, desc="<prefix>_desc-<label>_decomposition.json: atoms, "
                                           "scores per run and condition, chance levels")
    mixing = InputMultiObject(File(exists=True), desc="every run's temporal atoms "
                                                      "(*_desc-<label>_mixing.tsv)")
    components = InputMultiObject(File(exists=True), desc="every run's spatial maps "
                                                          "(*_desc-<label>_components.nii.gz)")
    correlation_components = InputMultiObject(
        File(exists=True), desc="every run's r-maps: each voxel's r with each temporal atom "
                                "(*_desc-<label>corr_components.nii.gz)")
    decoder_mixing = InputMultiObject(File(exists=True), desc="with a checkpoint: the atoms "
                                                              "through the decoder")


class DictLearn(DcaeCommandLine):
    """dcae-dictlearn: online dictionary learning on shards (raw signals or DCAE features),
    each run's atoms scored against its own events. The outputs are those the decomposition
    JSON it writes lists."""

    _cmd = "dcae-dictlearn"
    _spec = SPECS["dcae-dictlearn"]
    _output_names = {"output_dir": "dictlearn"}
    input_spec = _spec.input_spec
    output_spec = DictLearnOutputSpec

    def _list_outputs(self):
        import glob
        import json
        p = self.parsed_values()
        out = os.path.abspath(p["output_dir"])
        label = p.get("label") or ""
        found = sorted(glob.glob(os.path.join(out, "**", f"*_desc-{label or '*'}_decomposition.json"),
                                 recursive=True), key=os.path.getmtime)
        o = {"out_dir": out}
        if not found:
            return o
        o["decomposition"] = found[-1]
        d = json.load(open(found[-1]))
        root = os.path.dirname(found[-1])
        o["mixing"] = [os.path.join(root, r["Mixing"]) for r in d["Runs"]]
        o["components"] = [os.path.join(root, r["Components"]) for r in d["Runs"]]
        if all("CorrelationComponents" in r for r in d["Runs"]) and d["Runs"]:
            o["correlation_components"] = [os.path.join(root, r["CorrelationComponents"])
                                           for r in d["Runs"]]
        if all("DecoderMixing" in r for r in d["Runs"]) and d["Runs"]:
            o["decoder_mixing"] = [os.path.join(root, r["DecoderMixing"]) for r in d["Runs"]]
        return o


HAND_WRITTEN = (Simulate, Preproc, Train, Encode, DictLearn, Report)
