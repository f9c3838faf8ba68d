#!/usr/bin/env python3
"""Downpour at scale, measured where it can be and modelled past it (run by bench_scale.sh).

1. Measures the parts: one mini-batch of the default model (T 284, batch 256) on 1 and 2
   threads (dcae_bench_train); the cost of one message, a fetch and a push of the whole
   parameter vector (float32 and fp16; dcae_bench_link) between two network namespaces
   joined by a veth pair, unshaped and shaped with tc's token bucket (tbf) to 1 and 10 Gbit/s;
   a push then a fetch by one client and by two at once (how one server serves concurrent
   exchanges), the cores an exchange keeps busy (client and server, from their CPU time), and
   the same unshaped against two servers (the validation's two-server runs use those).
2. Trains for real through that link: 1, 2 and 3 dcae-worker processes (network namespace
   "workers") against 1 and 2 dcae-ps processes (each in a namespace of its own, with its own
   veth pair into the workers' namespace, shaped in both directions) for a fixed number of epochs; the
   time per epoch (from the coordinator's "epoch N complete" lines, time-stamped as they come)
   and each worker's split of its time (its last log line: compute, exchanges, coordination).
3. Validates the performance model (perf_model.py) against those runs: fed only with the
   measurements of step 1, it predicts each run's time per epoch and exchange share.
4. Predicts the speed-up curve for 1-64 workers, 1-8 servers, 1/10/100 Gbit/s, CPU and GPU
   workers, and writes it as SVG and TSV.

The namespaces are created and removed here (root needed); only their own addresses
(10.231.x.y) are used. Usage: scale.py BIN_DIR BENCH_DIR OUT_DIR
"""
import atexit
import json
import math
import os
import re
import statistics
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perf_model  # noqa: E402

BIN, BENCH, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
TAG = str(os.getpid() % 100000)
NS_W = f"dcsw{TAG}"
NS_S = [f"dcs0{TAG}", f"dcs1{TAG}"]
RATES = {"1gbit": 1e9, "10gbit": 1e10}
T, BATCH = 284, 256
RUNS, VOXELS = int(os.environ.get("RUNS", 4)), int(os.environ.get("VOXELS", 2048))
BLOCK = int(os.environ.get("BLOCK_ROWS", 512))
WARMUP = int(os.environ.get("WARMUP", 8))
MAX_EPOCHS = int(os.environ.get("MAX_EPOCHS", 6))
children = []


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(*cmd, check=True, ns=None):
    full = (["ip", "netns", "exec", ns] if ns else []) + [str(c) for c in cmd]
    r = subprocess.run(full, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(full)}: {r.stderr.strip()}")
    return r.stdout


def cleanup():
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()
    for ns in [NS_W] + NS_S:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def network():
    atexit.register(cleanup)
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: sys.exit(1))
    sh("ip", "netns", "add", NS_W)
    sh("ip", "link", "set", "lo", "up", ns=NS_W)
    for i, ns in enumerate(NS_S):
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("ip", "link", "add", f"vs{i}{TAG}", "type", "veth", "peer", "name", f"vw{i}{TAG}")
        sh("ip", "link", "set", f"vs{i}{TAG}", "netns", ns)
        sh("ip", "link", "set", f"vw{i}{TAG}", "netns", NS_W)
        sh("ip", "addr", "add", f"10.231.{i}.1/24", "dev", f"vs{i}{TAG}", ns=ns)
        sh("ip", "addr", "add", f"10.231.{i}.2/24", "dev", f"vw{i}{TAG}", ns=NS_W)
        sh("ip", "link", "set", f"vs{i}{TAG}", "up", ns=ns)
        sh("ip", "link", "set", f"vw{i}{TAG}", "up", ns=NS_W)


