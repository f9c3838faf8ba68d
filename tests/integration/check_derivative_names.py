"""Checks that every file under sub-*/ of a dcae derivatives folder is named by the
BIDS-Derivatives rules: known entities in the specification's order with alphanumeric labels,
a known suffix with an extension allowed for it, and a JSON sidecar where the specification
asks for one (preprocessed BOLD, confounds time series).

usage: check_derivative_names.py DERIVATIVES_DIR     exit 0 when every name follows the rules
"""
import os
import re
import sys

# Entity order of the BIDS specification (1.8, appendix "Entity table").
ENTITIES = ["sub", "ses", "sample", "task", "tracksys", "acq", "ce", "trc", "stain", "rec", "dir", "run", "mod",
            "echo", "flip", "inv", "mt", "part", "proc", "hemi", "space", "split", "recording", "chunk", "atlas",
            "roi", "label", "from", "to", "mode", "den", "res", "model", "subset", "desc"]
# Suffixes dcae writes, and the extensions each may have.
SUFFIXES = {
    "bold": {".nii.gz", ".nii", ".json"},
    "mask": {".nii.gz", ".nii", ".json"},
    "timeseries": {".tsv", ".json"},
    "components": {".nii.gz", ".nii", ".json"},
    "mixing": {".tsv", ".json"},
    "decomposition": {".json"},
}
NEEDS_SIDECAR = {("bold", ".nii.gz"), ("timeseries", ".tsv")}
LABEL = re.compile(r"^[A-Za-z0-9]+$")


def check_name(path, rel):
    name = os.path.basename(path)
    m = re.match(r"^([^.]+)(\..+)$", name)
    if not m:
        return [f"{rel}: no extension"]
    stem, ext = m.groups()
    parts = stem.split("_")
    suffix, pairs = parts[-1], parts[:-1]
    problems = []
    if suffix not in SUFFIXES:
        problems.append(f"{rel}: unknown suffix '{suffix}'")
    elif ext not in SUFFIXES[suffix]:
        problems.append(f"{rel}: extension '{ext}' is not allowed for _{suffix}")
    keys = []
    for p in pairs:
        if "-" not in p:
            problems.append(f"{rel}: '{p}' is not a key-label entity")
            continue
        key, label = p.split("-", 1)
        if key not in ENTITIES:
            problems.append(f"{rel}: unknown entity '{key}'")
        elif not LABEL.match(label):
            problems.append(f"{rel}: label '{label}' of '{key}' is not alphanumeric")
        keys.append(key)
    order = [ENTITIES.index(k) for k in keys if k in ENTITIES]
    if order != sorted(order) or len(set(keys)) != len(keys):
        problems.append(f"{rel}: entities {keys} are not in the specification's order (or repeat)")
    if not keys or keys[0] != "sub":
        problems.append(f"{rel}: does not start with sub-")
    parts_dir = rel.split(os.sep)
    if keys and keys[0] == "sub" and parts_dir[0] != "sub-" + pairs[0].split("-", 1)[1]:
        problems.append(f"{rel}: lies outside its subject's folder")
    if (suffix, ext) in NEEDS_SIDECAR and not os.path.exists(path[: -len(ext)] + ".json"):
        problems.append(f"{rel}: has no JSON sidecar")
    return problems


def main():
    root = sys.argv[1]
    problems, count = [], 0
    for top in sorted(os.listdir(root)):
        if not top.startswith("sub-") or not os.path.isdir(os.path.join(root, top)):
            continue
        for folder, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                path = os.path.join(folder, f)
                problems += check_name(path, os.path.relpath(path, root))
                count += 1
    for p in problems:
        print("FAIL:", p)
    if count == 0:
        print("FAIL: no files under sub-*/ in", root)
        return 1
    print(f"{count} files under sub-*/ checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
