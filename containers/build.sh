#!/usr/bin/env bash
# Installs the Debian packages (if missing), configures and builds dcae with a CMake preset.
# Usage: containers/build.sh [PRESET]   (default: release; build folder: build/)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-release}
bash "$top/containers/install-deps.sh"
cd "$top"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
