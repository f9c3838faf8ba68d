// The default thread count follows the CPUs a scheduler grants: affinity, the cgroup quota,
// SLURM_CPUS_PER_TASK and OMP_NUM_THREADS.
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sched.h>

#include "core/threads.h"
#include "test_data.h"

namespace dcae {
namespace {

/// This process's cgroup path ("/..." from "0::/..."), as available_cpus() reads it.
std::string own_cgroup() {
  std::ifstream f("/proc/self/cgroup");
  std::string line, path = "/";
  while (std::getline(f, line))
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  return path;
}

/// A fake cgroup tree with `cpu.max` at this process's cgroup and, optionally, at the root.
void write_cpu_max(const test::TempDir& root, const std::string& own, const std::string& parent) {
  const auto dir = root / std::filesystem::path(own_cgroup()).relative_path();
  std::filesystem::create_directories(dir);
  test::put(dir / "cpu.max", own + "\n");
  if (!parent.empty()) test::put(root / "cpu.max", parent + "\n");
}

int cores() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

} // namespace

TEST(AvailableCpus, FollowTheCgroupQuotaAlsoAParentsRoundedUp) {
  ::unsetenv("SLURM_CPUS_PER_TASK");
  ::unsetenv("OMP_NUM_THREADS");
  test::TempDir root;
  write_cpu_max(root, "max 100000", "");
  const int unlimited = available_cpus(root.path().c_str());
  EXPECT_GE(unlimited, 1);
  EXPECT_LE(unlimited, cores());
  write_cpu_max(root, "50000 100000", ""); // docker --cpus 0.5: one thread, not zero
  EXPECT_EQ(available_cpus(root.path().c_str()), 1);
  write_cpu_max(root, "max 100000", "50000 100000"); // the parent's quota binds
  EXPECT_EQ(available_cpus(root.path().c_str()), 1);
  if (unlimited >= 2) {
    write_cpu_max(root, "150000 100000", "");
    EXPECT_EQ(available_cpus(root.path().c_str()), 2) << "1.5 CPUs round up to 2";
  }
  EXPECT_NE(describe_available_cpus(root.path().c_str()).find("cpu.max"), std::string::npos);
}

TEST(AvailableCpus, FollowTheAffinityMaskSlurmAndOmp) {
  ::unsetenv("SLURM_CPUS_PER_TASK");
  ::unsetenv("OMP_NUM_THREADS");
  test::TempDir none; // no cpu.max at all: no quota
  cpu_set_t saved;
  ASSERT_EQ(::sched_getaffinity(0, sizeof saved, &saved), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &saved)) {
      CPU_SET(c, &one); // as `taskset -c <first allowed CPU>`
      break;
    }
  ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
  EXPECT_EQ(available_cpus(none.path().c_str()), 1);
  ASSERT_EQ(::sched_setaffinity(0, sizeof saved, &saved), 0);
  EXPECT_EQ(available_cpus(none.path().c_str()), std::min(cores(), CPU_COUNT(&saved)));

  ::setenv("SLURM_CPUS_PER_TASK", "1", 1);
  EXPECT_EQ(available_cpus(none.path().c_str()), 1);
  ::unsetenv("SLURM_CPUS_PER_TASK");
  ::setenv("OMP_NUM_THREADS", "1", 1);
  EXPECT_EQ(available_cpus(none.path().c_str()), 1);
  ::setenv("OMP_NUM_THREADS", "lots", 1); // not a count: ignored
  EXPECT_EQ(available_cpus(none.path().c_str()), std::min(cores(), CPU_COUNT(&saved)));
  ::unsetenv("OMP_NUM_THREADS");
}

} // namespace dcae
