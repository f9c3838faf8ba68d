#!/usr/bin/env python3
"""Fault injection across the BIDS-App (label faults): a small simulated dataset is run once
undisturbed (the reference), then again while, at seeded random moments, the process doing
the work (dcae-preproc, dcae-train, dcae-encode, dcae-dictlearn, dcae-report) is killed with
SIGKILL; after each kill the same command is run again, until KILLS kills were injected (half
in the participant level, half in the group level) and both levels complete. Then the group
level again with distributed training (--workers 2: dcae-train launches a parameter server
and two dcae-worker processes), undisturbed once, and under DIST_KILLS more kills of any of
its processes: the launcher, a worker, the server, or the stages after training. Checked:
  - after every kill, no file that looks complete is broken: every JSON parses, every NIfTI
    and .npy loads, every TSV is rectangular, every HTML page is whole (temporary names, which
    start with '.', are not outputs);
  - no process the job started outlives it;
  - the final derivatives equal the reference: the preprocessing outputs and shards value for
    value (they are deterministic), the same set of files everywhere, every decomposition
    valid with every run scored, and the training's final loss within 2% of the reference's
    (for the distributed group level: within 2% of its own undisturbed run's).
Prints each kill (attempt, moment, victim). Usage: faults.py BIN_DIR [KILLS [DIST_KILLS]]
(defaults 20 and 10)
Exit 77 (skip) without numpy and nibabel.
"""
import collections
import json
import os
import pathlib
import random
import shutil
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
dist_kills_wanted = int(sys.argv[3]) if len(sys.argv) > 3 else 10
rng = random.Random(20261207)
WORKERS = ("dcae-preproc", "dcae-train", "dcae-encode", "dcae-dictlearn", "dcae-report",
           "dcae-ps", "dcae-worker")
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


def commands(out, dist=False):
    app = str(bin_dir / "dcae-bids-app")
    common = ["--nprocs", "1", "-q"]
    group = [app, str(bids), str(out), "group", "--train-steps", "60", "--atoms", "8", *common]
    if dist:
        return [group + ["--workers", "2"]]
    return [[app, str(bids), str(out), "participant", "--skip-bids-validation", *common], group]


def final_loss(out):
    """The last loss of model/loss.tsv (one process: per step; distributed: per epoch)."""
    lines = (out / "model" / "loss.tsv").read_text().splitlines()
    col = lines[0].split("\t").index("loss")
    return float(lines[-1].split("\t")[col])


def run_undisturbed(cmd):
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        fail("the undisturbed run failed: " + " ".join(cmd))


def inject(tmp, cmds, quotas, delays, kills, attempts):
    """Runs each command of `cmds` until it completes with its cumulative kill quota reached,
    killing a random process of the job at a random moment (up to `delays[level]` s in) on each
    attempt while kills are due. Appends (attempt, moment, victim) to `kills`; returns the
    attempts used so far."""
    for level, cmd in enumerate(cmds):
        while True:
            attempts += 1
            if attempts > 300:
                fail("more than 300 attempts")
            log = open(tmp / f"attempt{attempts}.log", "w")
            p = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
            victim = None
            if len(kills) < quotas[level]:
                delay = rng.uniform(0.05, delays[level])
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
                        print(f"kill {len(kills):2d}: attempt {attempts}, {delay:.2f} s in, {name} (pid {pid})",
                              flush=True)
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
            check_outputs(pathlib.Path(cmd[2]))
            if victim is None and rc != 0:
                fail(f"attempt {attempts} failed without a kill (exit {rc}); see its log:\n"
                     + (tmp / f"attempt{attempts}.log").read_text()[-3000:])
            # A level is done when it completed and its share of kills is in (a completed level
            # is run again: its steps start again, skip what is up to date, and can be killed).
            if rc == 0 and len(kills) >= quotas[level]:
                break
    return attempts


