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
        elif kind in ("input-file", "input-dir"):
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
            outputs.append({"id": ident + "_out", "name": arg["name"], "description": arg["help"],
                            "path-template": key, "optional": False})
    d = {
        "name": usage["name"],
        "tool-version": usage["version"],
        "description": usage["summary"] + ". " + " ".join(usage["description"].split()),
        "command-line": " ".join(line),
        "schema-version": "0.5",
        "inputs": inputs,
        "output-files": outputs,
        "tags": {"domain": ["neuroinformatics", "fmri"]},
        "suggested-resources": {"cpu-cores": 2, "ram": 4},
    }
    if not outputs:
        del d["output-files"]
    return d


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
        text = json.dumps(descriptor(usage), indent=2) + "\n"
        path = out_dir / (exe + ".json")
        if check:
            if not path.exists() or path.read_text() != text:
                drift.append(str(path))
        else:
            path.write_text(text)
    if drift:
        print("descriptors out of date (run descriptors/generate.py BIN_DIR): " + ", ".join(drift))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
