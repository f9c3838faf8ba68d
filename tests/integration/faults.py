#!/usr/bin/env python3
"""Fault injection across the BIDS-App (label faults): a small simulated dataset is run once
undisturbed (the reference), then again while, at seeded random moments (half in each level), the process doing
the work (dcae-preproc, dcae-train, dcae-encode, dcae-dictlearn, dcae-report) is killed with
SIGKILL; after each kill the same command is run again, until KILLS kills were injected and
both levels complete. Checked:
  - after every kill, no file that looks complete is broken: every JSON parses, every NIfTI
    and .npy loads, every TSV is rectangular, every HTML page is whole (temporary names, which
    start with '.', are not outputs);
  - no process the job started outlives it;
  - the final derivatives equal the reference: the preprocessing outputs and shards value for
    value (they are deterministic), the same set of files everywhere, every decomposition
    valid with every run scored, and the training's final loss within 2% of the reference's.
Prints each kill (attempt, moment, victim). Usage: faults.py BIN_DIR [KILLS]  (default 20)
Exit 77 (skip) without numpy and nibabel.
"""
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import nibabel as nib
except ImportError:
    print("SKIP: /usr/bin/python3 needs numpy and nibabel")
    sys.exit(77)

bin_dir = pathlib.Path(sys.argv[1]).resolve()
kills_wanted = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rng = random.Random(20261207)
WORKERS = ("dcae-preproc", "dcae-train", "dcae-encode", "dcae-dictlearn", "dcae-report")
mark = f"dcae-faults-{os.getpid()}"
env = dict(os.environ, DCAE_FAULT_MARK=mark)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def marked_processes():
    """(pid, name) of every live process whose environment carries this run's marker."""
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            if f"DCAE_FAULT_MARK={mark}".encode() in (d / "environ").read_bytes().split(b"\0"):
                state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    out.append((int(d.name), (d / "comm").read_text().strip()))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return out


def check_outputs(root):
    """Every file that looks complete is whole."""
    for f in root.rglob("*"):
        if not f.is_file() or f.name.startswith(".") or "/work/" in str(f) and f.suffix == ".log":
            continue
        try:
            if f.suffix == ".json":
                json.loads(f.read_text())
            elif f.name.endswith((".nii.gz", ".nii")):
                np.asarray(nib.load(str(f)).dataobj)
            elif f.suffix == ".npy":
                np.load(str(f))
            elif f.suffix == ".tsv":
                rows = [line.split("\t") for line in f.read_text().splitlines()]
                if len({len(r) for r in rows}) > 1:
                    raise ValueError("ragged rows")
            elif f.suffix == ".html" and not f.read_text().rstrip().endswith("</html>"):
                raise ValueError("the page is cut short")
        except Exception as e:  # noqa: BLE001 - any failure to read is the finding
            fail(f"{f} looks complete but is broken: {e}")


def commands(out):
    app = str(bin_dir / "dcae-bids-app")
    common = ["--nprocs", "1", "-q"]
    return [[app, str(bids), str(out), "participant", "--skip-bids-validation", *common],
            [app, str(bids), str(out), "group", "--train-steps", "60", "--atoms", "8", *common]]


