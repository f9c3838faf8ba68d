#!/usr/bin/env python3
"""Helpers of bench_science.sh (not a test): the control inputs it builds and the tables it
prints. Debian's python3 with numpy, scipy and nibabel.

  science.py pca TRAIN_SHARDS... -- EVAL_SHARDS... --out DIR --width F
        PCA of the training runs' series (centred, SVD); each evaluation run projected on the
        first F components, written as a feature shard (sidecar carried over)
  science.py lowpass SHARDS... --out DIR --sigma S
        each series smoothed in time by a Gaussian of S volumes (the simple low-pass control)
  science.py collect CELL_JSON --gt GROUNDTRUTH --deriv DERIV --label NAME=DECOMPOSITION.json ...
        per evaluation run and movement: r, chance level, map r and Dice against the planted
        network, for each decomposition; appended to CELL_JSON (one JSON line)
  science.py summary RESULTS.jsonl
        the tables: per cell and condition the mean |r| of each method and the chance level,
        maps, controls, and DCAE vs raw paired over seeds (Wilcoxon signed-rank, effect size)
"""
import json
import pathlib
import shutil
import sys

import numpy as np

MOVEMENTS = ["lf", "lh", "rf", "rh", "t"]


def read_shard(path):
    x = np.load(path)
    with open(pathlib.Path(path).with_suffix(".json")) as f:
        return x, json.load(f)


def write_shard(path, x, sidecar):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sidecar = dict(sidecar)
    sidecar["Shape"] = list(x.shape)
    np.save(path, np.ascontiguousarray(x, dtype=np.float32))
    with open(path.with_suffix(".json"), "w") as f:
        json.dump(sidecar, f)


def feature_name(shard):
    name = pathlib.Path(shard).name
    return name.replace("_desc-preproc_timeseries.npy", "_desc-features_timeseries.npy")


