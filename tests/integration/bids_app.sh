#!/usr/bin/env bash
# The BIDS-App end to end at small size: simulate 2 participants, participant level (with the
# official validator when it is installed), group level (training, encoding, dictionary
# learning on raw signals and features, reports); then every output name under sub-*/ is
# checked against the BIDS-Derivatives rules, and the guards are exercised: output inside
# the input, an unknown participant or task, a re-run that skips completed runs.
set -euo pipefail
bin=${1:?usage: bids_app.sh BIN_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bin/dcae-simulate" -q --subjects 2 --grid 24 28 22 --voxel-size 6 6 6 --tr 2 --volumes 80 \
  --slice-timing interleaved "$work/bids"
app="$bin/dcae-bids-app"
"$app" "$work/bids" "$work/out" participant --nprocs 2 > "$work/participant.txt" 2> "$work/participant.err" ||
  { cat "$work/participant.err"; fail "participant level"; }
grep -q "report: $work/out/sub-01.html" "$work/participant.txt" || fail "no participant report announced"
"$app" "$work/bids" "$work/out" group --train-steps 40 --atoms 16 --mem 1GB > "$work/group.txt" 2> "$work/group.err" ||
  { cat "$work/group.err"; fail "group level"; }
grep -q "report: $work/out/group.html" "$work/group.txt" || fail "no group report announced"
grep -q "cache_mb: 512" "$work/out/work/model-mem.yaml" || fail "--mem 1GB did not bound the training cache"

for f in dataset_description.json group.html sub-01.html sub-02.html model/model.pt model/loss.tsv model/split.json \
         task-motor_desc-rawodl_decomposition.json task-motor_desc-dcaeodl_decomposition.json \
         sub-01/func/sub-01_task-motor_run-01_desc-rawodl_mixing.tsv \
         sub-02/func/sub-02_task-motor_run-01_desc-dcaeodl_mixing.tsv \
         sub-02/func/sub-02_task-motor_run-01_desc-dcaeodldecoder_mixing.tsv \
         sub-01/func/sub-01_task-motor_run-01_desc-preproc_bold.nii.gz \
         sub-02/func/sub-02_task-motor_run-01_desc-rawodl_components.nii.gz \
         sub-02/func/sub-02_task-motor_run-01_desc-dcaeodl_components.nii.gz; do
  [[ -s "$work/out/$f" ]] || fail "missing output $f"
done
grep -q '"DatasetType": "derivative"' "$work/out/dataset_description.json" || fail "dataset_description is not a derivative's"
ls "$work/out/logs/"*_config.json > /dev/null || fail "no configuration log"
# Each run is scored against its own events, with its chance level; one atom per condition.
/usr/bin/python3 - "$work/out/task-motor_desc-rawodl_decomposition.json" "$work/bids" <<'PY' || fail "per-run scoring"
import json, sys, os
d = json.load(open(sys.argv[1]))
runs = d["Runs"]
assert len(runs) == 2, len(runs)
for r in runs:
    sub = r["Name"].split("_")[0]
    assert os.path.samefile(r["Design"]["Events"], os.path.join(sys.argv[2], sub, "func", r["Name"] + "_events.tsv")), r["Design"]["Events"]
    assert r["Design"]["HighPassCutoff"] == 100 and r["Design"]["StartTime"] == 1.0, r["Design"]
    atoms = [s["Atom"] for s in r["Scores"]]
    assert len(set(atoms)) == len(atoms), atoms
    assert all(0 < s["NullR95"] < 1 for s in r["Scores"]), r["Scores"]
assert runs[0]["Design"]["Regressors"] != runs[1]["Design"]["Regressors"], "both runs got the same design"
assert all("NullR95" in s and "MedianR" in s for s in d["Scores"])
PY
/usr/bin/python3 "$here/check_derivative_names.py" "$work/out" || fail "derivative names"
if /usr/bin/python3 -c 'import nibabel' 2>/dev/null; then
  /usr/bin/python3 -c "import nibabel as nb, sys; img = nb.load(sys.argv[1]); assert img.shape[3] == 16, img.shape" \
    "$work/out/sub-01/func/sub-01_task-motor_run-01_desc-dcaeodl_components.nii.gz" || fail "components are not 16 maps"
fi

# Held-out evaluation: train on sub-01, decompose and score sub-02 only.
"$app" "$work/bids" "$work/out2" participant --skip-bids-validation --participant-label 01 > /dev/null 2>&1 &&
  cp -r "$work/out/sub-02" "$work/out2/" && mkdir -p "$work/out2/shards" && cp "$work/out/shards/"sub-02* "$work/out2/shards/" ||
  fail "setting up the held-out run"
"$app" "$work/bids" "$work/out2" group --train-steps 20 --atoms 16 --train-subjects 01 > /dev/null 2> "$work/held.err" ||
  { cat "$work/held.err"; fail "group level with --train-subjects"; }
/usr/bin/python3 - "$work/out2" <<'PY' || fail "held-out split"
import json, sys
split = json.load(open(sys.argv[1] + "/model/split.json"))
assert split["TrainSubjects"] == ["01"] and split["EvaluationSubjects"] == ["02"] and split["HeldOut"], split
d = json.load(open(sys.argv[1] + "/task-motor_desc-dcaeodl_decomposition.json"))
assert [r["Name"] for r in d["Runs"]] == ["sub-02_task-motor_run-01"], [r["Name"] for r in d["Runs"]]
PY
grep -q "held-out" "$work/out2/group.html" || fail "the report does not say the evaluation is held out"

# The group level again with Downpour SGD: 2 workers and a parameter server on loopback.
"$app" "$work/bids" "$work/out" group --workers 2 --epochs 1 --atoms 16 > "$work/dist.txt" 2> "$work/dist.err" ||
  { cat "$work/dist.err"; fail "group level with --workers 2"; }
grep -q "distributed training done" "$work/dist.err" || fail "--workers 2 did not train with the parameter server"
[[ -s "$work/out/model/model.pt" ]] || fail "no model after distributed training"

# Guards.
set +e
"$app" "$work/bids" "$work/bids/derivatives/dcae" participant --skip-bids-validation 2> "$work/e1"; rc1=$?
"$app" "$work/bids" "$work/out" participant --participant-label 07 2> "$work/e2"; rc2=$?
"$app" "$work/bids" "$work/out" participant --task rest 2> "$work/e3"; rc3=$?
set -e
[[ $rc1 -eq 2 ]] && grep -q "inside" "$work/e1" || { cat "$work/e1"; fail "output inside the input was not refused (exit $rc1)"; }
[[ $rc2 -eq 2 ]] && grep -q "participants: 01, 02" "$work/e2" || { cat "$work/e2"; fail "unknown participant (exit $rc2)"; }
[[ $rc3 -eq 2 ]] && grep -q "tasks: motor" "$work/e3" || { cat "$work/e3"; fail "unknown task (exit $rc3)"; }
[[ ! -e "$work/bids/derivatives/dcae" ]] || fail "something was written inside the input"

# A re-run skips the completed runs.
before=$(stat -c %Y "$work/out/sub-01/func/sub-01_task-motor_run-01_desc-preproc_bold.nii.gz")
"$app" "$work/bids" "$work/out" participant --skip-bids-validation --participant_label sub-01 > /dev/null 2> "$work/rerun.err" ||
  fail "re-run"
after=$(stat -c %Y "$work/out/sub-01/func/sub-01_task-motor_run-01_desc-preproc_bold.nii.gz")
[[ "$before" == "$after" ]] || fail "the re-run recomputed a completed run"
echo "PASS: BIDS-App participant + group, names, guards, re-run"
