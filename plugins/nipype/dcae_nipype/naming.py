"""File names that dcae's executables write, as the C++ code makes them: BIDS names
(src/io/derivatives.cpp, src/io/bids_layout.cpp), a run's entities (resolve_run in
src/preproc/pipeline.cpp) and encoded shard names (src/model/encoder.cpp)."""
import os

# The BIDS specification's entity order (io::bids_entity_order).
ENTITY_ORDER = (
    "sub", "ses", "sample", "task", "tracksys", "acq", "nuc", "voi", "ce", "trc", "stain",
    "rec", "dir", "run", "mod", "echo", "flip", "inv", "mt", "part", "proc", "hemi", "space",
    "split", "recording", "chunk", "seg", "res", "den", "label", "desc")


def parse_bids_name(filename):
    """(entities, suffix) of a BIDS file name; the first of a repeated entity wins."""
    stem = filename.split(".", 1)[0]
    parts = stem.split("_")
    entities, suffix = {}, ""
    for i, part in enumerate(parts):
        key, dash, value = part.partition("-")
        if not dash:
            if i + 1 == len(parts):
                suffix = part
            continue
        if key and key not in entities:
            entities[key] = value
    return entities, suffix


def bids_filename(entities, suffix, extension):
    """The BIDS name of `entities` (empty values left out) in the specification's order."""
    unknown = set(entities) - set(ENTITY_ORDER)
    if unknown:
        raise ValueError(f"unknown BIDS entities {sorted(unknown)}")
    parts = [f"{k}-{entities[k]}" for k in ENTITY_ORDER if entities.get(k)]
    return "_".join(parts + [suffix]) + extension


def derivative_path(out_root, entities, add, suffix, extension, datatype="func"):
    """<out_root>/sub-X[/ses-Y]/<datatype>/<name>: `entities` with `add` set (empty removes)."""
    e = dict(entities)
    for k, v in add.items():
        if v:
            e[k] = v
        else:
            e.pop(k, None)
    folder = os.path.join(out_root, "sub-" + e["sub"])
    if "ses" in e:
        folder = os.path.join(folder, "ses-" + e["ses"])
    return os.path.join(folder, datatype, bids_filename(e, suffix, extension))


def run_entities(bold):
    """The entities dcae-preproc gives a run: from its BIDS name, or for an HCP run
    (<subject>/MNINonLinear/Results/tfMRI_<TASK>_<DIR>/tfMRI_<TASK>_<DIR>.nii.gz) sub, task
    (lower case) and dir."""
    bold = os.path.normpath(os.path.abspath(bold))
    name = os.path.basename(bold)
    entities, _ = parse_bids_name(name)
    if "sub" in entities:
        return entities
    parts = name.split(".", 1)[0].split("_")
    subject = os.path.basename(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(bold)))))
    if not name.startswith("tfMRI_") or len(parts) != 3 or not subject:
        raise ValueError(f"{bold}: not a BIDS or HCP run name")
    return {"sub": subject, "task": parts[1].lower(), "dir": parts[2]}


def encoded_stem(shard):
    """The stem dcae-encode gives a shard's outputs: its name without .npy and without a
    trailing _desc-preproc_timeseries or _timeseries."""
    stem = os.path.splitext(os.path.basename(shard))[0]
    for suffix in ("_desc-preproc_timeseries", "_timeseries"):
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem
