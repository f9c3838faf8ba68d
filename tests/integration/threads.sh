#!/usr/bin/env bash
# The default thread count follows the CPUs the process is granted: one CPU under
# `taskset -c 0`, SLURM_CPUS_PER_TASK / OMP_NUM_THREADS when set; --nthreads wins over both.
# Checked on the [debug] line every command logs with --verbose. Skips (77) without taskset.
# usage: threads.sh BIN_DIR
set -euo pipefail
bin=${1:?usage: threads.sh BIN_DIR}
command -v taskset > /dev/null || { echo "SKIP: taskset is not installed (util-linux)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
threads() { "$@" --verbose --subjects 1 --volumes 10 --overwrite "$work/ds" 2>&1 | sed -n 's/.*\[debug\] threads: \([0-9]*\).*/\1/p' | head -1; }
fail=0
check() { # WHAT EXPECTED GOT
  if [[ "$3" == "$2" ]]; then echo "ok   $1: $3 thread(s)"; else echo "FAIL $1: $3 thread(s), expected $2"; fail=1; fi
}
check "taskset -c 0" 1 "$(threads taskset -c 0 "$bin/dcae-simulate")"
check "SLURM_CPUS_PER_TASK=1" 1 "$(SLURM_CPUS_PER_TASK=1 threads "$bin/dcae-simulate")"
check "OMP_NUM_THREADS=1" 1 "$(OMP_NUM_THREADS=1 threads "$bin/dcae-simulate")"
check "taskset -c 0 with --nthreads 3" 3 "$(threads taskset -c 0 "$bin/dcae-simulate" --nthreads 3)"
exit $fail
