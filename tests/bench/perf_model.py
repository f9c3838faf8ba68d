#!/usr/bin/env python3
"""A performance model of dcae's Downpour training: a discrete-event (fluid) simulation of its
workers, parameter servers and links, fed only with measured costs.

What it simulates is what src/train/downpour.cpp and src/ps/coordinator.cpp do:
  - each worker leases a partition (one message to the coordinator), then for each mini-batch:
    when n_fetch steps have passed since its last fetch, an exchange (a push of the pending
    gradients, if any, then a fetch: the client runs its operations one at a time, in order;
    each operation talks to every server in parallel, each server carrying its share of the
    bytes); the step's computation; a push alone once n_push gradients are pending between
    fetches. After the last step of a partition, a push, then the completion message;
  - the coordinator hands out partitions epoch by epoch (the next epoch opens when the queue is
    empty); the first worker trains alone for warmup_steps, the others poll every 0.1 s;
  - with `overlap`, a worker starts its exchange and computes on; it waits only when the next
    exchange is due and the previous one is still running.

Resources, shared fairly between what uses them at the same time (a fluid model: rates are
recomputed whenever an activity starts or ends):
  - each server's link, one capacity per direction (link_Bps); each worker's link likewise
    (worker_link_Bps; None: not a bottleneck, as in the emulated runs where the workers share
    one network namespace);
  - a transfer's own peak rate: what one client reaches when the link is not the limit
    (push_peak_Bps, fetch_peak_Bps, measured; they include serialisation and the server's
    Adagrad update), plus a fixed cost per message (msg_s, measured: one small call and its
    answer); a push followed by a fetch overlaps by the measured share push_fetch_overlap
    (the fetch starts while the push's last bytes are still on the wire);
  - a server's CPU: at most server_cores transfers at their peak rate at once;
  - cores: when the processes share one machine (the emulated runs: all of them on these 2
    cores), computation (1 core per step at full speed) and transfers (cpu_per_flow cores at
    their peak rate, measured) share `cores` cores; None: every process has a node of its own.

Variation: the workers start at random phases of the coordinator's poll and each step's
computation varies by the measured relative spread (step_cv), so identical workers do not move
in lock-step; simulate_mean() averages over several draws.

Inputs are a JSON object of those fields (see Scenario); outputs: per-epoch times (epochs
after the first, the way bench_scale.sh measures them), throughput in samples/s, each
worker's time split (compute, exchange waits, coordination), like the workers' own logs, and
the pushes' staleness (other pushes applied since the parameters they came from were
fetched; mean, max, and the share a --max-staleness would drop).
Usable as a library (bench_scale.sh) or as `perf_model.py scenario.json`.
"""
import json
import math
import random
import sys
from dataclasses import dataclass, field, asdict
from typing import List, Optional

POLL_S = 0.1  # a waiting worker asks again after this (downpour.cpp)


@dataclass
class Scenario:
    step_s: float                  # one mini-batch's computation on a worker, alone on its cores
    values: int                    # parameters
    bytes_per_value: int = 4       # 4: float32, 2: fp16
    msg_s: float = 2e-4            # one small call and its answer
    push_peak_Bps: float = 1e9     # one push's rate when the link is not the limit
    fetch_peak_Bps: float = 1e9
    link_Bps: Optional[float] = None         # each server's link, per direction (None: unlimited)
    worker_link_Bps: Optional[float] = None  # each worker's link, per direction
    cores: Optional[float] = None  # cores shared by every process (None: a node each)
    cpu_per_flow: float = 1.0      # cores a transfer uses at its peak rate (when cores is set)
    server_cores: float = 1.0      # transfers a server serves at full speed at once
    workers: int = 1
    servers: int = 1
    n_fetch: int = 1
    n_push: int = 1
    overlap: bool = False
    batch: int = 256
    partition_steps: List[int] = field(default_factory=lambda: [8] * 16)  # steps per partition
    epochs: int = 3
    warmup_steps: int = 0
    step_cv: float = 0.0           # relative spread of a step's computation (measured); 0: fixed
    max_staleness: int = -1        # servers drop pushes staler than this (-1: never)
    # A push and the fetch after it overlap on the wire (the link is full duplex, and the push's
    # last bytes are still queued when the fetch starts): the share of a push's bytes still
    # moving when the fetch begins, from the measured costs: (push + fetch - both) / push.
    push_fetch_overlap: float = 0.0
    start_spread: bool = True      # workers start at random phases of the coordinator's poll
    seed: int = 1


