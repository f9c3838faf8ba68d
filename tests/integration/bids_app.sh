#!/usr/bin/env bash
# The BIDS-App end to end at small size: simulate 2 participants, participant level (with the
# official validator when it is installed), group level (training, encoding, dictionary
# learning on raw signals and features, reports); then every output name under sub-*/ is
# checked against the BIDS-Derivatives rules, and the guards are exercised: output inside
# the input (allowed in derivatives/<name> only), an unknown participant or task, a re-run
# that skips completed runs, a corrupt run that does not stop the others, preprocessing
# options passed through, jobs started together that keep their own logs, and (with the MNI
# template in ../shared/data) a group analysis in template space.
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
/usr/bin/python3 - "$work/out" "$work/bids" <<'PY' || fail "dataset_description, sidecars and .bidsignore"
import json, os, sys
out, bids = sys.argv[1], sys.argv[2]
d = json.load(open(out + "/dataset_description.json"))
assert d["DatasetType"] == "derivative", d
assert os.path.samefile(d["DatasetLinks"]["raw"], bids), d
assert d["SourceDatasets"] == [{"URL": "bids:raw:"}], d
func = out + "/sub-01/func/sub-01_task-motor_run-01_"
pre = json.load(open(func + "desc-preproc_bold.json"))
assert pre["Sources"] == ["bids:raw:sub-01/func/sub-01_task-motor_run-01_bold.nii.gz"], pre["Sources"]
assert json.load(open(func + "desc-brain_mask.json"))["Type"] == "Brain"
assert json.load(open(func + "desc-filtered_bold.json"))["SmoothingFWHM"] == 5
for label in ["rawodl", "dcaeodl"]:
    for kind in ["mixing", "components"]:
        side = json.load(open(func + f"desc-{label}_{kind}.json"))
        assert any(s.startswith("bids::shards/") for s in side["Sources"]), side
ignore = open(out + "/.bidsignore").read().split()
assert "*_desc-*" not in ignore, ignore  # derivatives with BIDS names are not hidden
PY
ls "$work/out/logs/"*_config.json > /dev/null || fail "no configuration log"
grep -q "Gaussian kernel of 5 mm FWHM" "$work/out/logs/CITATION.md" && grep -q "K = 16 atoms" "$work/out/logs/CITATION.md" &&
  grep -q "@article{mairal2010" "$work/out/logs/CITATION.bib" || fail "the methods boilerplate does not describe the job"
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
"$app" "$work/bids" "$work/bids/sub-01/dcae" participant --skip-bids-validation 2> "$work/e1"; rc1=$?
"$app" "$work/bids" "$work/bids/derivatives" participant --skip-bids-validation 2> "$work/e1b"; rc1b=$?
"$app" "$work/bids" "$work/out" participant --participant-label 07 2> "$work/e2"; rc2=$?
"$app" "$work/bids" "$work/out" participant --task rest 2> "$work/e3"; rc3=$?
"$app" "$work/bids" "$work/out" participant --output-spaces MNI152NLin6Asym 2> "$work/e4"; rc4=$?
set -e
[[ $rc1 -eq 2 ]] && grep -q "inside" "$work/e1" || { cat "$work/e1"; fail "output inside the input was not refused (exit $rc1)"; }
[[ $rc1b -eq 2 ]] || { cat "$work/e1b"; fail "derivatives/ itself as the output was not refused (exit $rc1b)"; }
[[ $rc2 -eq 2 ]] && grep -q "participants: 01, 02" "$work/e2" || { cat "$work/e2"; fail "unknown participant (exit $rc2)"; }
[[ $rc3 -eq 2 ]] && grep -q "tasks: motor" "$work/e3" || { cat "$work/e3"; fail "unknown task (exit $rc3)"; }
[[ $rc4 -eq 2 ]] && grep -q "no template image" "$work/e4" || { cat "$work/e4"; fail "a template space without its image (exit $rc4)"; }
[[ ! -e "$work/bids/sub-01/dcae" && ! -e "$work/bids/derivatives/logs" && ! -e "$work/bids/derivatives/dataset_description.json" ]] || fail "something was written inside the input"

# derivatives/<name> inside the input is where BIDS puts derivatives: allowed, with the
# preprocessing options passed through to dcae-preproc.
"$app" "$work/bids" "$work/bids/derivatives/dcae" participant --skip-bids-validation --participant-label 01 \
  --fwhm 0 --highpass 50 --no-slice-timing --motion-regressors 24 > /dev/null 2> "$work/inside.err" ||
  { cat "$work/inside.err"; fail "output in <bids_dir>/derivatives/dcae"; }
/usr/bin/python3 - "$work/bids/derivatives/dcae/sub-01/func/sub-01_task-motor_run-01_" <<'PY' || fail "options passed through"
import json, sys
f = json.load(open(sys.argv[1] + "desc-filtered_bold.json"))
assert f["SmoothingFWHM"] == 0 and f["HighPassCutoff"] == 50 and f["SliceTimingCorrected"] is False, f
shard = sys.argv[1].replace("sub-01/func/", "shards/") + "desc-preproc_timeseries.json"
assert len(json.load(open(shard))["Provenance"]["NuisanceRegressors"]) == 24
PY
[[ ! -e "$work/bids/sub-01/func/sub-01_task-motor_run-01_desc-preproc_bold.nii.gz" ]] || fail "wrote beside the raw data"
grep -q "were not smoothed" "$work/bids/derivatives/dcae/logs/CITATION.md" || fail "the boilerplate does not say --fwhm 0"

