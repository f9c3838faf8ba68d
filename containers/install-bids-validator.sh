#!/usr/bin/env bash
# Installs the official BIDS validator (npm package bids-validator 1.15) into a cache outside
# the repository, once, and prints the path of its executable. Exit 77 if npm is missing.
# Cache: ${DCAE_TOOLS_CACHE:-$HOME/.cache/dcae}/bids-validator
set -euo pipefail
version=${BIDS_VALIDATOR_VERSION:-1.15}
cache=${DCAE_TOOLS_CACHE:-${HOME:-/tmp}/.cache/dcae}/bids-validator
exe="$cache/node_modules/.bin/bids-validator"
if [ ! -x "$exe" ]; then
  command -v npm >/dev/null 2>&1 || { echo "install-bids-validator.sh: npm not found" >&2; exit 77; }
  mkdir -p "$cache"
  echo "install-bids-validator.sh: installing bids-validator@$version into $cache (once)" >&2
  npm install --no-audit --no-fund --loglevel=error --prefix "$cache" "bids-validator@$version" >&2
fi
echo "$exe"
