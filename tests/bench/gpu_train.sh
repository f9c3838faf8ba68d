#!/usr/bin/env bash
# On a machine with a CUDA GPU and PyTorch: builds dcae's core and model against PyTorch's
# bundled LibTorch (the DCAE_MODEL_ONLY build: no ITK, NIfTI or gRPC) and reports training
# samples/s of the default model (T = 284, batch 256) on cuda:0 against the CPU, in one short run.
#
# Usage: tests/bench/gpu_train.sh [DEPS_PREFIX]
#   DEPS_PREFIX: where yaml-cpp and nlohmann-json are installed if the machine lacks them, e.g.
#   Debian's libyaml-cpp-dev, libyaml-cpp0.7 and nlohmann-json3-dev unpacked with
#     mkdir -p deps && for d in *.deb; do dpkg -x "$d" deps; done     (then DEPS_PREFIX=deps/usr)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
deps=${1:-}
py=${PYTHON:-python3}
torch_prefix=$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')
"$py" -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda, "GPU:", torch.cuda.is_available() and torch.cuda.get_device_name(0))'
build="$top/build-gpu"
extra=()
if [ -n "$deps" ]; then
  deps=$(realpath "$deps")
  extra+=("-DCMAKE_CXX_FLAGS=-isystem $deps/include" "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath,$deps/lib/x86_64-linux-gnu")
  export LD_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDCAE_MODEL_ONLY=ON \
  -DCMAKE_PREFIX_PATH="$torch_prefix${deps:+;$deps}" "${extra[@]}" >/dev/null
cmake --build "$build" --target dcae_bench_train
bench="$build/bin/dcae_bench_train"
cpu=$("$bench" --device cpu --threads "$(nproc)" --steps 20 --warmup 3 | awk '$1 == "samples_per_s" {print $2}')
gpu=$("$bench" --device cuda:0 --steps 200 --warmup 20 | awk '$1 == "samples_per_s" {print $2}')
printf '%-12s %14s\n' device "samples/s"
printf '%-12s %14s\n' "cpu ($(nproc) thr)" "$cpu" cuda:0 "$gpu"
awk -v g="$gpu" -v c="$cpu" 'BEGIN { printf "cuda:0 / cpu = %.1fx\n", g / c }'