def shape(rate):
    """Both directions of both veth pairs: tbf at `rate` ("1gbit"), or none."""
    for i, ns in enumerate(NS_S):
        for dev, where in ((f"vs{i}{TAG}", ns), (f"vw{i}{TAG}", NS_W)):
            sh("tc", "qdisc", "del", "dev", dev, "root", check=False, ns=where)
            if rate:
                bits = RATES[rate]
                burst = max(64 * 1024, int(bits / 8 / 250))  # 4 ms of traffic
                sh("tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", rate, "burst",
                   str(burst), "latency", "200ms", ns=where)


class Stamped:
    """A child whose stderr lines are kept with the monotonic time they arrived."""

    def __init__(self, cmd, ns):
        self.lines = []
        self.p = subprocess.Popen(["ip", "netns", "exec", ns] + [str(c) for c in cmd],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        children.append(self.p)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stderr:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait(self, timeout=None):
        rc = self.p.wait(timeout)
        self.t.join(5)
        return rc

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
        self.t.join(5)

    def text(self):
        return "\n".join(l for _, l in self.lines)


def servers(n, port, shards=None):
    shards = shards or n
    procs, addrs = [], []
    for i in range(n):
        addr = f"10.231.{i}.1:{port}"
        hosted = [str(s) for s in range(i * shards // n, (i + 1) * shards // n)]
        procs.append(Stamped([f"{BIN}/dcae-ps", "--listen", addr, "--shards", shards,
                              "--host-shards", *hosted, "--token-file", f"{OUT}/token",
                              "--checkpoint-every", 0], NS_S[i]))
        addrs.append(addr)
    for p, a in zip(procs, addrs):
        deadline = time.time() + 30
        while not any("parameter server:" in l for _, l in p.lines):
            if p.p.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"dcae-ps at {a} did not start:\n{p.text()}")
            time.sleep(0.05)
    return procs, addrs


def compute_times():
    """Seconds per mini-batch (median) and the steps' relative spread, on 1 and 2 threads."""
    step, cv = {}, {}
    for threads in (1, 2):
        r = sh(f"{BENCH}/dcae_bench_train", "--threads", threads, "--batch", BATCH, "--t", T,
               "--steps", 40, "--warmup", 3)
        step[threads] = BATCH / float(re.search(r"samples_per_s_median (\S+)", r).group(1))
        cv[threads] = float(re.search(r"step_cv (\S+)", r).group(1))
    return step, cv


def link_costs(rate, port, n_servers=1):
    """One client's costs against `n_servers` fresh servers (each on its own veth pair): a
    message, a fetch, a push, a push then a fetch, the same exchange by two clients at once,
    and the cores (client and servers) one exchange keeps busy."""
    shape(rate)
    procs, addrs = servers(n_servers, port)
    try:
        cmd = [f"{BENCH}/dcae_bench_link"]
        for a, p in zip(addrs, procs):
            cmd += ["--ps", a, "--server-pid", p.p.pid]
        r = sh(*cmd, "--token-file", f"{OUT}/token", "--t", T, "--reps", 40, "--warmup", 5, ns=NS_W)
    finally:
        for p in procs:
            p.stop()
    values = int(re.search(r"# (\d+) parameters", r).group(1))
    rows = {}
    for line in r.splitlines():
        f = line.split("\t")
        if f[0] in ("float32", "fp16"):
            rows[f[0]] = dict(bytes=float(f[1]), msg_s=float(f[2]) / 1e3, fetch_s=float(f[3]) / 1e3,
                              push_s=float(f[4]) / 1e3, both_s=float(f[5]) / 1e3,
                              both2_s=float(f[6]) / 1e3, cores=float(f[7]), servers=n_servers)
    return values, rows


def make_data():
    import numpy as np
    d = f"{OUT}/data"
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(0)
    t = np.arange(T) * 0.72
    for r in range(RUNS):
        comps = np.stack([np.sin(2 * np.pi * t / f + rng.uniform(0, 6)) for f in (40, 25, 60, 16)])
        x = rng.normal(size=(VOXELS, 4)) @ comps + 0.5 * rng.normal(size=(VOXELS, T))
        x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
        np.save(f"{d}/run{r}.npy", x.astype(np.float32))
        json.dump({"Format": "dcae time-series shard", "FormatVersion": 1, "Shape": [VOXELS, T],
                   "RepetitionTime": 0.72, "Source": "synthetic", "Mask": "", "Provenance": {}},
                  open(f"{d}/run{r}.json", "w"))
    with open(f"{OUT}/model.yaml", "w") as f:
        f.write(f"train:\n  epochs: {MAX_EPOCHS}\n  batch_size: {BATCH}\n")
    return [f"{d}/run{r}.npy" for r in range(RUNS)]


SPLIT = re.compile(r"seconds: compute (\S+), push (\S+), fetch (\S+), waiting for exchanges (\S+), "
                   r"leases and waiting for partitions (\S+)")
EPOCH = re.compile(r"epoch (\d+) complete: mean loss (\S+)")


def train_run(rate, n_servers, n_workers, shards_files, port):
    shape(rate)
    procs, addrs = servers(n_servers, port)
    name = f"{rate}-s{n_servers}-w{n_workers}"
    workers = []
    t0 = time.monotonic()
    try:
        for w in range(n_workers):
            # shards first: --ps takes every value up to the next option
            cmd = [f"{BIN}/dcae-worker", *shards_files, "--token-file", f"{OUT}/token", "--model-config",
                   f"{OUT}/model.yaml", "--block-rows", BLOCK, "--warmup-steps", WARMUP,
                   "--nthreads", 1, "--rank", w]
            for a in addrs:
                cmd += ["--ps", a]
            if w == 0:
                cmd += ["--output-dir", f"{OUT}/runs/{name}"]
            workers.append(Stamped(cmd, NS_W))
        for w in workers:
            if w.wait(600) != 0:
                raise RuntimeError(f"{name}: a worker failed:\n{w.text()[-2000:]}")
    finally:
        for p in procs:
            p.stop()
    ends = [(t, int(m.group(1)), float(m.group(2))) for t, l in procs[0].lines
            if (m := EPOCH.search(l))]
    splits = []
    for w in workers:
        m = SPLIT.search(w.text())
        splits.append([float(x) for x in m.groups()])
    compute = sum(s[0] for s in splits)
    wait = sum(s[3] for s in splits)
    epochs = len(ends)
    return {
        "run": name, "rate": rate, "servers": n_servers, "workers": n_workers,
        "epochs": epochs, "last_loss": ends[-1][2] if ends else None,
        "epoch_s": (ends[-1][0] - ends[0][0]) / (epochs - 1) if epochs > 1 else None,
        "wall_s": ends[-1][0] - t0 if ends else None,
        "steps": epochs * sum(partition_steps()),
        "compute_s": compute, "push_s": sum(s[1] for s in splits),
        "fetch_s": sum(s[2] for s in splits), "exchange_s": wait,
        "coordination_s": sum(s[4] for s in splits),
        "exchange_share": wait / (compute + wait),
    }


def partition_steps():
    steps = []
    for _ in range(RUNS):
        for first in range(0, VOXELS, BLOCK):
            rows = min(BLOCK, VOXELS - first)
            steps.append(math.ceil(rows / BATCH))
    return steps


def overlap(cost):
    """The share of a push's bytes still moving when the fetch after it starts, from the
    measured costs of a push, a fetch, and a push followed by a fetch."""
    return max(0.0, min(1.0, (cost["push_s"] + cost["fetch_s"] - cost["both_s"]) / cost["push_s"]))


def server_concurrency(peak, cores):
    """How many exchanges one server serves at full speed at once, from two clients exchanging
    at the same time (both2) against one alone (both), where the link is not the limit. The
    model slows two simultaneous exchanges by 1 / min(1, s / 2, cores / (2 c)) (s this
    concurrency, c the cores an exchange keeps busy): what the cores do not explain of the
    measured slow-down is the server's. 2 where the cores explain all of it (two at once at
    full speed: as many as were measured)."""
    slow = peak["both2_s"] / peak["both_s"]
    cpu = max(1.0, 2 * peak["cores"] / cores) if cores else 1.0
    return 2.0 / slow if slow > cpu * 1.05 else 2.0


def link_scenario(cost, peak, **kw):
    """A Scenario fed with one link's measured costs: `cost` on the link itself (per message,
    push then fetch), `peak` where the link is not the limit (a transfer's own rate, the cores
    it keeps busy, how a server serves two at once)."""
    # Measured against k servers at once, each carrying 1/k of the bytes in the time measured.
    k = peak.get("servers", 1)
    b = peak["bytes"] / k
    if "cores" in peak:
        kw.setdefault("cpu_per_flow", peak["cores"] / k)
        kw.setdefault("server_cores", server_concurrency(peak, kw.get("cores")))
    else:  # earlier runs (REMODEL) did not measure them: both ends busy, one at a time
        kw.setdefault("cpu_per_flow", 2.0)
    return perf_model.Scenario(msg_s=cost["msg_s"], push_peak_Bps=b / peak["push_s"],
                               fetch_peak_Bps=b / peak["fetch_s"],
                               push_fetch_overlap=overlap(cost), **kw)


def scenario(inputs, rate, n_servers, n_workers, epochs, **kw):
    # step_s: a worker's own computation per step (its log's "compute" seconds over its steps)
    # in the one-worker runs; a step there costs more than the bare mini-batch (assembling
    # the batch from the shards, accumulating the gradient). The transfers' peak rates and the
    # cores they keep busy: those measured against as many servers as the run has (on these
    # shared cores, two servers do not make an exchange twice as fast).
    sc = dict(step_s=inputs["worker_step_s"], step_cv=inputs["step_cv"][1],
              values=inputs["values"], bytes_per_value=4,
              link_Bps=RATES[rate] / 8, worker_link_Bps=None, cores=os.cpu_count(),
              workers=n_workers, servers=n_servers, batch=BATCH,
              partition_steps=partition_steps(), epochs=max(2, epochs), warmup_steps=WARMUP)
    sc.update(kw)
    peak = inputs["links"].get(f"unshaped-{n_servers}srv", inputs["links"]["unshaped"])
    return link_scenario(inputs["links"][rate]["float32"], peak["float32"], **sc)


def predict_curve(inputs):
    """The speed-up curves: one node per worker and per server, each with its own link."""
    unshaped = inputs["links"]["unshaped"]
    kinds = {"CPU (2 threads, measured)": inputs["step_s"][2] * inputs["worker_overhead"]}
    gpu = os.environ.get("GPU_STEP_S")
    if gpu:
        kinds[f"GPU (measured, {float(gpu) * 1e3:.1f} ms/step)"] = float(gpu)
    else:
        kinds["GPU (assumed 10 ms/step: a parameter, not measured)"] = 0.010
    rows = []
    for kind, step in kinds.items():
        for gbit in (1, 10, 100):
            for n_servers in (1, 2, 4, 8):
                for fp16 in (False, True):
                    if fp16 and n_servers not in (1, 8):
                        continue
                    base = None
                    cost = unshaped["fp16" if fp16 else "float32"]
                    for n in (1, 2, 4, 8, 16, 32, 64):
                        sc = link_scenario(
                            cost, cost,
                            step_s=step, step_cv=inputs["step_cv"][2], values=inputs["values"],
                            bytes_per_value=2 if fp16 else 4, link_Bps=gbit * 1e9 / 8,
                            worker_link_Bps=gbit * 1e9 / 8, cores=None, server_cores=4,
                            workers=n, servers=n_servers, batch=BATCH,
                            partition_steps=[8] * max(16, 2 * n), epochs=2, warmup_steps=0)
                        r = perf_model.simulate_mean(sc, seeds=3)
                        if base is None:
                            base = r["samples_per_s"]
                        rows.append(dict(kind=kind, gbit=gbit, servers=n_servers, fp16=fp16,
                                         workers=n, samples_per_s=r["samples_per_s"],
                                         speedup=r["samples_per_s"] / base,
                                         exchange_share=r["exchange_share"]))
    return rows


def svg(rows, path):
    """Speed-up against workers, one panel per worker kind and link speed."""
    kinds = sorted({r["kind"] for r in rows}, key=lambda k: not k.startswith("CPU"))
    links = (1, 10, 100)
    W, H, m = 300, 240, 45
    colors = {1: "#1f77b4", 2: "#ff7f0e", 4: "#2ca02c", 8: "#d62728"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * 3 + 20}" height="{H * len(kinds) + 60}" '
           'font-family="sans-serif" font-size="11">',
           '<text x="10" y="18" font-size="14">dcae Downpour: predicted speed-up (performance model, '
           'fed with this machine\'s measurements)</text>']

    def xy(n, s, ox, oy):
        x = ox + m + (math.log2(n) / 6) * (W - m - 10)
        y = oy + H - m - (math.log2(max(s, 1)) / 6) * (H - m - 25)
        return x, y
    for ki, kind in enumerate(kinds):
        for li, gbit in enumerate(links):
            ox, oy = li * W + 10, ki * H + 30
            out.append(f'<text x="{ox + m}" y="{oy + 18}">{kind[:40]}, {gbit} Gbit/s</text>')
            x0, y0 = xy(1, 1, ox, oy)
            x1, y1 = xy(64, 64, ox, oy)
            out.append(f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="none" stroke="#999"/>')
            for n in (1, 2, 4, 8, 16, 32, 64):
                x, _ = xy(n, 1, ox, oy)
                out.append(f'<text x="{x - 5}" y="{y0 + 14}">{n}</text>')
                _, y = xy(1, n, ox, oy)
                out.append(f'<text x="{ox + m - 22}" y="{y + 4}">{n}x</text>')
            out.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#bbb" stroke-dasharray="2,3"/>')
            # The paper's shape: near-linear to 4 executors, about 7x at 8.
            pts = [xy(1, 1, ox, oy), xy(4, 3.9, ox, oy), xy(8, 7, ox, oy)]
            out.append('<polyline fill="none" stroke="#000" stroke-width="2" stroke-dasharray="6,3" points="' +
                       " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
            for ns, col in colors.items():
                for fp16 in (False, True):
                    sel = [r for r in rows if r["kind"] == kind and r["gbit"] == gbit and
                           r["servers"] == ns and r["fp16"] == fp16]
                    if not sel:
                        continue
                    pts = " ".join("%.1f,%.1f" % xy(r["workers"], r["speedup"], ox, oy) for r in sel)
                    dash = ' stroke-dasharray="3,2"' if fp16 else ""
                    out.append(f'<polyline fill="none" stroke="{col}" stroke-width="1.5"{dash} points="{pts}"/>')
            out.append(f'<text x="{ox + m}" y="{oy + H - 8}" fill="#555">workers (log2); speed-up (log2)</text>')
    ly = H * len(kinds) + 45
    out.append(f'<text x="10" y="{ly}">servers: ' + " ".join(
        f'<tspan fill="{c}">{n}</tspan>' for n, c in colors.items()) +
        '; dashed colour: fp16; black dashed: the paper\'s reported shape (linear to 4, ~7x at 8); '
        'grey dotted: linear</text>')
    out.append("</svg>")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(out))
    os.replace(path + ".tmp", path)


def measure():
    """The measured parts and the training runs through the shaped links."""
    os.makedirs(f"{OUT}/runs", exist_ok=True)
    with open(f"{OUT}/token", "w") as f:
        f.write(os.urandom(16).hex() + "\n")
    os.chmod(f"{OUT}/token", 0o600)
    log("== compute: one mini-batch of the default model (T 284, batch 256)")
    step, cv = compute_times()
    inputs = {"step_s": step, "step_cv": cv}
    network()
    inputs["links"] = {}
    port = 17100
    for rate in ("unshaped", "1gbit", "10gbit"):
        log(f"== link {rate}: message, fetch, push")
        values, rows = link_costs(None if rate == "unshaped" else rate, port)
        port += 1
        inputs["values"] = values
        inputs["links"][rate] = rows
    log("== link unshaped, two servers: message, fetch, push")
    inputs["links"]["unshaped-2srv"] = link_costs(None, port, 2)[1]
    port += 1
    files = make_data()
    runs = []
    for rate in ("1gbit", "10gbit"):
        for ns in (1, 2):
            for nw in (1, 2, 3):
                log(f"== training through {rate}: {ns} server(s), {nw} worker(s)")
                runs.append(train_run(rate, ns, nw, files, port))
                port += 1
    cleanup()
    return inputs, runs


def main():
    t_start = time.time()
    remodel = os.environ.get("REMODEL")
    if remodel:
        # The measurements of an earlier run; only the model runs again.
        saved = json.load(open(remodel))
        inputs, runs = saved["inputs"], saved["runs"]
        for k in ("step_s", "step_cv"):
            inputs[k] = {int(t): v for t, v in inputs[k].items()}
        log(f"== the measurements of {remodel}")
    else:
        inputs, runs = measure()
    single = [r for r in runs if r["servers"] == 1 and r["workers"] == 1]
    inputs["worker_step_s"] = statistics.median(r["compute_s"] / r["steps"] for r in single)
    inputs["worker_overhead"] = inputs["worker_step_s"] / inputs["step_s"][1]
    for r in runs:
        sc = scenario(inputs, r["rate"], r["servers"], r["workers"], r["epochs"])
        p = perf_model.simulate_mean(sc, seeds=5)
        r["predicted_epoch_s"] = p["epoch_s"]
        r["predicted_exchange_share"] = p["exchange_share"]
    log("== predicting the speed-up curves")
    curve = predict_curve(inputs)
    json.dump({"inputs": inputs, "runs": runs, "curve": curve}, open(f"{OUT}/scale.json", "w"), indent=1)
    svg(curve, f"{OUT}/speedup.svg")
    with open(f"{OUT}/speedup.tsv", "w") as f:
        f.write("kind\tgbit\tservers\tfp16\tworkers\tsamples_per_s\tspeedup\texchange_share\n")
        for r in curve:
            f.write(f"{r['kind']}\t{r['gbit']}\t{r['servers']}\t{int(r['fp16'])}\t{r['workers']}\t"
                    f"{r['samples_per_s']:.1f}\t{r['speedup']:.2f}\t{r['exchange_share']:.3f}\n")

    # ---- the tables ----
    print(f"# bench_scale: {time.time() - t_start:.0f} s; {os.cpu_count()} cores; default model: "
          f"{inputs['values']} parameters ({inputs['values'] * 4 / 1e6:.1f} MB float32)")
    print("\n## Measured parts")
    print("| part | value |\n|---|---|")
    for th, s in inputs["step_s"].items():
        print(f"| one mini-batch (T {T}, batch {BATCH}), {th} thread(s) | {s * 1e3:.1f} ms |")
    for rate, rows in inputs["links"].items():
        for enc, v in rows.items():
            print(f"| {rate} veth, {enc}: message / fetch / push / push+fetch | {v['msg_s'] * 1e3:.2f} / "
                  f"{v['fetch_s'] * 1e3:.1f} / {v['push_s'] * 1e3:.1f} / {v['both_s'] * 1e3:.1f} ms "
                  f"({v['bytes'] / v['fetch_s'] / 1e6:.0f} / {v['bytes'] / v['push_s'] / 1e6:.0f} MB/s) |")
            if "cores" in v:
                print(f"| {rate} veth, {enc}: push+fetch by two clients at once; cores one exchange keeps "
                      f"busy (client and servers) | {v['both2_s'] * 1e3:.1f} ms ({v['both2_s'] / v['both_s']:.2f}x "
                      f"alone); {v['cores']:.2f} |")
    if "unshaped-2srv" in inputs["links"]:  # measured together with the cores
        one, two = inputs["links"]["unshaped"]["float32"], inputs["links"]["unshaped-2srv"]["float32"]
        print(f"| the model's server concurrency (from the two-client exchange) and cores per transfer "
              f"(one server; two) | {server_concurrency(one, os.cpu_count()):.2f}; {one['cores']:.2f}; "
              f"{two['cores'] / 2:.2f} |")
    print(f"| a worker's step in the one-server one-worker runs (the model's step; its compute over its steps) | "
          f"{inputs['worker_step_s'] * 1e3:.1f} ms ({inputs['worker_overhead']:.2f}x the mini-batch alone) |")
    for th, c in inputs["step_cv"].items():
        print(f"| relative spread of a mini-batch's time (sd / mean), {th} thread(s) | {c:.2f} |")
    print(f"\n## Training through the shaped link ({MAX_EPOCHS} epochs; "
          f"{RUNS} runs x {VOXELS} voxels, partitions of {BLOCK} voxels, warm-up {WARMUP} steps; "
          "every process on this machine's cores)")
    print("| link | servers | workers | epochs | last loss | wall (s) | epoch (s) | model epoch (s) | error | "
          "exchange share | model share | error | compute / push / fetch / exchange / coordination (s, all workers) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    worst = {"epoch": 0.0, "share": 0.0}
    for r in runs:
        e1 = (r["predicted_epoch_s"] - r["epoch_s"]) / r["epoch_s"] if r["epoch_s"] else float("nan")
        e2 = (r["predicted_exchange_share"] - r["exchange_share"]) / r["exchange_share"]
        if not (r["servers"] == 1 and r["workers"] == 1):  # those calibrate the step
            worst["epoch"] = max(worst["epoch"], abs(e1))
            worst["share"] = max(worst["share"], abs(e2))
        print(f"| {r['rate']} | {r['servers']} | {r['workers']} | {r['epochs']} | {r['last_loss']:.3f} | "
              f"{r['wall_s']:.1f} | {r['epoch_s']:.2f} | "
              f"{r['predicted_epoch_s']:.2f} | {e1:+.0%} | {r['exchange_share']:.2f} | "
              f"{r['predicted_exchange_share']:.2f} | {e2:+.0%} | {r['compute_s']:.1f} / {r['push_s']:.1f} / "
              f"{r['fetch_s']:.1f} / {r['exchange_s']:.1f} / {r['coordination_s']:.1f} |")
    print(f"\nModel validation over the runs with more than one process on a side (the one-worker "
          f"one-server runs calibrate the step): worst |error| of the epoch time "
          f"{worst['epoch']:.0%}, of the exchange share {worst['share']:.0%} (goal: within 20%)")
    print("\n## Predicted speed-up (one node per worker and per server, each with its own link; "
          "fp32 unless noted)")
    print("| workers | " + " | ".join(f"{g} Gbit, {s} srv" for g in (1, 10, 100) for s in (1, 8)) + " |")
    print("|---" * 7 + "|")
    for kind in sorted({r["kind"] for r in curve}, key=lambda k: not k.startswith("CPU")):
        print(f"| **{kind}** |" + " |" * 6)
        for n in (1, 2, 4, 8, 16, 32, 64):
            cells = []
            for g in (1, 10, 100):
                for s in (1, 8):
                    r = next(x for x in curve if x["kind"] == kind and x["gbit"] == g and
                             x["servers"] == s and not x["fp16"] and x["workers"] == n)
                    cells.append(f"{r['speedup']:.1f}x ({r['exchange_share']:.0%})")
            print(f"| {n} | " + " | ".join(cells) + " |")
    print("\n(in brackets: the share of a worker's busy time spent waiting for exchanges)")
    print(f"\nWritten: {OUT}/speedup.svg, {OUT}/speedup.tsv, {OUT}/scale.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
