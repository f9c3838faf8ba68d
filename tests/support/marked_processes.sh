#!/usr/bin/env bash
# Prints the pids (one per line) of the processes whose environment holds NAME=VALUE, other
# than EXCLUDE-PID (the caller) and this script's own. Tests mark what they start this way
# (children inherit the environment, daemons too), so that nothing they started survives them.
# usage: marked_processes.sh NAME VALUE [EXCLUDE-PID]
name=${1:?usage: marked_processes.sh NAME VALUE [EXCLUDE-PID]} value=${2:?} exclude=${3:-0}
# This script runs with the marker too (inherited): skip itself and its own children.
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  [[ $pid == "$exclude" || $pid == "$$" || $pid == "$BASHPID" ]] && continue
  ppid=$(awk '{print $4}' "$p/stat" 2>/dev/null) || continue
  [[ $ppid == "$$" ]] && continue
  { tr '\0' '\n' < "$p/environ"; } 2>/dev/null | grep -qxF "$name=$value" && echo "$pid"
done
exit 0
