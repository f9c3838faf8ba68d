#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "test_data.h"
#include "train/launch.h"

namespace fs = std::filesystem;

namespace dcae::train {
namespace {

TEST(SlurmLauncher, TheServerIsOnTheFirstNodeOfTheNodeList) {
  EXPECT_EQ(first_slurm_node("vm"), "vm");
  EXPECT_EQ(first_slurm_node("node[01-04,07],gpu1"), "node01");
  EXPECT_EQ(first_slurm_node("a1,b[2-3]"), "a1");
  EXPECT_EQ(first_slurm_node("c[7,9]"), "c7");
  EXPECT_EQ(first_slurm_node("a[008-010]"), "a008") << "zero padding kept";
  EXPECT_EQ(first_slurm_node("r[1-2]n[3-4]"), "r1n3") << "several brackets";
  EXPECT_EQ(first_slurm_node("cn[5,1-3]"), "cn5") << "SLURM's order, not sorted";
  EXPECT_EQ(first_slurm_node("x-1,x-2"), "x-1");
  test::expect_error([] { first_slurm_node("n[1-2"); }, ExitCode::kBadUsage, {"n[1-2"});
  test::expect_error([] { first_slurm_node("n[[1]]"); }, ExitCode::kBadUsage, {"n[[1]]"});
  test::expect_error([] { first_slurm_node(""); }, ExitCode::kBadUsage, {"SLURM_JOB_NODELIST"});
  test::expect_error([] { first_slurm_node("n[]"); }, ExitCode::kBadUsage, {"n[]"});
  test::expect_error([] { first_slurm_node("n[x-y]"); }, ExitCode::kBadUsage, {"n[x-y]"});
}

TEST(SlurmLauncher, TheParserAgreesWithScontrolOnSlurmsNodeListForms) {
  // The fallback parser against scontrol (when it is installed; it needs a slurm.conf, any
  // will do, for hostlist expansion).
  const std::vector<std::pair<std::string, std::string>> table = {
      {"node[01-03,07]", "node01"}, {"gpu[1-2],cpu7", "gpu1"}, {"a[008-010]", "a008"},
      {"r[1-2]n[3-4]", "r1n3"},     {"single", "single"},      {"x-1,x-2", "x-1"},
      {"cn[5,1-3]", "cn5"},         {"n[9-11]", "n9"}};
  for (const auto& [list, first] : table) EXPECT_EQ(first_slurm_node(list), first) << list;
  if (std::system("command -v scontrol > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "scontrol is not installed (slurm-client): the table is checked against "
                    "the expected first hosts only";
  test::TempDir dir;
  test::put(dir / "slurm.conf", "ClusterName=t\nSlurmctldHost=localhost\nNodeName=n1 CPUs=1\n"
                                "PartitionName=p Nodes=n1\n");
  ::setenv("SLURM_CONF", (dir / "slurm.conf").c_str(), 1);
  if (std::system("scontrol show hostnames single > /dev/null 2>&1") != 0) {
    ::unsetenv("SLURM_CONF");
    GTEST_SKIP() << "scontrol does not expand host lists here (no usable slurm.conf)";
  }
  for (const auto& [list, first] : table)
    EXPECT_EQ(slurm_first_host(list), first) << list << ": scontrol show hostnames";
  ::unsetenv("SLURM_CONF");
}

TEST(SlurmLauncher, RanksComeFromTheSlurmVariables) {
  ::setenv("SLURM_PROCID", "2", 1);
  ::setenv("SLURM_NTASKS", "5", 1);
  ::setenv("SLURM_JOB_NODELIST", "n[3-7]", 1);
  const auto r = slurm_ranks();
  EXPECT_EQ(r.rank, 2);
  EXPECT_EQ(r.size, 5);
  EXPECT_EQ(r.first_node, "n3");
  ::setenv("SLURM_PROCID", "5", 1);
  test::expect_error([] { slurm_ranks(); }, ExitCode::kBadUsage, {"SLURM_PROCID 5"});
  ::setenv("SLURM_PROCID", "one", 1);
  test::expect_error([] { slurm_ranks(); }, ExitCode::kBadUsage, {"SLURM_PROCID='one'"});
  ::unsetenv("SLURM_PROCID");
  test::expect_error([] { slurm_ranks(); }, ExitCode::kBadUsage,
                     {"SLURM_PROCID is not set", "srun"});
  ::unsetenv("SLURM_NTASKS");
  ::unsetenv("SLURM_JOB_NODELIST");
}

TEST(ManualLauncher, CommandLinesCarryTheJobsSettingsAndATokenFileOnlyThisUserReads) {
  test::TempDir dir;
  Job job;
  job.shards = {dir / "sub-01_desc-preproc_timeseries.npy"};
  job.output_dir = dir / "out";
  job.servers = 2;
  job.num_shards = 4;
  job.exchange.n_fetch = 3;
  job.exchange.fp16 = true;
  job.server.lease_timeout_s = 2;
  const auto lines = manual_commands(model::ModelConfig{}, job, dir / "model.yaml",
                                     dir / "out" / "dist" / "token");
  ASSERT_EQ(lines.size(), 4u); // 2 servers, 2 workers
  EXPECT_NE(lines[0].find("dcae-ps --listen 127.0.0.1:50051 --shards 4 --host-shards 0 1"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("--host-shards 2 3"), std::string::npos) << lines[1];
  EXPECT_NE(lines[0].find("--lease-timeout 2"), std::string::npos) << lines[0];
  EXPECT_NE(lines[2].find("--output-dir"), std::string::npos) << "worker 0 writes the final model";
  EXPECT_EQ(lines[3].find("--output-dir"), std::string::npos);
  for (std::size_t w = 2; w < 4; ++w) {
    EXPECT_NE(lines[w].find("--ps 127.0.0.1:50051 --ps 127.0.0.1:50052"), std::string::npos)
        << lines[w];
    EXPECT_NE(lines[w].find("--n-fetch 3"), std::string::npos) << lines[w];
    EXPECT_NE(lines[w].find("--fp16"), std::string::npos) << lines[w];
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir / "out" / "dist" / "token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const auto& l : lines)
    EXPECT_EQ(l.find(read_file(dir / "out" / "dist" / "token").substr(0, 16)), std::string::npos)
        << "the token itself is never on a command line";
}

} // namespace
} // namespace dcae::train
