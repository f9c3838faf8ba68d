#!/usr/bin/python3
"""nipy's space-only realignment on a run written by dcae_bench_motion (a benchmark, not a test).

Run with Debian's python3 (python3-nipy, nibabel, numpy):

    /usr/bin/python3 tests/bench/nipy_realign.py DIR [--threads N] [--loops L] [--speedup S]
                                                     [--show] [--verify-convention]

Loads DIR/bold.nii.gz into memory, runs
nipy.algorithms.registration.groupwise_registration.SpaceRealign(...).estimate(refscan=n//2)
(nipy's defaults otherwise: loops=5, speedup=5, optimizer 'ncg'), timing only the estimation,
converts nipy's transforms to dcae's convention, writes them to DIR/nipy.tsv and prints the
per-axis RMS errors against DIR/truth.tsv and the wall time.

dcae's convention (the truth's): trans_x,y,z (mm), rot_x,y,z (degrees); for volume t,
T(p) = R (p - c) + c + t maps a world point (RAS mm) of the reference (middle) volume to the
same tissue's position in volume t; R = Rz Rx Ry (ITK Euler3DTransform); c = grid centre.

nipy's convention (groupwise_registration.Realign4dAlgorithm.resample): the value at reference
grid voxel v of volume t is sampled at voxel  inv(affine) . A_t . affine . v  of scan t, where
A_t = transforms[t].as_affine() is a 4x4 world (mm) -> world (mm) matrix. So A_t maps a world
point of the head (reference) space to its world position in scan t -- the same direction as
dcae's T -- but it rotates about the world origin: A_t(p) = R p + b. After
align_to_refscan (done by estimate() when refscan is not None), the head space is that of
scan `refscan`. Hence R is the same matrix and t = b + R c - c.

--verify-convention checks this (see verify_convention): against dcae's own matrices, by a
round trip, and by nipy's estimate on an analytic smooth object moved by known transforms
(pure rot_z, pure trans_x, both, ...), which must match within 0.05 mm / 0.05 degrees.
"""

import argparse
import math
import os
import sys
import time

COLUMNS = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]


def euler_zxy_degrees(R):
    """Angles (rot_x, rot_y, rot_z) in degrees with R = Rz(rz) . Rx(rx) . Ry(ry).

    R = [[cz cy - sz sx sy, -sz cx, cz sy + sz sx cy],
         [sz cy + cz sx sy,  cz cx, sz sy - cz sx cy],
         [-cx sy,            sx,    cx cy           ]]
    (as ITK's Euler3DTransform::ComputeMatrixParameters with ComputeZYX off).
    """
    rx = math.asin(max(-1.0, min(1.0, R[2][1])))
    ry = math.atan2(-R[2][0], R[2][2])
    rz = math.atan2(-R[0][1], R[1][1])
    return [math.degrees(rx), math.degrees(ry), math.degrees(rz)]


def to_dcae_params(A, centre):
    """dcae parameters of nipy's world->world 4x4 matrix A, about the grid centre (mm)."""
    R = A[:3, :3]
    t = A[:3, 3] + R.dot(centre) - centre
    return list(t) + euler_zxy_degrees(R)


def from_dcae_params(p, centre):
    """The inverse of to_dcae_params: nipy's world->world 4x4 matrix of dcae parameters p."""
    import numpy as np
    rx, ry, rz = (math.radians(v) for v in p[3:6])
    Rx = np.array([[1, 0, 0], [0, math.cos(rx), -math.sin(rx)], [0, math.sin(rx), math.cos(rx)]])
    Ry = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0], [-math.sin(ry), 0, math.cos(ry)]])
    Rz = np.array([[math.cos(rz), -math.sin(rz), 0], [math.sin(rz), math.cos(rz), 0], [0, 0, 1]])
    R = Rz.dot(Rx).dot(Ry)
    A = np.eye(4)
    A[:3, :3] = R
    A[:3, 3] = centre + np.asarray(p[:3], dtype=float) - R.dot(centre)
    return A


def smooth_head(points, seed=0):
    """An analytic, smooth head-like object at world points (N x 3, mm): a soft-edged ellipsoid
    with Gaussian blobs inside. Evaluated exactly (no interpolation), so volumes made from it
    differ only by the motion."""
    import numpy as np
    rng = np.random.default_rng(seed)
    axes = np.array([62.0, 76.0, 54.0])
    q = np.sqrt(np.sum((points / axes) ** 2, axis=1))
    f = 800.0 / (1.0 + np.exp((q - 1.0) / 0.08))
    for _ in range(40):
        c = rng.uniform(-0.7, 0.7, 3) * axes
        sigma = rng.uniform(7.0, 12.0)
        f += rng.uniform(-300.0, 500.0) * np.exp(-np.sum((points - c) ** 2, axis=1) / (2 * sigma ** 2))
    return f


