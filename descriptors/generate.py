#!/usr/bin/env python3
"""Generates the Boutiques descriptors (schema-version 0.5) of dcae's executables from their
usage JSON (`<executable> --usage-json`), the single source of truth for every flag.

Usage: descriptors/generate.py BIN_DIR [OUT_DIR]      (OUT_DIR defaults to this folder)
       descriptors/generate.py --check BIN_DIR        (exit 1 if a committed descriptor drifted)
Standard library only; run with any python3.
"""
import json
import pathlib
import re
import subprocess
import sys

EXECUTABLES = ["dcae-simulate", "dcae-preproc", "dcae-train", "dcae-encode", "dcae-ps", "dcae-worker", "dcae-dictlearn", "dcae-report",
               "dcae-bids-app"]
# Standard options that make no sense in a Boutiques invocation (they print and exit).
SKIPPED = {"help", "version", "usage-json", "parse-only"}
# The image the containers/ build (containers/README.md), tagged with the version.
CONTAINER_IMAGE = "bids/dcae"
# What each tool needs on a typical input (RAM in GB, walltime in s): measured on the 2-core
# development machine for an HCP-sized run (91x109x91x284) or the group of a small study.
RESOURCES = {
    "dcae-simulate": {"cpu-cores": 1, "ram": 2, "walltime-estimate": 600},
    "dcae-preproc": {"cpu-cores": 2, "ram": 4, "walltime-estimate": 3600},
    "dcae-train": {"cpu-cores": 4, "ram": 8, "walltime-estimate": 14400},
    "dcae-encode": {"cpu-cores": 2, "ram": 4, "walltime-estimate": 1800},
    "dcae-ps": {"cpu-cores": 1, "ram": 2, "walltime-estimate": 14400},
    "dcae-worker": {"cpu-cores": 4, "ram": 8, "walltime-estimate": 14400},
    "dcae-dictlearn": {"cpu-cores": 2, "ram": 8, "walltime-estimate": 3600},
    "dcae-report": {"cpu-cores": 1, "ram": 2, "walltime-estimate": 600},
    "dcae-bids-app": {"cpu-cores": 4, "ram": 16, "walltime-estimate": 43200},
}
# `bosh exec launch` tests. The inputs name files of a dataset made first by
#   dcae-simulate --subjects 2 --grid 20 24 18 --voxel-size 8 8 8 --volumes 40 --tr 2 ds
# in the folder the tests run in (tests/integration/check_descriptors.py does so, then runs
# each test's command line and checks its exit code and outputs).
_RUN = "ds/sub-01/func/sub-01_task-motor_run-01"
TESTS = {
    "dcae-simulate": [{
        "name": "a small BIDS dataset",
        "invocation": {"output_dir": "sim", "subjects": 1, "grid": [16, 20, 14],
                       "voxel_size": [8, 8, 8], "volumes": 40, "tr": 2},
        "assertions": {"exit-code": 0, "output-files": [{"id": "output_dir_out"}]}}],
    "dcae-preproc": [{
        "name": "one simulated run",
        "invocation": {"bold": _RUN + "_bold.nii.gz", "output_dir": "deriv"},
        "assertions": {"exit-code": 0, "output-files": [{"id": "output_dir_out"}]}}, {
        "name": "a file that is not a NIfTI image",
        "invocation": {"bold": "ds/dataset_description.json", "output_dir": "bad"},
        "assertions": {"exit-code": 1}}],
    "dcae-report": [{
        "name": "the report of a derivatives folder",
        "invocation": {"derivatives_dir": "ds/derivatives/groundtruth", "output_dir": "report"},
        "assertions": {"exit-code": 0, "output-files": [{"id": "output_dir_out"}]}}],
    "dcae-bids-app": [{
        "name": "participant level of one participant",
        "invocation": {"bids_dir": "ds", "output_dir": "out", "analysis_level": "participant",
                       "participant_label": ["01"], "skip_bids_validation": True},
        "assertions": {"exit-code": 0, "output-files": [{"id": "output_dir_out"}]}}],
}


def input_id(name):
    return re.sub(r"[^0-9A-Za-z_]", "_", name)