def cmd_pca(args):
    sep = args.index("--")
    train, rest = args[:sep], args[sep + 1:]
    out = pathlib.Path(rest[rest.index("--out") + 1])
    width = int(rest[rest.index("--width") + 1])
    evals = [a for a in rest if a.endswith(".npy")]
    x = np.concatenate([read_shard(s)[0] for s in train]).astype(np.float64)
    mean = x.mean(0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    basis = vt[:min(width, vt.shape[0])]
    explained = (s[:len(basis)] ** 2).sum() / (s ** 2).sum()
    for e in evals:
        y, side = read_shard(e)
        side["Source"] = str(pathlib.Path(e).resolve())
        side["Provenance"] = {"Step": "pca", "Components": len(basis), "ExplainedVariance": explained,
                              "Input": side.get("Provenance", {})}
        write_shard(out / feature_name(e), (y - mean) @ basis.T, side)
    print(f"PCA: {len(basis)} components of {x.shape[1]} explain {explained:.3f} of the training variance")


def cmd_lowpass(args):
    out = pathlib.Path(args[args.index("--out") + 1])
    sigma = float(args[args.index("--sigma") + 1])
    shards = [a for a in args if a.endswith(".npy")]
    from scipy.ndimage import gaussian_filter1d
    for s in shards:
        x, side = read_shard(s)
        y = gaussian_filter1d(x.astype(np.float64), sigma, axis=1, mode="nearest")
        y = (y - y.mean(1, keepdims=True)) / np.where(y.std(1, keepdims=True) > 0, y.std(1, keepdims=True), 1)
        write_shard(out / pathlib.Path(s).name, y, side)


def map_metrics(atom_map, planted, mask):
    a, b = atom_map[mask], planted[mask]
    r = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else 0.0
    peak = a.max()
    x = a >= 0.5 * peak if peak > 0 else np.zeros_like(a, bool)
    y = b >= 0.5
    dice = float(2 * (x & y).sum() / max(1, x.sum() + y.sum()))
    inside = bool(peak > 0 and b[np.argmax(a)] >= 0.25)
    return r, dice, inside


def cmd_collect(args):
    import nibabel as nib
    cell_json = pathlib.Path(args[0])
    gt = pathlib.Path(args[args.index("--gt") + 1])
    deriv = pathlib.Path(args[args.index("--deriv") + 1])
    meta = json.loads(args[args.index("--meta") + 1])
    labels = [a.split("=", 1) for a in args if "=" in a and not a.startswith("{")]
    record = dict(meta, methods={})
    for label, path in labels:
        path = pathlib.Path(path)
        if not path.exists():
            continue
        d = json.load(open(path))
        runs = []
        for run in d["Runs"]:
            name = run["Name"]
            sub = name.split("_")[0]
            gdir = gt / sub / "func"
            nets = json.load(open(gdir / f"{name}_desc-groundtruth_components.json"))["Networks"]
            planted = np.asarray(nib.load(str(gdir / f"{name}_desc-groundtruth_components.nii.gz")).dataobj)
            mask = np.asarray(nib.load(str(deriv / sub / "func" / f"{name}_desc-brain_mask.nii.gz")).dataobj) > 0
            comps = np.asarray(nib.load(str(path.parent / run["Components"])).dataobj)
            scores = {s["Condition"]: s for s in run["Scores"]}
            decoder = {s["Condition"]: s for s in run.get("DecoderScores", [])}
            entry = {}
            for k, net in enumerate(nets):
                c = net["Condition"]
                if c not in MOVEMENTS or c not in scores:
                    continue
                s = scores[c]
                m = comps[..., s["Atom"]] * (1 if s["r"] >= 0 else -1)
                r_map, dice, inside = map_metrics(m, planted[..., k], mask)
                entry[c] = {"r": s["r"], "null": s["NullR95"], "map_r": r_map, "dice": dice, "inside": inside}
                if c in decoder:
                    entry[c]["decoder_r"] = decoder[c]["r"]
                    entry[c]["decoder_null"] = decoder[c]["NullR95"]
            runs.append(entry)
        record["methods"][label] = runs
    with open(cell_json, "a") as f:
        f.write(json.dumps(record) + "\n")


def cmd_summary(args):
    from scipy.stats import wilcoxon
    records = [json.loads(l) for l in open(args[0]) if l.strip()]
    cells = {}
    for r in records:
        cells.setdefault(r["cell"], []).append(r)

    def values(recs, method, key, cond=None):
        """Per seed: the mean of `key` over evaluation runs (and movements unless cond)."""
        out = []
        for rec in recs:
            runs = rec["methods"].get(method)
            if not runs:
                out.append(np.nan)
                continue
            v = [run[c][key] for run in runs for c in ([cond] if cond else MOVEMENTS)
                 if c in run and run[c].get(key) is not None]
            out.append(float(np.mean(v)) if v else np.nan)
        return np.array(out, dtype=float)

    def found(recs, method, key="r", null="null"):
        """Share of (run, movement) with r >= 0.8 and above the chance level."""
        n = ok = 0
        for rec in recs:
            for run in rec["methods"].get(method, []):
                for c in MOVEMENTS:
                    if c in run and run[c].get(key) is not None:
                        n += 1
                        ok += run[c][key] >= 0.8 and run[c][key] > (run[c].get(null) or 1)
        return f"{ok}/{n}"

    methods = [("raw", "raw-DL", "r"), ("dcae", "DCAE-DL", "r"), ("dcae", "DCAE decoder (upsampling)", "decoder_r"),
               ("ablation", "DCAE decoder (ablation)", "decoder_r"), ("untrained", "untrained DCAE-DL", "r"),
               ("pca", "PCA-DL", "r"), ("lowpass", "low-pass raw-DL", "r")]
    print("\n## Per cell: mean over seeds of the mean over evaluation runs of r (chance level in brackets)\n")
    for cell, recs in cells.items():
        print(f"### {cell} ({len(recs)} seeds, {recs[0].get('subjects', '?')} subjects per seed, "
              f"{recs[0].get('volumes', '?')} volumes at TR {recs[0].get('tr', '?')} s)\n")
        head = "| condition | " + " | ".join(m[1] for m in methods) + " |"
        print(head)
        print("|" + "---|" * (len(methods) + 1))
        for c in MOVEMENTS + [None]:
            cells_ = []
            for method, _, key in methods:
                v = values(recs, method, key, c)
                n = values(recs, method, "decoder_null" if key == "decoder_r" else "null", c)
                cells_.append("—" if np.all(np.isnan(v)) else f"{np.nanmean(v):.3f} ({np.nanmean(n):.2f})")
            print(f"| {c or 'all movements'} | " + " | ".join(cells_) + " |")
        print("\n| | " + " | ".join(m[1] for m in methods) + " |")
        print("|" + "---|" * (len(methods) + 1))
        print("| found (r ≥ 0.8 and above chance) | " + " | ".join(
            found(recs, m, k, "decoder_null" if k == "decoder_r" else "null") for m, _, k in methods) + " |")
        print("| map r | " + " | ".join(
            "—" if k != "r" or np.all(np.isnan(values(recs, m, "map_r"))) else f"{np.nanmean(values(recs, m, 'map_r')):.3f}"
            for m, _, k in methods) + " |")
        print("| Dice | " + " | ".join(
            "—" if k != "r" or np.all(np.isnan(values(recs, m, "dice"))) else f"{np.nanmean(values(recs, m, 'dice')):.3f}"
            for m, _, k in methods) + " |")
        print()
    def margin(recs, method):
        """Per seed: the mean over evaluation runs and movements of r minus its chance level."""
        return values(recs, method, "r") - values(recs, method, "null")

    def paired(title, getter):
        print(f"\n## DCAE-DL vs raw-DL, paired over seeds ({title})\n")
        print("| cell | seeds | raw-DL median | DCAE-DL median | median difference | Wilcoxon p (two-sided) | rank-biserial r |")
        print("|---|---|---|---|---|---|---|")
        for cell, recs in cells.items():
            raw, dcae = getter(recs, "raw"), getter(recs, "dcae")
            ok = ~(np.isnan(raw) | np.isnan(dcae))
            raw, dcae = raw[ok], dcae[ok]
            d = dcae - raw
            if len(d) >= 2 and np.any(d != 0):
                w = wilcoxon(dcae, raw)
                ranks = np.argsort(np.argsort(np.abs(d))) + 1.0
                plus, minus = ranks[d > 0].sum(), ranks[d < 0].sum()
                rb = (plus - minus) / (plus + minus)
                p = f"{w.pvalue:.3g}"
            else:
                p, rb = "—", float("nan")
            print(f"| {cell} | {len(d)} | {np.median(raw):+.3f} | {np.median(dcae):+.3f} | {np.median(d):+.3f} | {p} | {rb:+.2f} |")

    paired("mean r over evaluation runs and movements", lambda recs, m: values(recs, m, "r"))
    # The fair comparison: DCAE features give smoother atoms, whose chance level is higher.
    paired("mean of r minus its chance level NullR95: the score's margin over chance", margin)

if __name__ == "__main__":
    commands = {"pca": cmd_pca, "lowpass": cmd_lowpass, "collect": cmd_collect, "summary": cmd_summary}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])