def compare(ref, out, what):
    """The derivatives after the faults against the undisturbed run's; returns how many
    deterministic outputs were compared value for value."""
    ref_files = {str(f.relative_to(ref)) for f in ref.rglob("*") if f.is_file()
                 and not f.name.startswith(".") and "logs" not in f.parts}
    out_files = {str(f.relative_to(out)) for f in out.rglob("*") if f.is_file()
                 and not f.name.startswith(".") and "logs" not in f.parts}
    if ref_files != out_files:
        fail(f"{what}: different files: only in the reference {sorted(ref_files - out_files)[:5]}, "
             f"only after the faults {sorted(out_files - ref_files)[:5]}")
    same = 0
    for name in sorted(ref_files):
        a, b = ref / name, out / name
        if "_desc-preproc_bold" in name or "_desc-filtered_bold" in name or "_desc-brain_mask" in name:
            if name.endswith(".nii.gz") and not np.array_equal(np.asarray(nib.load(str(a)).dataobj),
                                                               np.asarray(nib.load(str(b)).dataobj)):
                fail(f"{what}: {name} differs from the undisturbed run")
            same += 1
        elif name.startswith("shards/") and name.endswith(".npy"):
            if not np.array_equal(np.load(str(a)), np.load(str(b))):
                fail(f"{what}: {name} differs from the undisturbed run")
            same += 1
        elif name.endswith("_confounds_timeseries.tsv"):
            if a.read_text() != b.read_text():
                fail(f"{what}: {name} differs from the undisturbed run")
            same += 1
    for label in ("rawodl", "dcaeodl"):
        d = json.loads((out / f"task-motor_desc-{label}_decomposition.json").read_text())
        if len(d["Runs"]) != 2 or any(len(r["Scores"]) < 5 for r in d["Runs"]):
            fail(f"{what}: {label}: not every run scored after the faults")
    lr, lo = final_loss(ref), final_loss(out)
    if abs(lo - lr) > 0.02 * lr:
        fail(f"{what}: training's final loss {lo:.4f} vs {lr:.4f} undisturbed (more than 2%)")
    print(f"{what}: the same {len(out_files)} files as the undisturbed run; {same} preprocessing "
          f"outputs equal value for value; final loss {lo:.4f} vs {lr:.4f}", flush=True)
    return same


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    bids = tmp / "bids"
    subprocess.run([str(bin_dir / "dcae-simulate"), "-q", "--subjects", "2", "--grid", "20", "24", "18",
                    "--voxel-size", "8", "8", "8", "--volumes", "60", "--tr", "2", str(bids)], check=True)
    ref = tmp / "ref"
    t0 = time.monotonic()
    participant, group = commands(ref)
    run_undisturbed(participant)
    # The participant level's derivatives, where both distributed group levels start.
    shutil.copytree(ref, tmp / "participant")
    run_undisturbed(group)
    print(f"reference: both levels in {time.monotonic() - t0:.1f} s", flush=True)
    ref_dist = tmp / "ref_dist"
    shutil.copytree(tmp / "participant", ref_dist)
    t0 = time.monotonic()
    run_undisturbed(commands(ref_dist, dist=True)[0])
    print(f"reference: the group level with --workers 2 in {time.monotonic() - t0:.1f} s", flush=True)

    out = tmp / "faulted"
    kills = []
    # inject() returns only once every quota is met.
    attempts = inject(tmp, commands(out), [kills_wanted // 2, kills_wanted], [2.5, 4.0], kills, 0)
    same = compare(ref, out, "one process")
    out_dist = tmp / "faulted_dist"
    shutil.copytree(tmp / "participant", out_dist)
    attempts = inject(tmp, commands(out_dist, dist=True), [kills_wanted + dist_kills_wanted], [6.0],
                      kills, attempts)
    compare(ref_dist, out_dist, "--workers 2")
    victims = dict(collections.Counter(name for _, _, name in kills))
    print(f"PASS: {len(kills)} kills injected over {attempts} attempts ({victims}); every re-run "
          f"completed, no broken file, no process left; {same} preprocessing outputs equal the "
          f"undisturbed run's")