def verify_convention(image, affine, truth, matrices, centre, ref, loops, speedup, tol=0.05):
    """Checks the conversion of nipy's transforms to dcae's parameters. Returns True if all hold:

    1. from_dcae_params (dcae parameters -> world matrix) reproduces the simulator's own matrices
       (DIR/truth_matrices.tsv, written by dcae_bench_motion with sim::rigid_matrix): same
       rotation order, centre and direction as dcae;
    2. to_dcae_params inverts from_dcae_params (random parameters and centres);
    3. on a run made from an analytic smooth object on the same grid -- volume t sampled
       exactly at M_t^-1(y), M_t the simulator's matrix of the true motion, so there is no
       interpolation -- nipy's SpaceRealign estimate, converted, matches the true parameters
       within `tol` (mm, degrees) for every volume and axis; and nipy's own resampling with the
       true motion as converted brings every volume back onto the reference, with the inverse
       transforms taking it further away.
    """
    import numpy as np
    from nipy.core.api import Image
    from nipy.algorithms.registration.affine import Affine
    from nipy.algorithms.registration.groupwise_registration import SpaceRealign, resample4d

    ok = True
    n = truth.shape[0]
    d1 = max(np.max(np.abs(from_dcae_params(truth[t], centre)[:3] - matrices[t].reshape(3, 4))) for t in range(n))
    print("nipy check 1: from_dcae_params vs dcae's rigid_matrix, %d volumes: max |difference| %.1e" % (n, d1))
    ok = ok and d1 < 1e-6

    rng = np.random.default_rng(0)
    d2 = 0.0
    for _ in range(200):
        p = np.r_[rng.uniform(-5, 5, 3), rng.uniform(-20, 20, 3)]
        c = rng.uniform(-50, 50, 3)
        d2 = max(d2, np.max(np.abs(np.asarray(to_dcae_params(from_dcae_params(p, c), c)) - p)))
    print("nipy check 2: parameters -> matrix -> parameters, 200 random cases: max |difference| %.1e" % d2)
    ok = ok and d2 < 1e-9

    shape = image.shape
    ijk = np.indices(shape[:3]).reshape(3, -1).T.astype(float)
    world = ijk.dot(affine[:3, :3].T) + affine[:3, 3]
    data = np.zeros(shape)
    for t in range(n):
        M = np.eye(4)
        M[:3] = matrices[t].reshape(3, 4)
        src = (world - M[:3, 3]).dot(np.linalg.inv(M[:3, :3]).T)  # M^-1(y)
        data[..., t] = smooth_head(src).reshape(shape[:3])
    smooth = Image(data, image.coordmap)
    realign = SpaceRealign(smooth)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        realign.estimate(refscan=ref, loops=loops, speedup=speedup)
    est = np.array([to_dcae_params(t.as_affine(), centre) for t in realign._transforms[0]])
    im4d = realign._runs[0]
    inner = (slice(2, -2),) * 3
    refvol = data[..., ref]
    mask = refvol[inner] > 100

    def diffs(invert):
        tr = [Affine(np.linalg.inv(from_dcae_params(truth[t], centre)) if invert
                     else from_dcae_params(truth[t], centre)) for t in range(n)]
        res = resample4d(im4d, transforms=tr, time_interp=False)
        return [np.sqrt(np.mean((res[..., t][inner][mask] - refvol[inner][mask]) ** 2)) for t in range(n)]

    d_true, d_inv = diffs(False), diffs(True)
    d_raw = [np.sqrt(np.mean((data[..., t][inner][mask] - refvol[inner][mask]) ** 2)) for t in range(n)]
    print("nipy check 3: analytic smooth object moved by the true motion; nipy's estimate "
          "(speedup %d), converted, minus the truth (%s);" % (speedup, " ".join(COLUMNS)))
    print("              RMS difference from the reference after nipy's resampling with the truth / "
          "its inverse / as moved")
    for t in range(n):
        err = est[t] - truth[t]
        good = np.all(np.abs(err) < tol) and (t == ref or d_true[t] < d_raw[t] < d_inv[t])
        ok = ok and good
        print("  volume %3d  error %s  %6.2f / %6.2f / %6.2f  %-5s (%s)" % (
            t, " ".join("%+.3f" % v for v in err), d_true[t], d_inv[t], d_raw[t], "ok" if good else "WRONG",
            " ".join("%s %g" % (c, v) for c, v in zip(COLUMNS, truth[t]) if v != 0) or "reference"))
    print("nipy check: conversion %s" % ("verified" if ok else "NOT verified"))
    return ok


