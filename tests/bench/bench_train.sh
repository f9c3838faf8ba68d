#!/usr/bin/env bash
# Benchmark (not a test): training throughput of dcae's default autoencoder (dcae_bench_train)
# beside the same model and loop in Python with Debian's python3-torch (bench_train.py, the
# same LibTorch), and the fraction of the machine's practical peak float32 rate (a large sgemm
# through the same LibTorch/BLAS, measured here) that the C++ training step reaches.
# Builds nothing.
#
# usage: tests/bench/bench_train.sh [BUILD_DIR] [options...]
#   BUILD_DIR   a configured and built tree holding dcae_bench_train (default: build)
#   options     passed to both programs: --steps S (60), --warmup W (10), --batch B (256),
#               --t T (284)
# environment: PYTHON (default /usr/bin/python3), THREADS (thread counts, default "1 2"),
#              REPEATS (runs of each program per thread count, alternating which goes first;
#              the best samples/s of each is kept; default 1), SGEMM_N (2048),
#              VARIANTS (environment variants, default "default malloc malloc+avx512 malloc+avx2"; below).
#
# Table, per environment variant and thread count: C++ samples/s, Python samples/s,
# C++/Python, the C++ model's GFLOP/s (samples/s x FLOPs per sample of a training step,
# counted by dcae_bench_train: 3 x the forward conv1d/linear multiply-adds), the sgemm GFLOP/s
# on the same threads (LibTorch's default OpenBLAS kernel, and the best of that and OpenBLAS's
# AVX-512 kernel = the peak) and the fractions of both. A second table gives the same from the
# median step time. Always exits 0.

set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="build"
if [[ $# -gt 0 && "$1" != --* ]]; then
  build="$1"
  shift
fi
python="${PYTHON:-/usr/bin/python3}"
threads_list="${THREADS:-1 2}"
repeats="${REPEATS:-1}"
sgemm_n="${SGEMM_N:-2048}"
args=("$@")

# shellcheck source=tests/bench/common.sh
source "$here/common.sh"
bench="$(bench_program dcae_bench_train "$build")" || exit 0
have_python=1
python_peer "$python" torch python3-torch || have_python=0

# value KEY < output: the number after "KEY " on its line.
value() { awk -v k="$1" '$1 == k { print $2; exit }'; }
# best A B: the larger of two numbers (either may be empty).
best() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "") print b; else if (b == "" || a + 0 >= b + 0) print a; else print b }'; }

echo "== bench_train: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(awk -F: '/model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ *//'))"
echo "   load at start: $(uptime | sed 's/.*load average/load average/')"
echo "   options: ${args[*]:-(defaults)}; threads: $threads_list; repeats: $repeats; sgemm n = $sgemm_n"

# Variants of the process environment (both programs get the same one):
#   default       as each program runs by default: dcae-train (and this benchmark) sets glibc's
#                 allocator itself (model::configure_allocator, as "malloc" below); Python does not
#   malloc        glibc malloc with a fixed mmap threshold and no heap trimming, so the
#                 ~5 MB activations and gradients of every step are reused instead of being
#                 unmapped and page-faulted back (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_)
#   malloc+avx512 and OpenBLAS's AVX-512 kernels (OPENBLAS_CORETYPE=SkylakeX): Debian's
#                 OpenBLAS 0.3.21 does not know newer AMD cores and falls back to its AVX2
#                 (Haswell) kernels; only where the CPU has avx512f
#   malloc+avx2   an AVX2 machine on an AVX-512 one: LibTorch's kernels (ATEN_CPU_CAPABILITY),
#                 oneDNN's (ONEDNN_MAX_CPU_ISA) and OpenBLAS's (Haswell) all limited to AVX2
malloc_env=(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824)
has_avx512=0
grep -qw avx512f /proc/cpuinfo && has_avx512=1
variants="${VARIANTS:-default malloc malloc+avx512 malloc+avx2}"
variant_env() {
  case "$1" in
    default) echo "X_BENCH_TRAIN=1" ;;
    malloc) echo "${malloc_env[*]}" ;;
    malloc+avx512) echo "${malloc_env[*]} OPENBLAS_CORETYPE=SkylakeX" ;;
    malloc+avx2) echo "${malloc_env[*]} OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2" ;;
    *) echo "bench_train: unknown variant $1" >&2; return 1 ;;
  esac
}

