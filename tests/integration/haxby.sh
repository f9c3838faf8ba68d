#!/usr/bin/env bash
# The whole BIDS-App on real fMRI: ../shared/data/haxby2001-25mm (Haxby et al. 2001, subject 1,
# object viewing: 12 runs of 121 volumes at TR 2.5 s, 8 categories in 22.5 s blocks, 25 mm
# voxels). Participant then group level; checks that it completes and that the group
# decompositions (raw-DL and DCAE-DL) score every run against its own events with a chance
# level for every score, and that the group report shows them. Prints, per category, the
# runs whose assigned atom beats the chance level. No bar on the scores yet (real data: the
# numbers come first). Skips (77) when the data folder is absent. About 30 s.
# usage: haxby.sh BIN_DIR
set -euo pipefail
bin=${1:?usage: haxby.sh BIN_DIR}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
data="$top/../shared/data/haxby2001-25mm"
[[ -d "$data/sub-1/func" ]] || { echo "SKIP: $data is absent (the project's shared test data)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/derivatives"
for level in participant group; do
  "$bin/dcae-bids-app" "$data" "$out" "$level" --epochs 20 --skip-bids-validation \
    > "$work/$level.out" 2> "$work/$level.err" ||
    { tail -20 "$work/$level.err"; echo "FAIL: the $level level did not complete"; exit 1; }
done
/usr/bin/python3 - "$out" "$data" <<'PY'
import json, math, pathlib, statistics, sys
out, data = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
runs = sorted(p.name.replace("_bold.nii.gz", "") for p in (data / "sub-1" / "func").glob("*_bold.nii.gz"))
problems = []
html = (out / "group.html").read_text()
if 'id="scores"' not in html:
    problems.append("group.html has no score section")
for label in ["rawodl", "dcaeodl"]:
    f = out / f"task-objectviewing_desc-{label}_decomposition.json"
    if not f.exists():
        problems.append(f"{f.name} is missing"); continue
    d = json.loads(f.read_text())
    names = sorted(r["Name"] for r in d["Runs"])
    if names != runs:
        problems.append(f"{label}: runs {names} != {runs}")
    above, total, per = 0, 0, {}
    for r in d["Runs"]:
        events = r["Design"]["Events"]
        if r["Name"] not in events:
            problems.append(f"{label} {r['Name']}: scored against {events}, not its own events")
        conds = sorted(s["Condition"] for s in r["Scores"])
        if len(conds) != 8:
            problems.append(f"{label} {r['Name']}: {len(conds)} scored categories, not 8")
        atoms = [s["Atom"] for s in r["Scores"]]
        if len(set(atoms)) != len(atoms):
            problems.append(f"{label} {r['Name']}: an atom is assigned to two categories")
        for s in r["Scores"]:
            ok = math.isfinite(s["r"]) and 0 < s["NullR95"] < 1
            if not ok:
                problems.append(f"{label} {r['Name']} {s['Condition']}: r {s['r']}, chance {s['NullR95']}")
            total += 1
            won = s["r"] > s["NullR95"]
            above += won
            per.setdefault(s["Condition"], []).append((s["r"], s["NullR95"], won))
        if r["Name"] not in html:
            problems.append(f"group.html does not show {r['Name']}")
    print(f"{label}: K {d['K']}, {above} of {total} run x category scores above their chance level")
    for c, v in sorted(per.items()):
        print(f"  {c:13s} median r {statistics.median(x[0] for x in v):.2f}, "
              f"median chance {statistics.median(x[1] for x in v):.2f}, runs above chance {sum(x[2] for x in v)}/12")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
echo "PASS: the BIDS-App completes on real data and scores every run against its own events"
