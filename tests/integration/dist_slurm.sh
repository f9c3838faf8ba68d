#!/usr/bin/env bash
# dcae-train --launcher slurm against a real one-node SLURM: starts munged, slurmctld and slurmd
# itself (Debian's slurm-wlm and munge; root), runs `srun -n 3 dcae-train --launcher slurm
# --workers 2` (rank 0: parameter server and final model; ranks 1-2: workers), then `srun -n 4
# ... --servers 2 --ps-shards 3` (ranks 0-1: servers, each publishing its address) on simulated
# shards, checks the result, and stops the daemons it started. Exit 77 (skip) without SLURM,
# munge or root.
#
# usage: tests/integration/dist_slurm.sh BIN_DIR
set -euo pipefail
bin="$(cd "$1" && pwd)"
for x in slurmctld slurmd munged srun sinfo; do
  command -v "$x" >/dev/null || { echo "SKIP: $x not installed (apt-get install slurm-wlm munge)"; exit 77; }
done
[[ $(id -u) == 0 ]] || { echo "SKIP: starting slurmd needs root"; exit 77; }
python="${PYTHON:-/usr/bin/python3}"
"$python" -c 'import numpy' 2>/dev/null || { echo "SKIP: $python has no numpy"; exit 77; }

work="$(mktemp -d /tmp/dcae-slurm-XXXXXX)"
chmod 755 "$work"
host="$(hostname -s)"
# Every process this test starts (daemons, srun, slurmstepd, the ranks) carries this marker in
# its environment, so that cleanup finds them all, also those whose pid files were never written.
export DCAE_TEST_MARK="dcae-slurm-$$"
marked() { bash "$(dirname "${BASH_SOURCE[0]}")/../support/marked_processes.sh" DCAE_TEST_MARK "$DCAE_TEST_MARK" $$; }
cleanup() {
  local rc=$? pids i
  trap - EXIT INT TERM
  for pidfile in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munged.pid"; do
    [[ -s "$pidfile" ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  for i in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(marked)
    [[ -z "$pids" ]] && break
    [[ $i -ge 3 ]] && kill $pids 2>/dev/null
    [[ $i -ge 8 ]] && kill -9 $pids 2>/dev/null
    sleep 0.5
  done
  pids=$(marked)
  if [[ -n "$pids" ]]; then
    echo "FAIL: processes of this test still alive: $(ps -o pid=,comm= -p ${pids//$'\n'/,} | tr '\n' ' ')"
    rc=1
  fi
  if [[ $rc != 0 && $rc != 77 ]]; then
    for log in "$work"/munged.log "$work"/slurmctld.log "$work"/slurmd.log "$work"/srun.log "$work"/srun2.log; do
      [[ -s "$log" ]] && { echo "--- last lines of ${log##*/}"; tail -15 "$log"; }
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# munge: our own socket, key and pid file, so nothing else on the machine is touched.
mkdir -p "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$work/munge"
chmod 400 "$work/munge/munge.key"
munged --force --key-file "$work/munge/munge.key" --socket "$work/munge/munge.socket" \
  --pid-file "$work/munged.pid" --log-file "$work/munged.log" --seed-file "$work/munge/seed"

cpus=$(nproc)
# The node's SLURM name resolves nowhere (as on clusters whose node names only the batch system
# knows): workers must reach rank 0 by the address it publishes, not by that name.
node=dcaenode-unresolvable
if getent hosts "$node" > /dev/null; then echo "SKIP: $node resolves here"; exit 77; fi
cat > "$work/slurm.conf" <<CONF
ClusterName=dcaetest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE
CONF
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF="$work/slurm.conf"
slurmctld -f "$SLURM_CONF" || { echo "FAIL: slurmctld did not start"; exit 1; }
if ! slurmd -f "$SLURM_CONF" -N "$node"; then
  # A daemon that the environment stops (no cgroup file system, as in a bare chroot) is a
  # skip with the reason; anything else fails.
  if grep -qi "cgroup" "$work/slurmd.log" 2>/dev/null; then
    echo "SKIP: slurmd cannot start here: $(grep -i cgroup "$work/slurmd.log" | tail -1)"; exit 77
  fi
  echo "FAIL: slurmd did not start"; exit 1
fi
echo "waiting for the node to come up"
for i in $(seq 1 120); do
  state="$(sinfo -h -N -o %t 2>/dev/null || true)"
  [[ "$state" == idle* ]] && break
  if ! kill -0 "$(cat "$work/slurmd.pid" 2>/dev/null || echo 0)" 2>/dev/null && grep -qi cgroup "$work/slurmd.log" 2>/dev/null; then
    echo "SKIP: slurmd stopped: $(grep -i cgroup "$work/slurmd.log" | tail -1)"; exit 77
  fi
  sleep 1
done
[[ "$state" == idle* ]] || { echo "FAIL: the node did not come up (state '$state')"; exit 1; }

# Simulated shards (sines with random weights plus noise, z-scored), as bench_dist.sh makes.
"$python" - "$work" <<'PY'
import json, sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(0)
t = np.arange(64) * 2.0
for r in range(2):
    comps = np.stack([np.sin(2 * np.pi * t / f + rng.uniform(0, 6)) for f in (40, 25, 60, 16)])
    x = rng.normal(size=(1200, 4)) @ comps + 0.5 * rng.normal(size=(1200, 64))
    x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    np.save(f"{out}/run{r}.npy", x.astype(np.float32))
    json.dump({"Format": "dcae time-series shard", "FormatVersion": 1, "Shape": [1200, 64], "RepetitionTime": 2.0,
               "Source": "synthetic", "Mask": "", "Provenance": {}}, open(f"{out}/run{r}.json", "w"))
PY
cat > "$work/model.yaml" <<YAML
model: {channels: [8, 8], kernel_size: 5}
optimizer: {learning_rate: 0.02}
train: {batch_size: 32, epochs: 3}
YAML

echo "srun -n 3 dcae-train --launcher slurm --workers 2"
srun -n 3 --overcommit --kill-on-bad-exit=1 --time=5 \
  "$bin/dcae-train" --launcher slurm --workers 2 --nthreads 1 --port 16851 --block-rows 400 --warmup-steps 10 \
  --model-config "$work/model.yaml" -o "$work/out" "$work/run0.npy" "$work/run1.npy" > "$work/srun.log" 2>&1 ||
  { echo "FAIL: srun dcae-train"; exit 1; }

fail=0
# The rendezvous: rank 0 published its NodeAddr for this job, and both workers used it.
read -r job addr < "$work/out/dist/address" || true
[[ "$addr" == 127.0.0.1:16851 ]] || { echo "FAIL: rank 0 published '$job $addr', not 127.0.0.1:16851"; fail=1; }
n=$(grep -c "servers at 127.0.0.1:16851" "$work/srun.log" || true)
[[ "$n" == 2 ]] || { echo "FAIL: $n of 2 workers reached the published address"; fail=1; }
echo "rendezvous: job $job published $addr; node name $node does not resolve"
[[ -s "$work/out/model.pt" ]] || { echo "FAIL: no model.pt"; fail=1; }
"$python" - "$work/out" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1] + "/dist.json"))
ok = d["launcher"] == "slurm" and d["workers"] == 2
ok &= d["partitions_completed"] == 3 * d["partitions_per_epoch"]
losses = [e["mean_loss"] for e in d["epoch_losses"]]
ok &= len(losses) == 3 and losses[-1] < 0.9 * losses[0]
ok &= sorted(d["partitions_by_worker"].values())[0] > 0   # both workers trained
print("slurm run:", json.dumps({k: d[k] for k in ("partitions_completed", "partitions_per_epoch", "partitions_by_worker", "epoch_losses", "nodelist", "wall_s")}))
sys.exit(0 if ok else 1)
PY
# The model is a standard checkpoint.
"$bin/dcae-encode" -q -m "$work/out/model.pt" -o "$work/features" "$work/run0.npy" || fail=1