def final_loss(out):
    rows = (out / "model" / "loss.tsv").read_text().splitlines()[1:]
    return float(rows[-1].split("\t")[2])


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    bids = tmp / "bids"
    subprocess.run([str(bin_dir / "dcae-simulate"), "-q", "--subjects", "2", "--grid", "20", "24", "18",
                    "--voxel-size", "8", "8", "8", "--volumes", "60", "--tr", "2", str(bids)], check=True)
    ref = tmp / "ref"
    t0 = time.monotonic()
    for cmd in commands(ref):
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
            fail("the undisturbed run failed: " + " ".join(cmd))
    undisturbed = time.monotonic() - t0
    print(f"reference: both levels in {undisturbed:.1f} s")

    out = tmp / "faulted"
    kills, attempts = [], 0
    for level, cmd in enumerate(commands(out)):
        while True:
            attempts += 1
            if attempts > 200:
                fail("more than 200 attempts")
            log = open(tmp / f"attempt{attempts}.log", "w")
            p = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
            victim = None
            # Half the kills in the participant level, the rest in the group level.
            if len(kills) < (kills_wanted // 2 if level == 0 else kills_wanted):
                delay = rng.uniform(0.05, 2.5 if level == 0 else 4.0)
                deadline = time.monotonic() + delay
                while time.monotonic() < deadline and p.poll() is None:
                    time.sleep(0.01)
                workers = [(pid, name) for pid, name in marked_processes() if name in WORKERS]
                if p.poll() is None and workers:
                    pid, name = rng.choice(workers)
                    try:
                        os.kill(pid, signal.SIGKILL)
                        victim = name
                        kills.append((attempts, round(delay, 2), name))
                        print(f"kill {len(kills):2d}: attempt {attempts}, {delay:.2f} s in, {name} (pid {pid})")
                    except ProcessLookupError:
                        pass
            try:
                rc = p.wait(timeout=600)
            except subprocess.TimeoutExpired:
                p.kill()
                fail(f"attempt {attempts} hung")
            log.close()
            time.sleep(0.2)
            left = marked_processes()
            if left:
                fail(f"processes outlived the job of attempt {attempts}: {left}")
            check_outputs(out)
            if victim is None and rc != 0:
                fail(f"attempt {attempts} failed without a kill (exit {rc}); see its log:\n"
                     + (tmp / f"attempt{attempts}.log").read_text()[-3000:])
            # A level is done when it completed and its share of kills is in (a completed level
            # is run again: its steps start again, skip what is up to date, and can be killed).
            if rc == 0 and len(kills) >= (kills_wanted // 2 if level == 0 else kills_wanted):
                break
    if len(kills) < kills_wanted:
        fail(f"only {len(kills)} kills could be injected")

    # The final derivatives against the reference.
    ref_files = {str(f.relative_to(ref)) for f in ref.rglob("*") if f.is_file()
                 and not f.name.startswith(".") and "logs" not in f.parts}
    out_files = {str(f.relative_to(out)) for f in out.rglob("*") if f.is_file()
                 and not f.name.startswith(".") and "logs" not in f.parts}
    if ref_files != out_files:
        fail(f"different files: only in the reference {sorted(ref_files - out_files)[:5]}, "
             f"only after the faults {sorted(out_files - ref_files)[:5]}")
    same = 0
    for name in sorted(ref_files):
        a, b = ref / name, out / name
        if "_desc-preproc_bold" in name or "_desc-filtered_bold" in name or "_desc-brain_mask" in name:
            if name.endswith(".nii.gz") and not np.array_equal(np.asarray(nib.load(str(a)).dataobj),
                                                               np.asarray(nib.load(str(b)).dataobj)):
                fail(f"{name} differs from the undisturbed run")
            same += 1
        elif name.startswith("shards/") and name.endswith(".npy"):
            if not np.array_equal(np.load(str(a)), np.load(str(b))):
                fail(f"{name} differs from the undisturbed run")
            same += 1
        elif name.endswith("_confounds_timeseries.tsv"):
            if a.read_text() != b.read_text():
                fail(f"{name} differs from the undisturbed run")
            same += 1
    for label in ("rawodl", "dcaeodl"):
        d = json.loads((out / f"task-motor_desc-{label}_decomposition.json").read_text())
        if len(d["Runs"]) != 2 or any(len(r["Scores"]) < 5 for r in d["Runs"]):
            fail(f"{label}: not every run scored after the faults")
    lr, lo = final_loss(ref), final_loss(out)
    if abs(lo - lr) > 0.02 * lr:
        fail(f"training's final loss {lo:.4f} vs {lr:.4f} undisturbed (more than 2%)")
    victims = {}
    for _, _, name in kills:
        victims[name] = victims.get(name, 0) + 1
    print(f"PASS: {len(kills)} kills injected over {attempts} attempts ({victims}); every re-run "
          f"completed, no broken file, no process left; {same} preprocessing outputs equal the "
          f"undisturbed run's; final loss {lo:.4f} vs {lr:.4f}")
