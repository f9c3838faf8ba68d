"""Peer of dcae_bench_dictlearn: scikit-learn's MiniBatchDictionaryLearning (Debian
python3-sklearn) on the same rows of the same shard, with the same K, lambda, batch size and
passes, and LARS-Lasso coding as dcae's; then the objective 0.5*||X - DA||^2 + lambda*||A||_1
of both results, computed here by one formula in float64.

usage: bench_dictlearn.py SHARD.npy ROWS K LAMBDA BATCH PASSES THREADS OURS_PREFIX OURS_JSON
prints one JSON line."""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.decomposition import MiniBatchDictionaryLearning

warnings.filterwarnings("ignore")
shard, rows, k, lam, batch, passes, threads, ours_prefix, ours_json = sys.argv[1:10]
rows, k, batch, threads = int(rows), int(k), int(batch), int(threads)
lam, passes = float(lam), float(passes)

X = np.load(shard, mmap_mode="r")[:rows].astype(np.float64)  # [n, T]: samples are voxels
X -= X.mean(axis=1, keepdims=True)
norms = np.linalg.norm(X, axis=1, keepdims=True)
X = np.where(norms > 1e-12, X / np.maximum(norms, 1e-12), 0.0)


def objective(codes, atoms):  # codes [n, K], atoms [K, T]
    r = X - codes.astype(np.float64) @ atoms.astype(np.float64)
    return 0.5 * float(np.sum(r * r)) + lam * float(np.abs(codes).sum())


t0 = time.perf_counter()
dl = MiniBatchDictionaryLearning(n_components=k, alpha=lam, batch_size=batch, max_iter=max(1, round(passes)),
                                 fit_algorithm="lars", transform_algorithm="lasso_lars", transform_alpha=lam,
                                 n_jobs=threads, random_state=1)
dl.fit(X.astype(np.float32))
t1 = time.perf_counter()
codes = dl.transform(X.astype(np.float32))
t2 = time.perf_counter()

ours = json.loads(ours_json)
ours_atoms = np.load(ours_prefix + "_atoms.npy")
ours_codes = np.load(ours_prefix + "_codes.npy")
print(json.dumps({"sk_fit_s": t1 - t0, "sk_encode_s": t2 - t1, "sk_total_s": t2 - t0,
                  "sk_objective": objective(codes, dl.components_),
                  "ours_objective_py": objective(ours_codes, ours_atoms),
                  "ours_total_s": ours["total_s"], "ours_objective_cpp": ours["objective"]}))