declare -A cpp cpp_med py py_med gemm
flops=""
declare -A peak_n  # the best sgemm rate of each thread count, any OpenBLAS kernel
for n in $threads_list; do
  for kern in default avx512; do
    cenv=(X_BENCH_TRAIN=1)
    if [[ "$kern" == avx512 ]]; then
      ((has_avx512)) || continue
      cenv=(OPENBLAS_CORETYPE=SkylakeX)
    fi
    out="$(env "${cenv[@]}" "$bench" --sgemm --threads "$n" --n "$sgemm_n" 2>&1)" ||
      echo "bench_train: sgemm failed: $out" >&2
    g="$(value sgemm_gflops_best <<<"$out")"
    echo "   sgemm ${sgemm_n}^2, $n thread(s), $kern OpenBLAS kernel: $(value sgemm_gflops <<<"$out") GFLOP/s mean, $g best"
    gemm[$kern:$n]="$g"
    peak_n[$n]="$(best "${peak_n[$n]:-}" "$g")"
  done
done
for v in $variants; do
  [[ "$v" == *avx512* ]] && ((!has_avx512)) && continue
  read -r -a venv <<<"$(variant_env "$v")" || continue
  echo "   -- variant $v: ${venv[*]}"
  for n in $threads_list; do
    k="$v:$n"
    for ((r = 0; r < repeats; ++r)); do
      order=(cpp py)
      ((r % 2 == 1)) && order=(py cpp)
      for tool in "${order[@]}"; do
        if [[ "$tool" == cpp ]]; then
          out="$(env "${venv[@]}" "$bench" --threads "$n" "${args[@]}" 2>&1)" ||
            echo "bench_train: C++ run failed: $out" >&2
          [[ -z "$flops" ]] && flops="$(value flops_train_per_sample <<<"$out")"
          s="$(value samples_per_s <<<"$out")"
          m="$(value samples_per_s_median <<<"$out")"
          echo "   C++    $n thread(s), run $((r + 1)): $s samples/s (median step: $m), loss $(value last_loss <<<"$out")"
          cpp[$k]="$(best "${cpp[$k]:-}" "$s")"
          cpp_med[$k]="$(best "${cpp_med[$k]:-}" "$m")"
        elif ((have_python)); then
          out="$(env "${venv[@]}" "$python" "$here/bench_train.py" --threads "$n" "${args[@]}" 2>&1)" ||
            echo "bench_train: Python run failed: $out" >&2
          s="$(value samples_per_s <<<"$out")"
          m="$(value samples_per_s_median <<<"$out")"
          echo "   Python $n thread(s), run $((r + 1)): $s samples/s (median step: $m), loss $(value last_loss <<<"$out")"
          py[$k]="$(best "${py[$k]:-}" "$s")"
          py_med[$k]="$(best "${py_med[$k]:-}" "$m")"
        fi
      done
    done
  done
done
echo "   load at end: $(uptime | sed 's/.*load average/load average/')"
echo "   FLOPs per sample of one training step: $flops (3 x forward: conv1d 2*Cin*Cout*K*L + linear 2*in*out)"

# table CPP PY: one row per variant and thread count. "sgemm" is the default OpenBLAS kernel's
# rate on those threads; "of peak" is the C++ model rate over the best sgemm on those threads
# (the AVX-512 kernel where there is one), "of sgemm" over the default kernel's.
table() {
  local -n c_ref=$1 p_ref=$2
  printf '%-14s %7s %10s %10s %7s %10s %10s %8s %10s %8s\n' variant threads "C++ smp/s" "Py smp/s" \
    "C++/Py" "C++ GF/s" "sgemm GF/s" "of sgemm" "peak GF/s" "of peak"
  for v in $variants; do
    [[ "$v" == *avx512* ]] && ((!has_avx512)) && continue
    for n in $threads_list; do
      k="$v:$n"
      awk -v v="$v" -v n="$n" -v c="${c_ref[$k]:-}" -v p="${p_ref[$k]:-}" -v f="$flops" \
        -v g="${gemm[default:$n]:-}" -v pk="${peak_n[$n]:-}" 'BEGIN {
        ratio = (c != "" && p != "" && p > 0) ? sprintf("%.2f", c / p) : "-"
        model = (c != "" && f != "") ? c * f / 1e9 : -1
        fg = (model >= 0 && g != "" && g > 0) ? sprintf("%.1f%%", 100 * model / g) : "-"
        fp = (model >= 0 && pk != "" && pk > 0) ? sprintf("%.1f%%", 100 * model / pk) : "-"
        printf "%-14s %7s %10s %10s %7s %10s %10s %8s %10s %8s\n", v, n,
          (c == "" ? "-" : sprintf("%.0f", c)), (p == "" ? "-" : sprintf("%.0f", p)), ratio,
          (model < 0 ? "-" : sprintf("%.1f", model)), (g == "" ? "-" : sprintf("%.1f", g)), fg,
          (pk == "" ? "-" : sprintf("%.1f", pk)), fp
      }'
    done
  done
}
echo
echo "== throughput (B x S / wall time of the S timed steps; best of $repeats)"
table cpp py
echo
echo "== throughput from the median step time (B / median step; best of $repeats)"
table cpp_med py_med
echo
echo "goals: C++/Python >= 1.3 and >= 40% of the sgemm peak"
exit 0
