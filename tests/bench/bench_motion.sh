#!/usr/bin/env bash
# Benchmark (not a test): dcae's rigid motion correction against nipy's space-only realignment
# (nipy.algorithms.registration.groupwise_registration.SpaceRealign, Debian python3-nipy) on
# the same simulated run. Builds nothing.
#
# usage: tests/bench/bench_motion.sh [BUILD_DIR] [dcae_bench_motion options...]
#   BUILD_DIR   a configured and built tree holding dcae_bench_motion (default: build)
#   options     passed to dcae_bench_motion: --grid X Y Z (30 36 28), --voxel MM (5.5),
#               --volumes N (100), --tr S (2), --motion-mm MM (2), --motion-deg DEG (2),
#               --threads N (2), --seed S (1), --tsnr SNR (60), --out DIR (a temporary folder,
#               removed at the end)
# environment: PYTHON (default /usr/bin/python3), NIPY_ARGS (extra nipy_realign.py options,
#              e.g. "--speedup 2"), BENCH_CHECK=0 to skip the conversion check.
#
# First a short check (BENCH_CHECK=0 skips it): dcae on a run whose volumes are the middle one
# moved by a few fixed known transforms (pure rot_z 3 deg, pure trans_x 2 mm, both, ...;
# nearly noise-free), and the check of the conversion of nipy's transforms to dcae's parameters
# (nipy_realign.py --verify-convention: against dcae's matrices, and nipy's estimate on an
# analytic smooth object moved by the same transforms must match them within 0.05 mm/deg).
# Then the benchmark run, and a table:
# wall time (estimation only, no I/O), per-axis RMS error against the true motion, the worst
# translation and rotation axis, and nipy's time / dcae's time. Always exits 0.

set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="build"
if [[ $# -gt 0 && "$1" != --* ]]; then
  build="$1"
  shift
fi
python="${PYTHON:-/usr/bin/python3}"
nipy_args="${NIPY_ARGS:-}"

# shellcheck source=tests/bench/common.sh
source "$here/common.sh"
bench="$(bench_program dcae_bench_motion "$build")" || exit 0

# Pull --threads and --out out of the options (both tools use the same thread count).
threads=2
out=""
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; args+=("$1" "$2"); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
cleanup=0
if [[ -z "$out" ]]; then
  out="$(mktemp -d "${TMPDIR:-/tmp}/dcae_bench_motion.XXXXXX")"
  cleanup=1
fi
mkdir -p "$out"
log="$out/log.txt"
: >"$log"

have_nipy=1
python_peer "$python" nipy.algorithms.registration.groupwise_registration python3-nipy || have_nipy=0

# --- conversion check ------------------------------------------------------------------------
if [[ "${BENCH_CHECK:-1}" != 0 && $have_nipy == 1 ]]; then
  echo "== check: known transforms, 11 volumes, tSNR 10000; conversion of nipy's parameters =="
  check_args=()
  # The same grid and voxel size as the benchmark run.
  set -- "${args[@]}"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --grid) check_args+=("$1" "$2" "$3" "$4"); shift 4 ;;
      --voxel) check_args+=("$1" "$2"); shift 2 ;;
      *) shift ;;
    esac
  done
  if "$bench" "${check_args[@]}" --threads "$threads" --known-motion --volumes 11 --tr 3 --tsnr 10000 \
      --out "$out/check" >"$out/check_dcae.txt" 2>&1 &&
     "$python" "$here/nipy_realign.py" "$out/check" --threads "$threads" --speedup 2 --verify-convention \
      >"$out/check_nipy.txt" 2>&1; then
    grep -v '^RESULT' "$out/check_dcae.txt"
    grep -v '^RESULT' "$out/check_nipy.txt"
  else
    echo "conversion check FAILED:"
    cat "$out/check_dcae.txt" "$out/check_nipy.txt" 2>/dev/null
  fi
  echo
fi

# --- benchmark -------------------------------------------------------------------------------
echo "== benchmark run =="
if ! "$bench" "${args[@]}" --out "$out" | tee -a "$log"; then
  echo "bench_motion: dcae_bench_motion failed" >&2
  [[ $cleanup == 1 ]] && rm -rf "$out"
  exit 0
fi
if [[ $have_nipy == 1 ]]; then
  # shellcheck disable=SC2086
  "$python" "$here/nipy_realign.py" "$out" --threads "$threads" $nipy_args 2>&1 | tee -a "$log" ||
    echo "bench_motion: nipy_realign.py failed" >&2
fi

echo
echo "Per-axis RMS error against the true motion (translations mm, rotations degrees);"
echo "wall time of the estimation only (dcae: motion_correct incl. resampling; nipy: SpaceRealign.estimate), $threads thread(s)."
grep '^RESULT' "$log" | awk '
  BEGIN {
    printf "%-5s %9s %8s %8s %8s %8s %8s %8s %-17s %-15s\n", "tool", "wall_s",
           "trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z", "worst_trans_mm", "worst_rot_deg"
    split("trans_x trans_y trans_z rot_x rot_y rot_z", name, " ")
  }
  {
    tool = $2; wall[tool] = $3
    wt = 4; for (a = 5; a <= 6; ++a) if ($a > $wt) wt = a
    wr = 7; for (a = 8; a <= 9; ++a) if ($a > $wr) wr = a
    printf "%-5s %9.3f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %-17s %-15s\n", tool, $3, $4, $5, $6, $7, $8, $9,
           sprintf("%.4f (%s)", $wt, name[wt - 3]), sprintf("%.4f (%s)", $wr, name[wr - 3])
  }
  END {
    if (("nipy" in wall) && ("dcae" in wall) && wall["dcae"] > 0)
      printf "speed ratio nipy_time / dcae_time = %.2f\n", wall["nipy"] / wall["dcae"]
  }'

if [[ $cleanup == 1 ]]; then
  rm -rf "$out"
else
  echo "files in $out: bold.nii.gz truth.tsv truth_matrices.tsv dcae.tsv nipy.tsv log.txt, check/"
fi
exit 0
