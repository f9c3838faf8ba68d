#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "app/commands.h"
#include "core/error.h"
#include "io/bids_layout.h"
#include "io/nifti.h"
#include "test_data.h"
#include "test_state.h"

namespace fs = std::filesystem;

namespace dcae::app {
namespace {} // namespace

TEST(SimulateCommand, WritesTheRequestedDataset) {
  test::TempDir dir;
  ASSERT_EQ(
      test::call(*make_simulate_command(),
                 {(dir / "ds").string(), "-q", "--subjects", "1", "--runs", "2", "--grid", "20",
                  "24", "18", "--voxel-size", "7", "7", "7", "--tr", "1.5", "--volumes", "40"}),
      0);
  const auto layout = io::BidsLayout::open(dir / "ds");
  ASSERT_EQ(layout.runs().size(), 2u);
  EXPECT_DOUBLE_EQ(*layout.runs()[1].repetition_time_s, 1.5);
  const io::Image img = io::Image::read(layout.runs()[1].bold);
  EXPECT_EQ(img.header().dim, (std::array<std::int64_t, 4>{20, 24, 18, 40}));
  EXPECT_DOUBLE_EQ(img.header().spacing_mm[0], 7.0);
  EXPECT_DOUBLE_EQ(img.header().tr_s, 1.5);
}

TEST(SimulateCommand, BadOptionsFailWithoutOutput) {
  test::TempDir dir;
  testing::internal::CaptureStderr();
  EXPECT_EQ(test::call(*make_simulate_command(), {(dir / "ds").string(), "--volumes", "5"}), 2);
  EXPECT_EQ(test::call(*make_simulate_command(),
                       {(dir / "ds").string(), "--tr", "0.2", "--volumes", "20"}),
            2); // 4 s run
  EXPECT_EQ(test::call(*make_simulate_command(),
                       {(dir / "ds").string(), "--layout", "hcp", "--runs", "3"}),
            2);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("--volumes must be >= 10"), std::string::npos) << err;
  EXPECT_NE(err.find("shorter than 30 s"), std::string::npos) << err;
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(SimulateCommand, ConfigFileIsStrict) {
  test::TempDir dir;
  std::ofstream(dir / "sim.yaml")
      << "subjects: 1\nvolumes: 40\ngrid: [16, 16, 16]\nvoxel_size: [8, 8, 8]\n";
  EXPECT_EQ(test::call(*make_simulate_command(), {(dir / "ds").string(), "-q", "--config",
                                                  (dir / "sim.yaml").string(), "--tr", "2"}),
            0);
  EXPECT_EQ(io::Image::read_header(dir / "ds" / "sub-01" / "func" /
                                   "sub-01_task-motor_run-01_bold.nii.gz")
                .dim[3],
            40);
  std::ofstream(dir / "bad.yaml") << "subject: 1\n";
  testing::internal::CaptureStderr();
  EXPECT_EQ(test::call(*make_simulate_command(),
                       {(dir / "ds2").string(), "--config", (dir / "bad.yaml").string()}),
            2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("bad.yaml:1:1: unknown key 'subject'"),
            std::string::npos);
}

} // namespace dcae::app
