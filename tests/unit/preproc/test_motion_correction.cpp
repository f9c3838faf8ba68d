#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/log.h"
#include "preproc/motion_correction.h"
#include "sim/simulator.h"
#include "test_state.h"

namespace dcae::preproc {
namespace {

struct Rms {
  double trans = 0, rot = 0;
};

/// RMS over volumes and axes of estimated − true parameters.
Rms rms_error(const std::vector<RigidParams>& est, const std::vector<io::MotionParams>& truth) {
  Rms r;
  for (std::size_t t = 0; t < est.size(); ++t)
    for (std::size_t a = 0; a < 6; ++a) {
      const double d = est[t][a] - truth[t][a];
      (a < 3 ? r.trans : r.rot) += d * d;
    }
  const double n = 3.0 * static_cast<double>(est.size());
  r.trans = std::sqrt(r.trans / n);
  r.rot = std::sqrt(r.rot / n);
  return r;
}

sim::SimulationConfig motion_config(double voxel_mm) {
  sim::SimulationConfig c;
  c.voxel_mm = {voxel_mm, voxel_mm, voxel_mm};
  const auto n = static_cast<std::int64_t>(std::round(160.0 / voxel_mm));
  c.grid = {n, static_cast<std::int64_t>(std::round(192.0 / voxel_mm)),
            static_cast<std::int64_t>(std::round(144.0 / voxel_mm))};
  c.tr_s = 2.0;
  c.volumes = 40;
  c.motion_mm = 2.0;
  c.motion_deg = 2.0;
  return c;
}

} // namespace

TEST(MotionCorrection, RecoversSimulatedMotionAt4mm) {
  const test::LogLevel quiet_log(log::Level::kWarning);
  const sim::SimulationConfig c = motion_config(4.0);
  sim::SimulatedRun run = sim::simulate_run(c, 0, 0);
  const MotionCorrectionResult res = motion_correct(run.bold, {});
  ASSERT_EQ(res.params.size(), 40u);
  EXPECT_EQ(res.reference_index, 20);
  double peak = 0;
  for (const auto& p : run.motion)
    for (double v : p) peak = std::max(peak, std::fabs(v));
  EXPECT_GT(peak, 1.0); // the run really moves
  const Rms e = rms_error(res.params, run.motion);
  EXPECT_LE(e.trans, 0.1) << "translation RMS error (mm)";
  EXPECT_LE(e.rot, 0.1) << "rotation RMS error (degrees)";
  RecordProperty("trans_rms_mm", std::to_string(e.trans));
  RecordProperty("rot_rms_deg", std::to_string(e.rot));
  std::printf("4 mm: translation RMS %.4f mm, rotation RMS %.4f deg\n", e.trans, e.rot);
}

TEST(MotionCorrection, RecoversSimulatedMotionAt3mm) {
  const test::LogLevel quiet_log(log::Level::kWarning);
  sim::SimulationConfig c = motion_config(3.0);
  c.volumes = 16;
  sim::SimulatedRun run = sim::simulate_run(c, 0, 1);
  const MotionCorrectionResult res = motion_correct(run.bold, {});
  const Rms e = rms_error(res.params, run.motion);
  EXPECT_LE(e.trans, 0.1);
  EXPECT_LE(e.rot, 0.1);
  std::printf("3 mm: translation RMS %.4f mm, rotation RMS %.4f deg\n", e.trans, e.rot);
}

TEST(MotionCorrection, CorrectedRunIsStillerThanTheInput) {
  const test::LogLevel quiet_log(log::Level::kWarning);
  sim::SimulationConfig c = motion_config(4.0);
  c.volumes = 16;
  sim::SimulatedRun run = sim::simulate_run(c, 0, 0);
  const io::Image before = run.bold;
  motion_correct(run.bold, {});
  // Mean squared difference from the reference volume drops after correction.
  auto msd = [&](const io::Image& img) {
    double s = 0;
    const auto nvox = img.header().voxels_per_volume();
    for (std::int64_t t = 0; t < img.nt(); ++t)
      for (std::int64_t v = 0; v < nvox; ++v)
        s += std::pow(img.volume(t)[v] - before.volume(8)[v], 2);
    return s;
  };
  EXPECT_LT(msd(run.bold), 0.5 * msd(before));
}

TEST(MotionCorrection, BadReferenceIndexIsAUsageError) {
  io::ImageHeader h;
  h.dim = {8, 8, 8, 3};
  h.tr_s = 1;
  io::Image img(h);
  MotionCorrectionOptions o;
  o.reference = ReferenceMode::kIndex;
  o.reference_index = 5;
  EXPECT_THROW(motion_correct(img, o), Error);
  h.dim[3] = 1;
  io::Image vol(h);
  EXPECT_THROW(motion_correct(vol, {}), Error);
}

} // namespace dcae::preproc
