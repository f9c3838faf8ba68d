#include "core/threads.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <sched.h>

namespace dcae {
namespace {
std::atomic<int> g_threads{0};
}

void set_thread_count(int n) {
  g_threads = n > 0 ? n : 0;
}

namespace {

/// A positive integer from the environment variable `name`, or 0.
int env_count(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return 0;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  return (end != nullptr && *end == '\0' && x > 0 && x < 1'000'000) ? static_cast<int>(x) : 0;
}

/// The cgroup v2 quota of this process's cgroup in CPUs (rounded up), or 0 when unlimited or
/// unknown: /proc/self/cgroup names the cgroup ("0::/path"); its cpu.max says "QUOTA PERIOD"
/// or "max PERIOD"; a parent's quota binds too, so the tightest on the way up counts.
int cgroup_quota(const char* root) {
  std::ifstream self("/proc/self/cgroup");
  std::string line, path = "/";
  while (std::getline(self, line))
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  int best = 0;
  for (std::filesystem::path p = path;; p = p.parent_path()) {
    std::ifstream f(std::filesystem::path(root) / p.relative_path() / "cpu.max");
    std::string quota;
    double period = 0;
    if (f >> quota >> period && quota != "max" && period > 0) {
      const double q = std::atof(quota.c_str());
      if (q > 0) {
        const int cpus = std::max(1, static_cast<int>(std::ceil(q / period)));
        best = best == 0 ? cpus : std::min(best, cpus);
      }
    }
    if (p == p.root_path() || p.empty() || p == p.parent_path()) break;
  }
  return best;
}

int affinity_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return CPU_COUNT(&set);
}

} // namespace

std::string describe_available_cpus(const char* cgroup_root) {
  std::string s = std::to_string(available_cpus(cgroup_root)) + " (cores " +
                  std::to_string(std::thread::hardware_concurrency());
  auto add = [&](const char* what, int n) {
    if (n > 0) s += std::string(", ") + what + " " + std::to_string(n);
  };
  add("affinity", affinity_count());
  add("cpu.max", cgroup_quota(cgroup_root));
  add("SLURM_CPUS_PER_TASK", env_count("SLURM_CPUS_PER_TASK"));
  add("OMP_NUM_THREADS", env_count("OMP_NUM_THREADS"));
  return s + ")";
}

int available_cpus(const char* cgroup_root) {
  int n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const int limit : {affinity_count(), cgroup_quota(cgroup_root),
                          env_count("SLURM_CPUS_PER_TASK"), env_count("OMP_NUM_THREADS")})
    if (limit > 0) n = std::min(n, limit);
  return std::max(1, n);
}

int thread_count() {
  const int n = g_threads.load();
  if (n > 0) return n;
  static const int available = available_cpus();
  return available;
}

void parallel_for(std::int64_t begin, std::int64_t end,
                  const std::function<void(std::int64_t)>& fn) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  const int workers = static_cast<int>(std::min<std::int64_t>(thread_count(), n));
  if (workers == 1) {
    for (std::int64_t i = begin; i < end; ++i) fn(i);
    return;
  }
  std::atomic<std::int64_t> next{begin};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    while (true) {
      const std::int64_t i = next.fetch_add(1);
      if (i >= end) return;
      {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (error) return;
      }
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

} // namespace dcae
