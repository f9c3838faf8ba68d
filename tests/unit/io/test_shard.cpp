#include <gtest/gtest.h>

#include "core/error.h"
#include "io/json.h"
#include "io/shard.h"
#include "test_data.h"

namespace dcae::io {

TEST(Shard, WriteThenReadRowsRandomly) {
  test::TempDir dir;
  ShardInfo info;
  info.n_voxels = 5;
  info.n_timepoints = 4;
  info.tr_s = 0.72;
  info.source = "sub-01_task-motor_bold.nii.gz";
  info.grid = {10, 10, 10};
  for (int v = 0; v < 5; ++v) info.voxel_ijk.push_back({v, 2 * v, 3});
  info.provenance = {{"steps", {"zscore"}}};
  std::vector<float> data(20);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i);
  write_shard(dir / "x.npy", data, info);

  ShardReader r(dir / "x.npy");
  EXPECT_EQ(r.info().n_voxels, 5);
  EXPECT_DOUBLE_EQ(r.info().tr_s, 0.72);
  EXPECT_EQ(r.info().voxel_ijk[4], (std::array<std::int32_t, 3>{4, 8, 3}));
  EXPECT_EQ(r.info().provenance["steps"][0], "zscore");
  std::vector<float> two(8);
  r.read_rows(3, 2, two.data());
  EXPECT_EQ(two, std::vector<float>(data.begin() + 12, data.end()));
  r.read_rows(0, 1, two.data());
  EXPECT_EQ(two[0], 0.f);
  EXPECT_EQ(r.read_all(), data);
  EXPECT_THROW(r.read_rows(4, 2, two.data()), Error);
}

TEST(Shard, NumpyReadsTheShard) {
  test::TempDir dir;
  ShardInfo info;
  info.n_voxels = 3;
  info.n_timepoints = 2;
  info.tr_s = 2;
  write_shard(dir / "x.npy", {0.f, 1.f, 2.f, 3.f, 4.f, 5.5f}, info);
  const int rc = test::run_debian_python(
      "import numpy as np, json, sys; a = np.load('" + (dir / "x.npy").string() +
      "'); "
      "j = json.load(open('" +
      (dir / "x.json").string() +
      "')); "
      "sys.exit(0 if a.dtype == np.float32 and a.shape == (3, 2) and a[2, 1] == 5.5 "
      "and a.flags.c_contiguous and j['Shape'] == [3, 2] else 1)");
  if (rc < 0) GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  EXPECT_EQ(rc, 0);
}

TEST(Shard, MismatchedSidecarIsAnInputError) {
  test::TempDir dir;
  ShardInfo info;
  info.n_voxels = 2;
  info.n_timepoints = 3;
  info.tr_s = 1;
  write_shard(dir / "x.npy", std::vector<float>(6, 1.f), info);
  auto j = read_json(dir / "x.json");
  j["Shape"] = {3, 3};
  write_json(dir / "x.json", j);
  try {
    ShardReader r(dir / "x.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("x.npy: array shape disagrees"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(write_shard(dir / "y.npy", std::vector<float>(5), info), Error);
}

} // namespace dcae::io
