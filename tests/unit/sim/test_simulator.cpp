#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/log.h"
#include "core/threads.h"
#include "io/bids_layout.h"
#include "io/json.h"
#include "sim/simulator.h"
#include "test_data.h"
#include "test_state.h"

namespace fs = std::filesystem;

namespace dcae::sim {
namespace {

SimulationConfig small_config() {
  SimulationConfig c;
  c.subjects = 1;
  c.grid = {24, 28, 22};
  c.voxel_mm = {6, 6, 6};
  c.tr_s = 2.0;
  c.volumes = 80;
  return c;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

} // namespace

TEST(Simulator, SameSeedSameDataWhateverTheThreadCount) {
  const SimulationConfig c = small_config();
  set_thread_count(1);
  const SimulatedRun a = simulate_run(c, 0, 0);
  set_thread_count(2);
  const SimulatedRun b = simulate_run(c, 0, 0);
  set_thread_count(0);
  EXPECT_EQ(a.bold.data(), b.bold.data());
  SimulationConfig other = c;
  other.seed = 2;
  EXPECT_NE(simulate_run(other, 0, 0).bold.data(), a.bold.data());
  EXPECT_NE(simulate_run(c, 0, 1).bold.data(), a.bold.data()); // another run
}

TEST(Simulator, TemporalSnrMatchesTheRequest) {
  SimulationConfig c = small_config();
  c.motion_mm = c.motion_deg = 0;
  c.signal_pct = 0;
  c.drift_pct = 0;
  c.tsnr = 50;
  const SimulatedRun r = simulate_run(c, 0, 0);
  const auto nvox = static_cast<std::size_t>(r.bold.header().voxels_per_volume());
  std::vector<double> tsnr;
  for (std::size_t v = 0; v < nvox; ++v) {
    if (!r.brain[v]) continue;
    double m = 0, s = 0;
    for (std::int64_t t = 0; t < c.volumes; ++t) m += r.bold.volume(t)[v];
    m /= static_cast<double>(c.volumes);
    if (m < 900 || m > 1100) continue; // grey-matter-like voxels
    for (std::int64_t t = 0; t < c.volumes; ++t) s += std::pow(r.bold.volume(t)[v] - m, 2);
    tsnr.push_back(m / std::sqrt(s / static_cast<double>(c.volumes - 1)));
  }
  ASSERT_GT(tsnr.size(), 50u);
  std::nth_element(tsnr.begin(), tsnr.begin() + static_cast<std::ptrdiff_t>(tsnr.size() / 2),
                   tsnr.end());
  EXPECT_NEAR(tsnr[tsnr.size() / 2], 50.0, 5.0);
}

TEST(Simulator, TaskNetworkVoxelsFollowTheirRegressor) {
  SimulationConfig c = small_config();
  c.motion_mm = c.motion_deg = 0;
  c.drift_pct = 0;
  c.volumes = 120;
  const SimulatedRun r = simulate_run(c, 0, 0);
  const auto& net = r.networks[1]; // lh
  ASSERT_EQ(net.condition, "lh");
  // The mean signal of the network's core follows its HRF-convolved regressor, not another's.
  std::vector<double> series(static_cast<std::size_t>(c.volumes), 0.0);
  std::size_t core = 0;
  for (std::size_t v = 0; v < net.map.size(); ++v) {
    if (net.map[v] < 0.5f) continue;
    ++core;
    for (std::int64_t t = 0; t < c.volumes; ++t)
      series[static_cast<std::size_t>(t)] += r.bold.volume(t)[v];
  }
  ASSERT_GT(core, 3u);
  EXPECT_GT(pearson(series, r.network_timecourses[1]), 0.8);
  EXPECT_LT(std::fabs(pearson(series, r.network_timecourses[3])), 0.3); // rh: other hemisphere
}

TEST(Simulator, SliceTimesFollowTheOrder) {
  EXPECT_EQ(slice_times(SliceOrder::kNone, 4, 2.0).size(), 0u);
  EXPECT_EQ(slice_times(SliceOrder::kAscending, 4, 2.0), (std::vector<double>{0, 0.5, 1.0, 1.5}));
  EXPECT_EQ(slice_times(SliceOrder::kDescending, 4, 2.0), (std::vector<double>{1.5, 1.0, 0.5, 0}));
  EXPECT_EQ(slice_times(SliceOrder::kInterleaved, 5, 2.5),
            (std::vector<double>{0, 1.5, 0.5, 2.0, 1.0}));
}

TEST(Simulator, InvalidConfigurationsAreUsageErrors) {
  SimulationConfig c = small_config();
  c.volumes = 5;
  EXPECT_THROW(validate(c), Error);
  c = small_config();
  c.layout = Layout::kHcp;
  c.runs = 3;
  EXPECT_THROW(validate(c), Error);
  c = small_config();
  c.task = "motor task";
  EXPECT_THROW(validate(c), Error);
}

TEST(Simulator, BidsDatasetIsCompleteAndListsItself) {
  test::TempDir dir;
  SimulationConfig c = small_config();
  c.subjects = 2;
  c.runs = 2;
  c.slice_order = SliceOrder::kInterleaved;
  const test::LogLevel quiet_log(log::Level::kWarning);
  simulate_dataset(c, dir / "ds");
  const auto layout = io::BidsLayout::open(dir / "ds");
  EXPECT_EQ(layout.subjects(), (std::vector<std::string>{"01", "02"}));
  EXPECT_EQ(layout.tasks(), (std::vector<std::string>{"motor"}));
  ASSERT_EQ(layout.runs().size(), 4u);
  const auto& run = layout.runs()[0];
  EXPECT_DOUBLE_EQ(*run.repetition_time_s, 2.0);
  EXPECT_EQ(run.slice_timing_s.size(), 22u);
  ASSERT_TRUE(run.events.has_value());
  const io::Image bold = io::Image::read(run.bold);
  EXPECT_EQ(bold.header().dim, (std::array<std::int64_t, 4>{24, 28, 22, 80}));
  EXPECT_EQ(bold.header().stored_datatype, "INT16");
  const fs::path gt = dir / "ds" / "derivatives" / "groundtruth" / "sub-01" / "func";
  EXPECT_TRUE(fs::exists(gt / "sub-01_task-motor_run-01_desc-groundtruth_timeseries.tsv"));
  EXPECT_TRUE(fs::exists(gt / "sub-01_task-motor_run-02_desc-brain_mask.nii.gz"));
  const io::Image maps =
      io::Image::read(gt / "sub-01_task-motor_run-01_desc-groundtruth_components.nii.gz");
  EXPECT_EQ(maps.nt(), 8);
  EXPECT_EQ(
      io::read_json(gt / "sub-01_task-motor_run-01_desc-groundtruth_components.json")["Networks"]
          .size(),
      8u);
  // No temporary folder is left beside the dataset.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  // Refuses to overwrite without being told, and leaves the old dataset intact.
  EXPECT_THROW(simulate_dataset(c, dir / "ds"), Error);
  EXPECT_TRUE(fs::exists(dir / "ds" / "dataset_description.json"));
}

TEST(Simulator, HcpLayoutHasEvsAndMovementRegressors) {
  test::TempDir dir;
  SimulationConfig c = small_config();
  c.layout = Layout::kHcp;
  c.runs = 2;
  const test::LogLevel quiet_log(log::Level::kWarning);
  simulate_dataset(c, dir / "hcp");
  const fs::path run = dir / "hcp" / "100001" / "MNINonLinear" / "Results" / "tfMRI_MOTOR_RL";
  EXPECT_TRUE(fs::exists(run / "tfMRI_MOTOR_RL.nii.gz"));
  for (const char* ev : {"cue", "lf", "lh", "rf", "rh", "t"})
    EXPECT_TRUE(fs::exists(run / "EVs" / (std::string(ev) + ".txt"))) << ev;
  EXPECT_TRUE(fs::exists(run / "Movement_Regressors.txt"));
  EXPECT_TRUE(fs::exists(dir / "hcp" / "groundtruth" / "100001" / "tfMRI_MOTOR_LR" /
                         "tfMRI_MOTOR_LR_desc-groundtruth_timeseries.tsv"));
}

} // namespace dcae::sim