# Jobs started in the same second keep their own logs and configurations.
logs_before=$(ls "$work/out/logs/"*.log | wc -l)
"$app" "$work/bids" "$work/out" participant --skip-bids-validation --participant-label 01 > /dev/null 2>&1 &
"$app" "$work/bids" "$work/out" participant --skip-bids-validation --participant-label 01 > /dev/null 2>&1 &
wait
logs_after=$(ls "$work/out/logs/"*.log | wc -l)
[[ $((logs_after - logs_before)) -eq 2 ]] || fail "two jobs started together share a log ($logs_before -> $logs_after)"
[[ $(ls "$work/out/logs/"*_config.json | wc -l) -eq $logs_after ]] || fail "a job without its own configuration"

# A corrupt run does not stop the others: both levels go on, list it and exit 1.
cp -r "$work/bids" "$work/bad"
rm -rf "$work/bad/derivatives"
bad="$work/bad/sub-02/func/sub-02_task-motor_run-01_bold.nii.gz"
head -c 2000 "$bad" > "$work/trunc" && mv "$work/trunc" "$bad"
set +e
"$app" "$work/bad" "$work/outbad" participant --skip-bids-validation > "$work/bad.txt" 2> "$work/bad.err"; rcb=$?
set -e
[[ $rcb -eq 1 ]] || { cat "$work/bad.err"; fail "a corrupt run: exit $rcb, expected 1"; }
grep -q "1 of .* steps failed" "$work/bad.err" && grep -q "sub-02_task-motor_run-01_bold.nii.gz" "$work/bad.err" ||
  { cat "$work/bad.err"; fail "no summary naming the corrupt run"; }
[[ -s "$work/outbad/sub-01/func/sub-01_task-motor_run-01_desc-preproc_bold.nii.gz" ]] || fail "the good run was not processed"
[[ -s "$work/outbad/sub-01.html" && -s "$work/outbad/sub-02.html" ]] || fail "reports missing after a failed run"
grep -q "sub-02_task-motor_run-01_bold.nii.gz" "$work/outbad/sub-02.html" || fail "sub-02's report does not list its error"
grep -q "No errors to report" "$work/outbad/sub-01.html" || fail "sub-01's report does not say it has no errors"
ls "$work/outbad/logs/errors/"preproc_sub-02_task-motor_run-01.json > /dev/null || fail "no error record"
set +e
"$app" "$work/bad" "$work/outbad" group --train-steps 10 --atoms 8 > "$work/badg.txt" 2> "$work/badg.err"; rcg=$?
set -e
[[ $rcg -eq 1 ]] && grep -q "left out" "$work/badg.err" || { cat "$work/badg.err"; fail "group level with a missing run: exit $rcg"; }
[[ -s "$work/outbad/task-motor_desc-rawodl_decomposition.json" && -s "$work/outbad/group.html" ]] ||
  fail "the group level did not finish the good run"
grep -q "left out" "$work/outbad/group.html" || fail "group.html does not list the run left out"

# Template space: the group analysis and its maps on the template's grid (a 4 mm copy of the
# MNI152 2 mm brain, to keep the test small).
templ="$here/../../../shared/data/templates/2mm-MNI152-2009fsl-brain.nii.gz"
if [[ -f "$templ" ]] && /usr/bin/python3 -c 'import nibabel, scipy' 2>/dev/null; then
  /usr/bin/python3 - "$templ" "$work/mni4.nii.gz" <<'PY'
import sys, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
d = np.asarray(img.dataobj, dtype=np.float32)[::2, ::2, ::2]
aff = img.affine.copy(); aff[:3, :3] *= 2
nib.save(nib.Nifti1Image(d, aff), sys.argv[2])
PY
  "$app" "$work/bids" "$work/outmni" participant --skip-bids-validation --output-spaces native MNI152NLin6Asym \
    --template "$work/mni4.nii.gz" > /dev/null 2> "$work/mni.err" || { cat "$work/mni.err"; fail "participant level in template space"; }
  "$app" "$work/bids" "$work/outmni" group --output-spaces native MNI152NLin6Asym --template "$work/mni4.nii.gz" \
    --train-steps 10 --atoms 8 > /dev/null 2> "$work/mnig.err" || { cat "$work/mnig.err"; fail "group level in template space"; }
  /usr/bin/python3 - "$work/outmni" "$work/mni4.nii.gz" <<'PY' || fail "template-space maps"
import sys, nibabel as nib
out, templ = sys.argv[1], sys.argv[2]
shape = nib.load(templ).shape
for sub in ["01", "02"]:
    f = f"{out}/sub-{sub}/func/sub-{sub}_task-motor_run-01_"
    assert nib.load(f + "desc-preproc_bold.nii.gz").shape[:3] != shape  # native too
    c = nib.load(f + "space-MNI152NLin6Asym_desc-rawodl_components.nii.gz")
    assert c.shape[:3] == shape and c.shape[3] == 8, c.shape
PY
else
  echo "note: template-space check skipped (no ../shared/data/templates or no nibabel/scipy)"
fi

# A re-run skips the completed runs.
before=$(stat -c %Y "$work/out/sub-01/func/sub-01_task-motor_run-01_desc-preproc_bold.nii.gz")
"$app" "$work/bids" "$work/out" participant --skip-bids-validation --participant_label sub-01 > /dev/null 2> "$work/rerun.err" ||
  fail "re-run"
after=$(stat -c %Y "$work/out/sub-01/func/sub-01_task-motor_run-01_desc-preproc_bold.nii.gz")
[[ "$before" == "$after" ]] || fail "the re-run recomputed a completed run"
echo "PASS: BIDS-App participant + group, names, guards, derivatives/<name>, options, logs, a corrupt run, template space, re-run"
