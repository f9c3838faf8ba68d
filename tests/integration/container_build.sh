#!/usr/bin/env bash
# Builds the dcae container image for real and runs the BIDS-App in it on a read-only root:
# simulate a small dataset with the image's dcae-simulate into a host folder, then participant
# and group, and check the outputs. Slow (the image compiles dcae): ctest label `container`,
# left out of the CI preset. Exit 77 (skipped) when no Docker engine answers.
# Usage: tests/integration/container_build.sh [BIN_DIR]
#   BIN_DIR  a host build's bin/: its runtime-packages.txt check runs first (cheap)
# Environment:
#   DCAE_BASE_IMAGE  base image (default dcae/debian:bookworm, made with debootstrap bookworm +
#                    docker import when absent, as root; DEBIAN_MIRROR picks the mirror)
#   DCAE_IMAGE       tag of the image built (default dcae:test)
#   DCAE_CONTAINER_PREBUILT  an install prefix (or bin/ folder) made on this Debian 12 host:
#                    packaged as it is instead of compiling in the image (fast)
#   DCAE_CONTAINER_KEEP=1    keep the temporary folder (its path is printed)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-}
base=${DCAE_BASE_IMAGE:-dcae/debian:bookworm}
image=${DCAE_IMAGE:-dcae:test}

skip() { echo "SKIP: $*"; exit 77; }
command -v docker >/dev/null 2>&1 || skip "no docker client"
timeout 30 docker info >/dev/null 2>&1 ||
  skip "no Docker engine answers ('docker info' failed); start one (Debian docker.io: dockerd) to run this test"

# BuildKit is needed (cache mounts, skipped stages): buildx, or a client older than 23 whose
# DOCKER_BUILDKIT=1 uses the engine's built-in BuildKit.
build=()
if docker buildx version >/dev/null 2>&1; then
  build=(docker buildx build --load)
else
  for c in docker /usr/bin/docker; do
    v=$("$c" version --format '{{.Client.Version}}' 2>/dev/null) || continue
    if [ "${v%%.*}" -lt 23 ]; then build=(env DOCKER_BUILDKIT=1 "$c" build); break; fi
  done
fi
[ ${#build[@]} -gt 0 ] || skip "no BuildKit: install docker-buildx, or use a docker client < 23"

if [ -n "$bin" ] && [ -d "$bin" ]; then
  bash "$top/containers/runtime-packages.sh" --check "$bin"
fi

work=$(mktemp -d)
cleanup() {
  if [ "${DCAE_CONTAINER_KEEP:-0}" = 1 ]; then echo "kept $work"; return; fi
  # Files written by the image's user (uid 1000) may not be removable by the caller.
  docker run --rm -v "$work:/w" --user 0:0 --entrypoint /bin/rm "$image" -rf /w/data /w/out >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The base image: a local debootstrap of Debian 12, since no registry may be reachable.
if ! docker image inspect "$base" >/dev/null 2>&1; then
  [ "$base" = "dcae/debian:bookworm" ] || skip "base image $base is absent"
  command -v debootstrap >/dev/null 2>&1 || skip "base image $base is absent and debootstrap is not installed"
  [ "$(id -u)" -eq 0 ] || skip "base image $base is absent and debootstrap needs root"
  echo "container_build.sh: debootstrap bookworm -> $base (once)"
  # shellcheck disable=SC2086
  debootstrap --variant=minbase bookworm "$work/rootfs" ${DEBIAN_MIRROR:-} > "$work/debootstrap.log" ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  tar -C "$work/rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$base"
  rm -rf "$work/rootfs"
fi

version=$(sed -n 's/^project(dcae VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
revision=$(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)
args=(-f containers/Dockerfile --build-arg "BASE_IMAGE=$base" --build-arg "DCAE_VERSION=$version"
      --build-arg "DCAE_REVISION=$revision" --target runtime -t "$image")
if [ -n "${DCAE_CONTAINER_PREBUILT:-}" ]; then
  # A context of its own: the packaging files plus the install tree.
  pre=$DCAE_CONTAINER_PREBUILT
  [ -d "$pre/bin" ] && pre="$pre/bin"
  mkdir -p "$work/context/prebuilt/bin"
  cp -r "$top/containers" "$work/context/"
  cp "$pre"/dcae-* "$work/context/prebuilt/bin/"
  strip "$work/context/prebuilt/bin/"* 2>/dev/null || true
  (cd "$work/context" && "${build[@]}" "${args[@]}" --build-arg DCAE_INSTALL_FROM=prebuilt .)
else
  (cd "$top" && "${build[@]}" "${args[@]}" .)
fi

# Outputs land in host folders that the image's user (uid 1000) can write.
mkdir -p "$work/data" "$work/out"
chmod 0777 "$work/data" "$work/out"
run=(docker run --rm --read-only --tmpfs /tmp --network none)
[ "$(docker run --rm --entrypoint id "$image" -u)" = 1000 ] || { echo "FAIL: the image does not run as uid 1000"; exit 1; }

"${run[@]}" -v "$work/data:/data" --entrypoint dcae-simulate "$image" -q --subjects 1 --runs 1 \
  --grid 20 24 18 --voxel-size 8 8 8 --tr 2 --volumes 40 /data/bids
"${run[@]}" -v "$work/data/bids:/data:ro" -v "$work/out:/out" "$image" \
  /data /out participant --participant-label 01 --skip-bids-validation
"${run[@]}" -v "$work/data/bids:/data:ro" -v "$work/out:/out" "$image" \
  /data /out group --participant-label 01 --train-steps 20 --atoms 5

fail=0
for f in dataset_description.json sub-01.html group.html model/model.pt; do
  [ -s "$work/out/$f" ] || { echo "FAIL: missing output $f"; fail=1; }
done
compgen -G "$work/out/shards/sub-01_*_desc-preproc_timeseries.npy" >/dev/null ||
  { echo "FAIL: no time-series shard for sub-01"; fail=1; }
compgen -G "$work/out/logs/dcae-group-*.log" >/dev/null || { echo "FAIL: no group log"; fail=1; }
[ $fail -eq 0 ] || { find "$work/out" -maxdepth 2 | sort; exit 1; }
echo "PASS: the BIDS-App ran participant and group in $image on a read-only root"
