#include <gtest/gtest.h>

#include "app/commands.h"
#include "core/log.h"
#include "io/shard.h"
#include "preproc/intensity.h"
#include "sim/simulator.h"
#include "test_data.h"
#include "test_state.h"

namespace fs = std::filesystem;

namespace dcae::app {
namespace {

fs::path shard_of(const test::TempDir& dir, int volumes, const std::string& name) {
  sim::SimulationConfig c;
  c.grid = {16, 20, 14};
  c.voxel_mm = {10, 10, 10};
  c.tr_s = 2.0;
  c.volumes = volumes;
  c.motion_mm = c.motion_deg = 0;
  const test::LogLevel quiet_log(log::Level::kWarning);
  const auto r = sim::simulate_run(c, 0, 0);
  const auto sd = preproc::extract_shard(r.bold, r.brain);
  io::write_shard(dir / name, sd.data, sd.info);
  return dir / name;
}

} // namespace

TEST(TrainCommand, TrainsThenEncodesEveryVoxel) {
  test::TempDir dir;
  const fs::path shard = shard_of(dir, 40, "sub-01_task-motor_run-01_desc-preproc_timeseries.npy");
  auto train = make_train_command();
  ASSERT_EQ(test::call(*train, {"-q", "--nthreads", "1", "--max-steps", "5", "-o",
                                (dir / "model").string(), shard.string()}),
            0);
  EXPECT_TRUE(fs::exists(dir / "model" / "model.pt"));
  EXPECT_TRUE(fs::exists(dir / "model" / "model.yaml"));
  EXPECT_TRUE(fs::exists(dir / "model" / "loss.tsv"));
  auto encode = make_encode_command();
  ASSERT_EQ(test::call(*encode, {"-q", "-m", (dir / "model" / "model.pt").string(), "-o",
                                 (dir / "features").string(), "--reconstructions", shard.string()}),
            0);
  io::ShardReader in(shard);
  io::ShardReader feat(dir / "features" / "sub-01_task-motor_run-01_desc-features_timeseries.npy");
  EXPECT_EQ(feat.info().n_voxels, in.info().n_voxels);
  EXPECT_EQ(feat.info().n_timepoints, 40); // H: as long as the series (the paper's model)
  EXPECT_EQ(feat.info().voxel_ijk, in.info().voxel_ijk);
  io::ShardReader rec(dir / "features" /
                      "sub-01_task-motor_run-01_desc-reconstruction_timeseries.npy");
  EXPECT_EQ(rec.info().n_timepoints, 40);
}

TEST(TrainCommand, MismatchedShardsAndDevicesAreClearErrors) {
  test::TempDir dir;
  const fs::path a = shard_of(dir, 40, "a.npy"), b = shard_of(dir, 50, "b.npy");
  auto train = make_train_command();
  testing::internal::CaptureStderr();
  EXPECT_EQ(
      test::call(*train, {"--max-steps", "2", "-o", (dir / "m").string(), a.string(), b.string()}),
      1);
  EXPECT_EQ(test::call(*train, {"--max-steps", "2", "--device", "cuda:0", "-o",
                                (dir / "m2").string(), a.string()}),
            2);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("b.npy: has T = 50, the first shard has T = 40"), std::string::npos) << err;
  EXPECT_NE(err.find("--device cuda:0"), std::string::npos) << err;
}

} // namespace dcae::app
