#include <cstdio>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/log.h"
#include "preproc/brain_mask.h"
#include "preproc/motion_correction.h"
#include "sim/simulator.h"
#include "test_data.h"
#include "test_state.h"

namespace dcae::preproc {
namespace {
double dice(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  double both = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) both += a[i] && b[i], na += a[i] != 0, nb += b[i] != 0;
  return 2 * both / (na + nb);
}
} // namespace

// The bars: Dice >= 0.95 at 3 mm and >= 0.93 at 4 mm for the brain estimate before dilation
// (FEAT's rule, 10% of the robust range, also takes in partial-volume voxels at the brain's
// edge; measured 0.954 and 0.945). The pipeline uses the mask dilated once, as FEAT does: a
// whole extra layer, so it is checked only to stay a superset-like cover (measured 0.86 at
// 3 mm, 0.83 at 4 mm). All four numbers are printed.
TEST(BrainMask, MatchesTheSimulatedBrain) {
  const test::LogLevel quiet_log(log::Level::kWarning);
  for (double voxel : {4.0, 3.0}) {
    sim::SimulationConfig c;
    c.voxel_mm = {voxel, voxel, voxel};
    c.grid = {static_cast<std::int64_t>(160 / voxel), static_cast<std::int64_t>(192 / voxel),
              static_cast<std::int64_t>(144 / voxel)};
    c.tr_s = 2.0;
    c.volumes = 30;
    sim::SimulatedRun run = sim::simulate_run(c, 0, 0);
    motion_correct(run.bold, {});
    const auto mean = temporal_mean(run.bold);
    const auto mask = brain_mask(run.bold.header(), mean);
    BrainMaskOptions no_dilation;
    no_dilation.dilations = 0;
    const auto undilated = brain_mask(run.bold.header(), mean, no_dilation);
    const double d = dice(mask, run.brain), d0 = dice(undilated, run.brain);
    std::printf("%.0f mm voxels: Dice %.4f (dilated once, FEAT default), %.4f (no dilation)\n",
                voxel, d, d0);
    EXPECT_GE(d0, voxel == 3.0 ? 0.95 : 0.93) << voxel << " mm, before dilation";
    EXPECT_GT(d, 0.8) << voxel << " mm, dilated once";
  }
}

TEST(BrainMask, CoversTheBrainOfRealEpi) {
  const auto f = test::shared_data() / "epi" / "DCM2NIIX_regression_test_4.nii";
  DCAE_REQUIRE_DATA(f);
  const io::Image img = io::Image::read(f);
  const auto mean = temporal_mean(img);
  const auto mask = brain_mask(img.header(), mean);
  double in = 0, out = 0, n_in = 0;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (mask[i])
      in += mean[i], n_in += 1;
    else
      out += mean[i];
  }
  const double frac = n_in / static_cast<double>(mask.size());
  std::printf("real EPI %lldx%lldx%lld: mask covers %.1f%% of the field of view\n",
              static_cast<long long>(img.nx()), static_cast<long long>(img.ny()),
              static_cast<long long>(img.nz()), 100 * frac);
  EXPECT_GT(frac, 0.10);
  EXPECT_LT(frac, 0.60);
  EXPECT_GT(in / n_in,
            5.0 * out / (static_cast<double>(mask.size()) - n_in)); // bright brain, dark background
  EXPECT_EQ(mask[0], 0);                                            // a corner of the field of view
  EXPECT_EQ(mask[mask.size() - 1], 0);
}

TEST(BrainMask, BlankImageIsAnInputError) {
  io::ImageHeader h;
  h.dim = {8, 8, 8, 1};
  EXPECT_THROW(brain_mask(h, std::vector<float>(512, 0.f)), Error);
}

} // namespace dcae::preproc
