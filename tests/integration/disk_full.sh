#!/usr/bin/env bash
# The disk fills up: the BIDS-App's output on a small tmpfs. The job must fail with a clear
# error naming a file and "disk full", exit non-zero, leave no broken file that looks
# complete, and complete when re-run after space is freed (the tmpfs grown).
# Needs root and tmpfs mounts; otherwise a skip (exit 77) with the reason.
set -euo pipefail
bin=${1:?usage: disk_full.sh BIN_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
mnt="$work/small"
cleanup() { umount "$mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$mnt"
if [[ $(id -u) -ne 0 ]] || ! mount -t tmpfs -o size=400k tmpfs "$mnt" 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs here (needs root and mount permission)"; exit 77
fi
fail() { echo "FAIL: $*"; exit 1; }
"$bin/dcae-simulate" -q --subjects 2 --grid 24 28 22 --voxel-size 6 6 6 --tr 2 --volumes 60 "$work/bids"
set +e
"$bin/dcae-bids-app" "$work/bids" "$mnt/out" participant --skip-bids-validation > "$work/full.txt" 2> "$work/full.err"
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "the job succeeded on a full disk"
grep -E -q "(disk full|No space left).*|.*(disk full|No space left)" "$work/full.err" ||
  { cat "$work/full.err"; fail "no error saying the disk is full"; }
grep -E "error.*'?$mnt/out/[^ ]+" "$work/full.err" > /dev/null || { cat "$work/full.err"; fail "the error names no file"; }
if /usr/bin/python3 -c 'import nibabel, numpy' 2>/dev/null; then
  /usr/bin/python3 - "$mnt/out" <<'PY' || fail "a broken file looks complete"
import json, pathlib, sys
import numpy as np, nibabel as nib
for f in pathlib.Path(sys.argv[1]).rglob("*"):
    if not f.is_file() or f.name.startswith(".") or f.suffix == ".log":
        continue
    if f.suffix == ".json":
        json.loads(f.read_text())
    elif f.name.endswith(".nii.gz"):
        np.asarray(nib.load(str(f)).dataobj)
    elif f.suffix == ".npy":
        np.load(str(f))
    elif f.suffix == ".html":
        assert f.read_text().rstrip().endswith("</html>"), f
PY
fi
echo "disk full: exit $rc; $(grep -E -m1 'disk full|No space left' "$work/full.err")"
mount -o remount,size=300m "$mnt"
"$bin/dcae-bids-app" "$work/bids" "$mnt/out" participant --skip-bids-validation > /dev/null 2> "$work/again.err" ||
  { cat "$work/again.err"; fail "the re-run after space was freed failed"; }
for s in 01 02; do
  [[ -s "$mnt/out/sub-$s/func/sub-${s}_task-motor_run-01_desc-preproc_bold.nii.gz" && -s "$mnt/out/sub-$s.html" ]] ||
    fail "sub-$s incomplete after the re-run"
done
[[ ! -e "$mnt/out/logs/errors" ]] || [[ -z "$(ls "$mnt/out/logs/errors")" ]] || fail "error records left after the re-run succeeded"
echo "PASS: a full disk is a clear error with nothing broken left; the re-run completes"