# Two server processes (ranks 0 and 1, ports 16861 and 16862) and two workers (ranks 2, 3),
# three parameter shards: each server publishes itself, each worker finds both.
echo "srun -n 4 dcae-train --launcher slurm --servers 2 --ps-shards 3 --workers 2"
if srun -n 4 --overcommit --kill-on-bad-exit=1 --time=5 \
  "$bin/dcae-train" --launcher slurm --servers 2 --ps-shards 3 --workers 2 --nthreads 1 --port 16861 \
  --block-rows 400 --warmup-steps 10 --model-config "$work/model.yaml" -o "$work/out2" \
  "$work/run0.npy" "$work/run1.npy" > "$work/srun2.log" 2>&1; then
  read -r _ addr1 < "$work/out2/dist/address-1" || true
  [[ "$addr1" == 127.0.0.1:16862 ]] || { echo "FAIL: server 1 published '$addr1', not 127.0.0.1:16862"; fail=1; }
  n=$(grep -c "servers at 127.0.0.1:16861 and 1 more" "$work/srun2.log" || true)
  [[ "$n" == 2 ]] || { echo "FAIL: $n of 2 workers found both servers"; fail=1; }
  "$python" - "$work/out2" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1] + "/dist.json"))
ok = d["launcher"] == "slurm" and d["workers"] == 2 and d["shards"] == 3
ok &= len(d["servers"]) == 2 and all(s["pushes_applied"] > 0 for s in d["servers"])
ok &= sorted(sum((s["shards"] for s in d["servers"]), [])) == [0, 1, 2]
ok &= d["partitions_completed"] == 3 * d["partitions_per_epoch"]
losses = [e["mean_loss"] for e in d["epoch_losses"]]
ok &= len(losses) == 3 and losses[-1] < 0.9 * losses[0]
print("slurm, 2 servers:", json.dumps({"servers": [{k: s[k] for k in ("address", "shards", "pushes_applied")} for s in d["servers"]],
                                       "epoch_losses": losses, "wall_s": d["wall_s"]}))
sys.exit(0 if ok else 1)
PY
  [[ -s "$work/out2/model.pt" ]] || { echo "FAIL: no model.pt from the 2-server job"; fail=1; }
else
  echo "FAIL: srun with 2 servers"; tail -20 "$work/srun2.log"; fail=1
fi
[[ $fail == 0 ]] && echo "PASS" || echo "FAIL"
exit $fail