def read_tsv(path):
    import numpy as np
    with open(path) as f:
        header = f.readline().split()
    if header != COLUMNS:
        raise SystemExit("%s: unexpected columns %s" % (path, header))
    return np.loadtxt(path, skiprows=1, ndmin=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="folder written by dcae_bench_motion (bold.nii.gz, truth.tsv)")
    ap.add_argument("--threads", type=int, default=2,
                    help="BLAS/OpenMP threads for numpy (nipy itself is single-threaded)")
    ap.add_argument("--loops", type=int, default=5, help="nipy's loops (default 5, nipy's default)")
    ap.add_argument("--speedup", type=int, default=5, help="nipy's speedup (default 5, nipy's default)")
    ap.add_argument("--verify-convention", action="store_true",
                    help="only check the conversion (needs DIR/truth_matrices.tsv; see verify_convention) "
                         "and exit 0 if it holds, 1 if not")
    ap.add_argument("--show", action="store_true",
                    help="also print every volume's converted parameters beside the truth")
    args = ap.parse_args()

    # Before numpy is imported.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import warnings
    import numpy as np
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nipy.io.api import load_image
        from nipy.core.api import Image
        from nipy.algorithms.registration.groupwise_registration import SpaceRealign

    bold = os.path.join(args.dir, "bold.nii.gz")
    img = load_image(bold)
    # Everything in memory before the clock starts: the timing excludes I/O.
    data = np.asarray(img.get_fdata() if hasattr(img, "get_fdata") else img.get_data(), dtype=np.float64)
    img = Image(data, img.coordmap)
    shape = data.shape
    if len(shape) != 4:
        raise SystemExit("%s: not 4-D" % bold)
    n = shape[3]
    ref = n // 2  # the middle volume, like dcae (and the truth)

    realign = SpaceRealign(img)
    affine = realign._runs[0].affine  # voxel -> world (mm), as nipy uses it
    centre = affine.dot(np.r_[(np.asarray(shape[:3], dtype=float) - 1) / 2, 1.0])[:3]
    truth = read_tsv(os.path.join(args.dir, "truth.tsv"))
    if truth.shape != (n, 6):
        raise SystemExit("truth.tsv has %s rows/columns, expected %d x 6" % (truth.shape, n))
    if args.verify_convention:
        matrices = np.loadtxt(os.path.join(args.dir, "truth_matrices.tsv"), skiprows=1, ndmin=2)
        return 0 if verify_convention(img, affine, truth, matrices, centre, ref, args.loops, args.speedup) else 1
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        realign.estimate(refscan=ref, loops=args.loops, speedup=args.speedup)
    wall_s = time.perf_counter() - t0
    transforms = realign._transforms[0]

    est = np.array([to_dcae_params(t.as_affine(), centre) for t in transforms])
    with open(os.path.join(args.dir, "nipy.tsv"), "w") as f:
        f.write("\t".join(COLUMNS) + "\n")
        for row in est:
            f.write("\t".join("%.6f" % v for v in row) + "\n")

    err = est - truth
    if args.show:
        print("nipy: volume, converted estimate / truth (" + " ".join(COLUMNS) + ")")
        for t in range(n):
            print("  %3d  est %s\n       true %s" % (
                t, " ".join("%8.4f" % v for v in est[t]), " ".join("%8.4f" % v for v in truth[t])))
    rms = np.sqrt(np.mean(err ** 2, axis=0))
    worst = np.max(np.abs(err), axis=0)
    print("nipy: %dx%dx%d x %d volumes, reference volume %d, SpaceRealign.estimate %.3f s "
          "(loops=%d speedup=%d)" % (shape[0], shape[1], shape[2], n, ref, wall_s, args.loops, args.speedup))
    print("nipy: RMS error  " + "".join(" %s %.4f" % (c, v) for c, v in zip(COLUMNS, rms)))
    print("nipy: max |error|" + "".join(" %s %.4f" % (c, v) for c, v in zip(COLUMNS, worst)))
    # The part of the error common to all volumes: the reference volume's own misregistration
    # (nipy registers every volume, the reference too, to a mean template, then re-expresses
    # them relative to the reference).
    print("nipy: mean error " + "".join(" %s %+.4f" % (c, v) for c, v in zip(COLUMNS, err.mean(axis=0))))
    print("nipy: SD of error" + "".join(" %s %.4f" % (c, v) for c, v in zip(COLUMNS, err.std(axis=0))))
    # Machine-readable line for bench_motion.sh: tool, wall time, six RMS errors.
    print("RESULT nipy %.6f %s" % (wall_s, " ".join("%.6f" % v for v in rms)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