class Activity:
    __slots__ = ("kind", "left", "latency", "server", "worker", "dir", "rate", "done", "on",
                 "booked")

    def __init__(self, kind, left, latency=0.0, server=None, worker=None, direction=None):
        self.kind = kind          # "delay", "compute" or "flow"
        self.left = left          # seconds (delay, compute at full speed) or bytes (flow)
        self.latency = latency    # a flow's fixed cost, spent before its bytes move
        self.server = server
        self.worker = worker
        self.dir = direction      # "up" (push) or "down" (fetch)
        self.rate = 0.0
        self.done = False
        self.on = False           # in the engine's active list


class Simulation:
    def __init__(self, sc: Scenario):
        self.sc = sc
        self.now = 0.0
        self.active: List[Activity] = []
        self.waiting = {}   # worker -> (activities it waits for, generator)
        self.split = [dict(compute=0.0, exchange=0.0, coordination=0.0, steps=0)
                      for _ in range(sc.workers)]
        # Coordinator state.
        self.queue = []
        self.next_epoch = 0
        self.done_per_epoch = {}
        self.epoch_end = {}
        self.finished = False
        self.warmup_worker = None
        self.warmup_done = sc.warmup_steps <= 0
        self.steps_total = 0
        self.rng = random.Random(sc.seed)
        self.pushes_applied = 0
        self.fetched_at = {}
        self.staleness = []
        self.pushes_dropped = 0
        self.start_offset = [self.rng.uniform(0, POLL_S) if sc.start_spread else 0.0
                             for _ in range(sc.workers)]

    def step_time(self):
        """One step's computation: the measured mean, spread by the measured relative spread
        (a log-normal of that mean and coefficient of variation). Without the spread, identical
        workers stay in lock-step and share every link at the same moments, which real ones,
        whose steps vary, do not."""
        cv = self.sc.step_cv
        if cv <= 0:
            return self.sc.step_s
        s2 = math.log(1 + cv * cv)
        return self.sc.step_s * math.exp(self.rng.gauss(-s2 / 2, math.sqrt(s2)))

    # ---- the coordinator (ps/coordinator.cpp) ----
    def lease(self, w):
        if self.finished:
            return "done"
        if not self.warmup_done:
            if self.warmup_worker is None:
                self.warmup_worker = w
            if w != self.warmup_worker:
                return "wait"
        if not self.queue and self.next_epoch < self.sc.epochs:
            self.queue = [(self.next_epoch, i) for i in range(len(self.sc.partition_steps))]
            self.done_per_epoch[self.next_epoch] = 0
            self.next_epoch += 1
        if not self.queue:
            return "wait"
        return self.queue.pop(0)

    def complete(self, task):
        e, _ = task
        self.done_per_epoch[e] += 1
        if self.done_per_epoch[e] == len(self.sc.partition_steps):
            self.epoch_end[e] = self.now
            if len(self.epoch_end) == self.sc.epochs:
                self.finished = True

    def stepped(self, w):
        self.split[w]["steps"] += 1
        self.steps_total += 1
        if not self.warmup_done and w == self.warmup_worker and \
                self.split[w]["steps"] >= self.sc.warmup_steps:
            self.warmup_done = True

    # ---- a worker (train/downpour.cpp) ----
    def flows(self, w, direction):
        """One operation: every server its share of the vector, in parallel."""
        total = self.sc.values * self.sc.bytes_per_value
        return [Activity("flow", total / self.sc.servers, self.sc.msg_s, s, w, direction)
                for s in range(self.sc.servers)]

    def worker(self, w):
        sc = self.sc
        sp = self.split[w]
        # The processes start at different moments, so the waiting workers' polls (every
        # POLL_S) fall at different phases; started together they would move in lock-step.
        yield [Activity("delay", sc.msg_s + self.start_offset[w])]  # start, register
        since_fetch, pending = sc.n_fetch, 0
        inflight = []                       # overlap: the exchange still running
        has_params = False

        def exchange(push, fetch):
            # One at a time, in order: the push's flows, then the fetch's.
            ops = []
            tail = []
            f = sc.push_fetch_overlap if (push and fetch) else 0.0
            if push:
                up = self.flows(w, "up")
                if f > 0:  # the push's last share moves together with the fetch
                    tail = self.flows(w, "up")
                    for a, b in zip(up, tail):
                        a.left *= 1 - f
                        b.left *= f
                        b.latency = 0.0
                ops.append(up)
            if fetch:
                ops.append(tail + self.flows(w, "down"))
            return ops

        while True:
            t0 = self.now
            yield [Activity("delay", sc.msg_s)]  # lease
            task = self.lease(w)
            if task == "done":
                sp["coordination"] += self.now - t0
                break
            if task == "wait":
                yield [Activity("delay", POLL_S)]
                sp["coordination"] += self.now - t0
                continue
            sp["coordination"] += self.now - t0
            for _ in range(sc.partition_steps[task[1]]):
                if since_fetch >= sc.n_fetch:
                    t0 = self.now
                    if inflight:  # overlap: the previous exchange must land first
                        yield from self.run_ops(inflight)
                        inflight = []
                    ops = exchange(pending > 0, True)
                    pending = 0
                    since_fetch = 0
                    if sc.overlap and has_params:
                        inflight = ops
                    else:
                        yield from self.run_ops(ops)
                    has_params = True
                    sp["exchange"] += self.now - t0
                t0 = self.now
                if inflight:
                    # Computing while the exchange runs: both go on together; the step waits
                    # for its own computation only.
                    comp = Activity("compute", self.step_time(), worker=w)
                    inflight = yield from self.overlapped(comp, inflight)
                else:
                    yield [Activity("compute", self.step_time(), worker=w)]
                sp["compute"] += self.now - t0
                pending += 1
                since_fetch += 1
                self.stepped(w)
                if pending >= sc.n_push and since_fetch < sc.n_fetch:
                    t0 = self.now
                    if inflight:
                        yield from self.run_ops(inflight)
                        inflight = []
                    ops = exchange(True, False)
                    pending = 0
                    if sc.overlap:
                        inflight = ops
                    else:
                        yield from self.run_ops(ops)
                    sp["exchange"] += self.now - t0
            # The partition's gradients reach the servers before it is reported complete.
            t0 = self.now
            if inflight:
                yield from self.run_ops(inflight)
                inflight = []
            if pending > 0:
                yield from self.run_ops(exchange(True, False))
                pending = 0
            sp["exchange"] += self.now - t0
            t0 = self.now
            yield [Activity("delay", sc.msg_s)]  # complete
            self.complete(task)
            sp["coordination"] += self.now - t0

    def run_ops(self, ops):
        for op in ops:
            if op and not all(a.done for a in op):
                yield op
            self.landed(op)
        return None

    def landed(self, op):
        """Book-keeping when an operation has finished: the staleness of a push is the number of
        other pushes applied since the parameters it was computed from were fetched (what the
        servers compare with --max-staleness)."""
        if not op or getattr(op[0], "booked", False):
            return
        for a in op:
            a.booked = True
        w = op[0].worker
        if op[0].dir == "down":
            self.fetched_at[w] = self.pushes_applied
        else:
            st = self.pushes_applied - self.fetched_at.get(w, 0)
            self.staleness.append(st)
            if self.sc.max_staleness < 0 or st <= self.sc.max_staleness:
                self.pushes_applied += 1
            else:
                self.pushes_dropped += 1

    def overlapped(self, comp, ops):
        """Runs `comp` while the operations in `ops` proceed in order; returns those left."""
        ops = [op for op in ops if not all(a.done for a in op)]
        while not comp.done:
            if ops:
                yield ("any", [comp] + [a for a in ops[0] if not a.done])
                if all(a.done for a in ops[0]):
                    self.landed(ops.pop(0))
            else:
                yield [comp]
        return ops

    # ---- the fluid engine ----
    def rates(self):
        sc = self.sc
        flows = [a for a in self.active if a.kind == "flow" and a.latency <= 0]
        share = {}
        for a in flows:
            key = ("s", a.server, a.dir)
            share[key] = share.get(key, 0) + 1
            key = ("w", a.worker, a.dir)
            share[key] = share.get(key, 0) + 1
        per_server = {}
        for a in flows:
            per_server[a.server] = per_server.get(a.server, 0) + 1
        cpu = 0.0
        for a in self.active:
            if a.kind == "delay" or (a.kind == "flow" and a.latency > 0):
                a.rate = 1.0
            elif a.kind == "compute":
                a.rate = 1.0
                cpu += 1.0
            else:
                peak = sc.push_peak_Bps if a.dir == "up" else sc.fetch_peak_Bps
                r = peak * min(1.0, sc.server_cores / per_server[a.server])
                if sc.link_Bps:
                    r = min(r, sc.link_Bps / share[("s", a.server, a.dir)])
                if sc.worker_link_Bps:
                    r = min(r, sc.worker_link_Bps / share[("w", a.worker, a.dir)])
                a.rate = r
                cpu += sc.cpu_per_flow * r / peak
        if sc.cores and cpu > sc.cores:
            scale = sc.cores / cpu
            for a in self.active:
                if a.kind == "compute" or (a.kind == "flow" and a.latency <= 0):
                    a.rate *= scale

    def start(self, w, gen, value=None):
        try:
            want = gen.send(value)
        except StopIteration:
            return
        mode = "all"
        if isinstance(want, tuple):
            mode, want = want
        for a in want:
            if not a.done and not a.on:
                a.on = True
                self.active.append(a)
        self.waiting[w] = (mode, want, gen)

    def run(self):
        gens = [self.worker(w) for w in range(self.sc.workers)]
        for w, g in enumerate(gens):
            self.start(w, g)
        while self.waiting:
            self.rates()
            dt = math.inf
            for a in self.active:
                if a.kind == "flow" and a.latency > 0:
                    dt = min(dt, a.latency)
                elif a.rate > 0:
                    dt = min(dt, a.left / a.rate)
            if dt == math.inf:
                raise RuntimeError("the simulation is stuck")
            self.now += dt
            still = []
            for a in self.active:
                if a.kind == "flow" and a.latency > 0:
                    a.latency -= dt
                    if a.latency <= 1e-15:
                        a.latency = 0.0
                else:
                    a.left -= a.rate * dt
                    if a.left <= 1e-9 * max(1.0, a.rate):
                        a.done = True
                if not a.done:
                    still.append(a)
            self.active = still
            for w in list(self.waiting):
                mode, want, gen = self.waiting[w]
                ready = all(a.done for a in want) if mode == "all" else any(a.done for a in want)
                if ready:
                    del self.waiting[w]
                    self.start(w, gen)
        return self.result()

    def result(self):
        sc = self.sc
        ends = [self.epoch_end[e] for e in sorted(self.epoch_end)]
        per_epoch = (ends[-1] - ends[0]) / (len(ends) - 1) if len(ends) > 1 else ends[0]
        steps_per_epoch = sum(sc.partition_steps)
        busy = [s["compute"] + s["exchange"] for s in self.split]
        share = sum(s["exchange"] for s in self.split) / max(1e-12, sum(busy))
        return {
            "epoch_s": per_epoch,
            "samples_per_s": steps_per_epoch * sc.batch / per_epoch,
            "steps_per_s": steps_per_epoch / per_epoch,
            "exchange_share": share,
            "wall_s": self.now,
            "staleness_mean": sum(self.staleness) / max(1, len(self.staleness)),
            "staleness_max": max(self.staleness, default=0),
            "dropped_share": self.pushes_dropped / max(1, len(self.staleness)),
            "split": self.split,
        }


def simulate(sc: Scenario):
    return Simulation(sc).run()


def simulate_mean(sc: Scenario, seeds=5):
    """The mean prediction over `seeds` draws of the start phases and step times: one draw is
    sensitive to how the workers' exchanges happen to line up."""
    runs = [simulate(Scenario(**{**asdict(sc), "seed": sc.seed + i})) for i in range(seeds)]
    keys = ("epoch_s", "samples_per_s", "steps_per_s", "exchange_share", "wall_s",
            "staleness_mean", "staleness_max", "dropped_share")
    out = {k: sum(r[k] for r in runs) / len(runs) for k in keys}
    out["split"] = runs[0]["split"]
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sc = Scenario(**json.load(open(sys.argv[1])))
    r = simulate_mean(sc)
    r.pop("split")
    print(json.dumps({"scenario": asdict(sc), "prediction": r}, indent=2))
