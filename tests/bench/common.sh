# Sourced by the benchmark scripts (not run): where the benchmark program is, and whether the
# Python peer is there. Benchmarks build nothing and always exit 0, so each helper says what
# is missing on stderr and lets the caller decide.

# bench_program NAME BUILD_DIR: prints the path of the built benchmark program NAME (under
# BUILD_DIR/tests/bench or BUILD_DIR/bin); prints nothing and says what to build when absent.
bench_program() {
  local name="$1" build="$2" c
  for c in "$build/tests/bench/$name" "$build/bin/$name"; do
    if [[ -x "$c" ]]; then
      echo "$c"
      return 0
    fi
  done
  echo "${0##*/}: no $name under $build (build the target $name first)" >&2
  return 1
}

# python_peer PYTHON MODULE PACKAGE: succeeds when PYTHON imports MODULE; otherwise says which
# Debian package brings it (the benchmark then runs dcae alone).
python_peer() {
  local python="$1" module="$2" package="$3"
  if "$python" -c "import $module" 2>/dev/null; then
    return 0
  fi
  echo "${0##*/}: $python cannot import $module (apt-get install $package); dcae only" >&2
  return 1
}
