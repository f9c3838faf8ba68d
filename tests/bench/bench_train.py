#!/usr/bin/env python3
"""Benchmark (not a test): dcae's autoencoder and training step written in Python.

The same model (src/model/autoencoder.cpp) and the same loop (src/model/trainer.cpp) as
dcae_bench_train, with Debian's python3-torch (the same LibTorch as dcae links): default
configuration (channels 16,16, kernel 9, pool 2, a feature as long as the series; Adagrad
lr 0.01, initial accumulator 0.1, eps 1e-10; l1_lambda 1e-3, consistency 0.1), one random batch [B, 1, T] (fixed seed, created once, outside the
timing), W untimed steps then S timed ones on N intra-op threads. Prints samples/s
(B*S / wall time of the S steps) and B / median step time, in dcae_bench_train's format.

usage: /usr/bin/python3 tests/bench/bench_train.py [--threads N] [--steps S] [--warmup W]
                                                    [--batch B] [--t T]
"""

import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Autoencoder(nn.Module):
    """Mirror of dcae::model::AutoencoderImpl."""

    def __init__(self, t, channels=(16, 16), kernel=9, pool=2):
        super().__init__()
        self.t = t
        self.channels = list(channels)
        self.pool = pool
        total_pool = pool ** len(channels)
        self.t_pad = (t + total_pool - 1) // total_pool * total_pool
        self.bottom_len = self.t_pad // total_pool
        self.enc_convs = nn.ModuleList()
        cin = 1
        for c in channels:
            self.enc_convs.append(nn.Conv1d(cin, c, kernel, padding=kernel // 2))
            cin = c
        self.dec_convs = nn.ModuleList()
        for l in reversed(range(len(channels))):
            cout = 1 if l == 0 else channels[l - 1]
            self.dec_convs.append(nn.Conv1d(channels[l], cout, kernel, padding=kernel // 2))
        b = channels[-1] * self.bottom_len
        self.enc_fc = nn.Linear(b, t)  # the feature H: as long as the series
        self.dec_fc = nn.Linear(t, b)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(1)
        if self.t_pad != self.t:
            x = F.pad(x, (0, self.t_pad - self.t))
        switches, lengths = [], []
        for conv in self.enc_convs:
            x = torch.relu(conv(x))
            lengths.append(x.size(2))
            x, idx = F.max_pool1d(x, self.pool, self.pool, return_indices=True)
            switches.append(idx)
        maps = x
        h = torch.relu(self.enc_fc(x.flatten(1)))
        y = torch.relu(self.dec_fc(h)).view(h.size(0), self.channels[-1], self.bottom_len)
        bottom = y
        layers = len(self.dec_convs)
        for l, conv in enumerate(self.dec_convs):
            e = layers - 1 - l
            y = F.max_unpool1d(y, switches[e], self.pool, self.pool, output_size=[lengths[e]])
            y = conv(y)
            if l + 1 < layers:
                y = torch.relu(y)
        if self.t_pad != self.t:
            y = y.narrow(2, 0, self.t)
        return y, h, bottom, maps, switches


def autoencoder_loss(rec, h, bottom, maps, x, l1_lambda, consistency):
    loss = F.mse_loss(rec, x)
    if l1_lambda > 0:
        loss = loss + l1_lambda * (h.abs().mean() + bottom.abs().mean())
    if consistency > 0:
        loss = loss + consistency * F.mse_loss(bottom, maps)
    return loss


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--t", type=int, default=284)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    l1_lambda, consistency = 1e-3, 0.1
    model = Autoencoder(a.t)
    opt = torch.optim.Adagrad(model.parameters(), lr=0.01, initial_accumulator_value=0.1, eps=1e-10)
    x = torch.randn(a.batch, 1, a.t)

    def step():
        opt.zero_grad()
        rec, h, bottom, maps, _ = model(x)
        loss = autoencoder_loss(rec, h, bottom, maps, x, l1_lambda, consistency)
        loss.backward()
        opt.step()
        v = loss.item()
        if not math.isfinite(v):
            raise RuntimeError("loss not finite")
        return v

    for _ in range(a.warmup):
        step()
    times = []
    last = float("nan")
    t0 = time.perf_counter()
    for _ in range(a.steps):
        s = time.perf_counter()
        last = step()
        times.append(time.perf_counter() - s)
    total = time.perf_counter() - t0
    print(f"threads {torch.get_num_threads()}")
    print(f"batch {a.batch}")
    print(f"t {a.t}")
    print(f"parameters {sum(q.numel() for q in model.parameters())}")
    print(f"steps {a.steps}")
    print(f"seconds {total}")
    print(f"samples_per_s {a.batch * a.steps / total}")
    print(f"samples_per_s_median {a.batch / statistics.median(times)}")
    print(f"last_loss {last}")
    print(f"torch_version {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