def descriptor(usage):
    inputs, outputs, line = [], [], [usage["name"]]
    for arg in usage["arguments"]:
        if arg["name"] in SKIPPED:
            continue
        kind, ident = arg["kind"], input_id(arg["name"])
        key = "[" + ident.upper() + "]"
        entry = {"id": ident, "name": arg["name"], "description": arg["help"], "value-key": key,
                 "optional": not arg["required"]}
        if kind == "flag":
            entry["type"] = "Flag"
        elif kind in ("input-file", "input-dir", "input-file-list"):
            entry["type"] = "File"
        elif kind in ("integer", "number", "integer-list", "number-list"):
            entry["type"] = "Number"
            if kind.startswith("integer"):
                entry["integer"] = True
            if "min" in arg:
                entry["minimum"] = arg["min"]
            if "max" in arg:
                entry["maximum"] = arg["max"]
        else:
            entry["type"] = "String"
        if "choices" in arg:
            entry["value-choices"] = arg["choices"]
        if kind.endswith("-list"):
            entry["list"] = True
            if arg.get("list_size"):
                entry["min-list-entries"] = entry["max-list-entries"] = arg["list_size"]
        if not arg["positional"]:
            entry["command-line-flag"] = arg["flag"]
        if "default" in arg and kind != "flag" and not arg["required"]:
            entry["default-value"] = arg["default"]
        inputs.append(entry)
        line.append(key)
        if kind in ("output-dir", "output-file"):
            # An output named by an optional input is optional too.
            outputs.append({"id": ident + "_out", "name": arg["name"], "description": arg["help"],
                            "path-template": key, "optional": not arg["required"]})
    d = {
        "name": usage["name"],
        "tool-version": usage["version"],
        "description": usage["summary"] + ". " + " ".join(usage["description"].split()),
        "command-line": " ".join(line),
        "schema-version": "0.5",
        "inputs": inputs,
        "output-files": outputs,
        "tags": {"domain": ["neuroinformatics", "fmri"]},
        "suggested-resources": RESOURCES[usage["name"]],
        "container-image": {"type": "docker", "image": CONTAINER_IMAGE + ":" + usage["version"],
                            "index": "docker.io"},
        "error-codes": [{"code": int(code), "description": text}
                        for code, text in sorted(usage["exit_codes"].items()) if code != "0"],
    }
    groups = [{"id": "_".join(input_id(m) for m in g), "name": " / ".join(g),
               "description": "give at most one of " + ", ".join("--" + m for m in g),
               "members": [input_id(m) for m in g], "mutually-exclusive": True}
              for g in usage.get("mutually_exclusive", [])]
    if groups:
        d["groups"] = groups
    if usage["name"] in TESTS:
        d["tests"] = TESTS[usage["name"]]
    if not outputs:
        del d["output-files"]
    return d


def cbrain_bids_app(d):
    """The BIDS-App descriptor as CBRAIN runs BIDS-Apps: the output folder is a name CBRAIN
    creates in the task's work directory (a String, its output file the folder), and the group
    level is a task of its own that takes the participant level's output folder as a File
    (--participant-output)."""
    c = json.loads(json.dumps(d))
    c["description"] = ("CBRAIN form of dcae-bids-app: run the participant level (one task per "
                        "participant or all), then the group level with participant_output set "
                        "to the participant task's output folder. " + d["description"])
    for i in c["inputs"]:
        if i["id"] == "output_dir":
            i.update({"id": "output_dir_name", "name": "output folder name", "type": "String",
                      "value-key": "[OUTPUT_DIR_NAME]", "default-value": "dcae-derivatives",
                      "optional": False,
                      "description": "name of the output folder (a BIDS-Derivatives dataset)"})
    c["inputs"] = [i for i in c["inputs"] if i["id"] not in ("work_dir", "config")]
    c["command-line"] = " ".join(w.replace("[OUTPUT_DIR]", "[OUTPUT_DIR_NAME]")
                                 for w in c["command-line"].split()
                                 if w not in ("[WORK_DIR]", "[CONFIG]"))
    c["output-files"] = [{"id": "output_dir_out", "name": "output folder",
                          "description": "the BIDS-Derivatives dataset (participant and group outputs)",
                          "path-template": "[OUTPUT_DIR_NAME]", "optional": False}]
    c["tests"] = [{
        "name": "participant level",
        "invocation": {"bids_dir": "ds", "output_dir_name": "cbrain-participant",
                       "analysis_level": "participant", "skip_bids_validation": True},
        "assertions": {"exit-code": 0, "output-files": [{"id": "output_dir_out"}]}}, {
        "name": "group level from the participant task's output (run after it)",
        "invocation": {"bids_dir": "ds", "output_dir_name": "cbrain-group", "analysis_level": "group",
                       "participant_output": "cbrain-participant", "train_steps": 5, "atoms": 4},
        "assertions": {"exit-code": 0, "output-files": [{"id": "output_dir_out"}]}}]
    return c


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if not args:
        sys.exit(__doc__)
    bin_dir = pathlib.Path(args[0])
    out_dir = pathlib.Path(args[1]) if len(args) > 1 else pathlib.Path(__file__).resolve().parent
    drift = []
    for exe in EXECUTABLES:
        usage = json.loads(subprocess.run([str(bin_dir / exe), "--usage-json"], check=True,
                                          capture_output=True, text=True).stdout)
        d = descriptor(usage)
        made = [(out_dir / (exe + ".json"), d)]
        if exe == "dcae-bids-app":
            made.append((out_dir / "cbrain" / (exe + ".json"), cbrain_bids_app(d)))
        for path, content in made:
            text = json.dumps(content, indent=2) + "\n"
            if check:
                if not path.exists() or path.read_text() != text:
                    drift.append(str(path))
            else:
                path.parent.mkdir(exist_ok=True)
                path.write_text(text)
    if drift:
        print("descriptors out of date (run descriptors/generate.py BIN_DIR): " + ", ".join(drift))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
