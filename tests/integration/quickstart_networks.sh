#!/usr/bin/env bash
# The quickstart's promise, checked: bids-app/quickstart.sh (the README's first command) into a
# temporary folder, then against the simulation's ground truth:
#  - the planted networks are findable: each task network's core (planted map ≥ 0.5, in the
#    brain mask) follows its condition's design at r ≥ 0.8 in the preprocessed run;
#  - raw-signal dictionary learning finds every movement in every run at r ≥ 0.8 and above
#    the run's chance level (NullR95), with the assigned atom's maps (codes and r-map) peaking
#    inside the planted network;
#  - DCAE-feature dictionary learning: the r-map of every movement's atom (each voxel's r with
#    the atom's time course) peaks inside the planted network (DCAE_MAPS=1, the default
#    without SIMULATE_ARGS; else printed only);
#  - both decompositions report a chance level for every score; the report leads with them.
# Prints the scores of raw-DL and DCAE-DL and where each map (codes, r-map) peaks.
# SIMULATE_ARGS (e.g. "--motion 2 --rotation 2", integration.networks_motion2x) changes the
# simulated data.
# Usage: quickstart_networks.sh   (about 3-4 minutes)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$top/bids-app/quickstart.sh" "$work/qs" > "$work/out.txt" 2> "$work/err.txt" || { tail -30 "$work/err.txt"; echo "FAIL: quickstart"; exit 1; }
if ! /usr/bin/python3 -c 'import nibabel, numpy' 2>/dev/null; then
  echo "SKIP: /usr/bin/python3 lacks nibabel or numpy"; exit 77
fi
dcae_maps=${DCAE_MAPS:-$([[ -z "${SIMULATE_ARGS:-}" ]] && echo 1 || echo 0)}
/usr/bin/python3 - "$work/qs" "$top/tests/support" "$dcae_maps" <<'PY'
import sys, pathlib
import numpy as np, nibabel as nib
sys.path.insert(0, sys.argv[2])
import dcae_science as ds
qs = pathlib.Path(sys.argv[1])
check_dcae_maps = sys.argv[3] == "1"
deriv, gt_root = qs / "derivatives", qs / "bids" / "derivatives" / "groundtruth"
movements = ["lf", "lh", "rf", "rh", "t"]
problems = []
for label in ["rawodl", "dcaeodl"]:
    d = ds.read_json(deriv / f"task-motor_desc-{label}_decomposition.json")
    for run in d["Runs"]:
        name, sub = run["Name"], run["Name"].split("_")[0]
        func = deriv / sub / "func"
        gt = gt_root / sub / "func"
        nets = ds.read_json(gt / f"{name}_desc-groundtruth_components.json")["Networks"]
        maps = np.asarray(nib.load(str(gt / f"{name}_desc-groundtruth_components.nii.gz")).dataobj)
        mask = np.asarray(nib.load(str(func / f"{name}_desc-brain_mask.nii.gz")).dataobj) > 0
        comps = np.asarray(nib.load(str(deriv / run["Components"])).dataobj)
        rmaps = np.asarray(nib.load(str(deriv / run["CorrelationComponents"])).dataobj)
        regs = dict(zip(run["Design"]["Conditions"], run["Design"]["Regressors"]))
        scores = {s["Condition"]: s for s in run["Scores"]}
        if label == "rawodl":
            bold = np.asarray(nib.load(str(func / f"{name}_desc-filtered_bold.nii.gz")).dataobj, dtype=float)
        line = []
        for k, net in enumerate(nets):
            c = net["Condition"]
            if c not in movements:
                continue
            s = scores[c]
            planted = maps[..., k]
            if label == "rawodl":
                core = (planted >= 0.5) & mask
                core_r = np.corrcoef(bold[core].mean(0), regs[c])[0, 1]
                if core_r < 0.8:
                    problems.append(f"{name} {c}: the planted core follows its design at r {core_r:.3f} < 0.8")
            def peak_inside(m):
                m = m * (1 if s["r"] >= 0 else -1)
                return planted[np.unravel_index(np.argmax(np.where(mask, m, -np.inf)), m.shape)] >= 0.25
            inside, r_inside = peak_inside(comps[..., s["Atom"]]), peak_inside(rmaps[..., s["Atom"]])
            where = lambda b: "in" if b else "out"
            line.append(f"{c} r {s['r']:.3f} (chance {s['NullR95']:.3f}, peak: codes {where(inside)}, r-map {where(r_inside)})")
            if label == "dcaeodl" and check_dcae_maps and not r_inside:
                problems.append(f"DCAE-DL {name} {c}: the r-map's peak is outside the planted network")
            if s.get("NullR95") is None:
                problems.append(f"{label} {name} {c}: no chance level")
            if label == "rawodl":
                if s["r"] < 0.8 or s["r"] <= s["NullR95"]:
                    problems.append(f"raw-DL {name} {c}: r {s['r']:.3f}, chance {s['NullR95']:.3f}")
                if not inside or not r_inside:
                    problems.append(f"raw-DL {name} {c}: the {'codes' if not inside else 'r-map'}' peak is outside the planted network")
        print(f"{label} {name}: " + "; ".join(line))
html = (deriv / "group.html").read_text()
if html.find("Network discovery") < 0 or html.find("Network discovery") > html.find("Participants"):
    problems.append("group.html does not lead with the network-discovery scores")
if "Planted networks" not in html:
    problems.append("group.html has no planted-network comparison")
if "dcaeodl r-map peak inside" not in html or "dcaeodl (features) r-map" not in html:
    problems.append("group.html shows no r-maps of the DCAE-DL atoms against the planted networks")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
echo "PASS: the quickstart's networks are found above chance"
