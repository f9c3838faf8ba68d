#pragma once
/// \file threads.h
/// The process-wide worker-thread count (--nthreads) and a simple parallel loop.

#include <cstdint>
#include <functional>
#include <string>

namespace dcae {

/// Sets the number of worker threads (0 or less → available_cpus()). Call once at start-up.
void set_thread_count(int n);
/// The number of worker threads (≥ 1).
int thread_count();

/// The CPUs this process may use, as a scheduler sees them: the smallest of the CPUs in its
/// affinity mask (taskset, SLURM's binding), the cgroup v2 CPU quota (`cpu.max`, rounded up:
/// docker --cpus, Kubernetes limits), SLURM_CPUS_PER_TASK and OMP_NUM_THREADS when set, and the
/// machine's cores. `cgroup_root` is where the process's cgroup is mounted (for tests).
int available_cpus(const char* cgroup_root = "/sys/fs/cgroup");

/// What available_cpus() found, for logs: "2 (affinity 2, cpu.max 1.5 → 2, ...)".
std::string describe_available_cpus(const char* cgroup_root = "/sys/fs/cgroup");

/// Calls fn(i) for every i in [begin, end) on up to thread_count() threads (dynamic order).
/// The first exception thrown by any call is rethrown after all threads stop.
void parallel_for(std::int64_t begin, std::int64_t end,
                  const std::function<void(std::int64_t)>& fn);

} // namespace dcae
