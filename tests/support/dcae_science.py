"""Independent numpy implementations of what dcae scores with, for tests and benchmarks that
check dcae's numbers against them: the canonical HRF design, FEAT's high-pass (fslmaths
-bptf), circularly shifted designs and the chance level of the best-matching atom, and
reading dcae's and dcae-simulate's files. Written from the definitions (SPM's HRF, FSL's
filter, numpy's percentile), not from dcae's C++. Needs numpy (and scipy for the HRF).
"""
import csv
import json
import math

import numpy as np


def canonical_hrf(t):
    """SPM's canonical HRF (unnormalised): Gamma(6) pdf - Gamma(16) pdf / 6, 0 before 0."""
    from scipy.stats import gamma
    t = np.asarray(t, dtype=float)
    return np.where(t > 0, gamma.pdf(t, 6) - gamma.pdf(t, 16) / 6, 0.0)


def hrf_design(events, times, dt=0.05):
    """Boxcars (onset, duration[, amplitude]) convolved with the unit-area canonical HRF (32 s),
    computed on a grid of dt and sampled at `times` (s) by linear interpolation."""
    times = np.asarray(times, dtype=float)
    start = min([0.0] + [e[0] for e in events] + [times.min()]) - 32.0
    n = int(math.ceil((times.max() + dt - start) / dt)) + 2
    grid = start + np.arange(n) * dt
    u = np.zeros(n)
    for e in events:
        onset, duration = e[0], e[1]
        amplitude = e[2] if len(e) > 2 else 1.0
        if duration <= 0:
            u[int(math.floor((onset - start) / dt))] += amplitude / dt
            continue
        u += amplitude * np.clip(np.minimum(onset + duration, grid + dt) - np.maximum(onset, grid), 0, None) / dt
    h = canonical_hrf((np.arange(int(math.ceil(32.0 / dt))) + 0.5) * dt)
    h /= h.sum()  # unit area: a long block reaches a plateau of its amplitude
    y = np.convolve(u, h)[:n]
    return np.interp(times, grid, y)


def bptf_highpass(x, sigma):
    """fslmaths -bptf sigma -1 on one series, with the mean added back: at each point a
    Gaussian-weighted line (|dt| <= int(3 sigma)) is fitted and its value subtracted."""
    x = np.asarray(x, dtype=float)
    n, half = len(x), int(3 * sigma)
    out = np.empty(n)
    for t in range(n):
        lo, hi = max(0, t - half), min(n - 1, t + half)
        d = np.arange(lo, hi + 1) - t
        w = np.exp(-0.5 * d * d / (sigma * sigma))
        a, c, m = (w * d).sum(), (w * d * d).sum(), w.sum()
        b, e = (w * x[lo:hi + 1]).sum(), (w * d * x[lo:hi + 1]).sum()
        den = c * m - a * a
        out[t] = x[t] - ((b * c - a * e) / den if den != 0 else x[t])
    return out + x.mean()


def design(events_by_condition, n_volumes, tr, start_time=0.0, highpass=0.0):
    """{condition: (unfiltered, filtered)} regressors sampled at i*tr + start_time."""
    times = np.arange(n_volumes) * tr + start_time
    out = {}
    for c, ev in events_by_condition.items():
        raw = hrf_design(ev, times)
        out[c] = (raw, bptf_highpass(raw, highpass / (2 * tr)) if highpass > 0 else raw)
    return out


def shifted(x, shift_volumes):
    """x circularly shifted later by a fractional number of volumes (linear interpolation)."""
    n = len(x)
    f = (np.arange(n) - shift_volumes) % n
    i0 = np.floor(f).astype(int) % n
    w = f - np.floor(f)
    return (1 - w) * x[i0] + w * x[(i0 + 1) % n]


def null_r95(atoms, unfiltered, tr, block_s, highpass=0.0, shifts=200, min_shift=10.0, q=95.0):
    """The chance level of the best |r| of the columns of `atoms` (T x K) with a regressor: its
    95th percentile over `shifts` circular shifts spread over [L, D - L], L = max(min_shift,
    block_s), each shifted design high-passed as the data."""
    t = atoms.shape[0]
    low = max(min_shift, block_s)
    high = t * tr - low
    z = atoms - atoms.mean(0)
    z /= np.where(np.linalg.norm(z, axis=0) > 0, np.linalg.norm(z, axis=0), 1)
    best = []
    for s in np.linspace(low, high, shifts):
        g = shifted(unfiltered, s / tr)
        if highpass > 0:
            g = bptf_highpass(g, highpass / (2 * tr))
        g = g - g.mean()
        g /= np.linalg.norm(g)
        best.append(np.abs(z.T @ g).max())
    return float(np.percentile(best, q))


def read_events(path):
    """BIDS events.tsv -> {trial_type: [(onset, duration), ...]}."""
    out = {}
    with open(path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            out.setdefault(row["trial_type"], []).append((float(row["onset"]), float(row["duration"])))
    return out


def read_mixing(path):
    """A mixing table (tsv, one column per atom) -> (names, T x K array)."""
    with open(path) as f:
        names = f.readline().rstrip("\n").split("\t")
    return names, np.loadtxt(path, skiprows=1, ndmin=2)


def read_json(path):
    with open(path) as f:
        return json.load(f)
