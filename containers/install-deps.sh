#!/usr/bin/env bash
# Installs the Debian 12 packages listed in debian-packages.txt (beside this script).
# Idempotent: exits quickly when everything is already installed.
# Usage: containers/install-deps.sh [--list FILE] [--no-recommends]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list="${here}/debian-packages.txt"
while [ $# -gt 0 ]; do
  case "$1" in
    --list) list="$2"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -r "$list" ] || { echo "install-deps.sh: cannot read package list '$list'" >&2; exit 1; }

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')
missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all ${#wanted[@]} packages present" >&2
  exit 0
fi

echo "install-deps.sh: installing ${#missing[@]} packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# LibTorch links whatever libblas.so.3 resolves to; make it OpenBLAS (OpenMP build),
# the reference BLAS is ~9x slower for training.
# (dpkg-architecture comes with dpkg-dev, absent from the runtime image: fall back to uname.)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")
for alt in libblas.so.3 liblapack.so.3; do
  cand=$(update-alternatives --list "${alt}-${multiarch}" 2>/dev/null | grep openblas-openmp | head -n1 || true)
  [ -n "$cand" ] && $SUDO update-alternatives --set "${alt}-${multiarch}" "$cand" >/dev/null
done
echo "install-deps.sh: done" >&2
