#include <cmath>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "preproc/brain_mask.h"
#include "preproc/tissue.h"
#include "sim/anatomy.h"

namespace dcae::preproc {
namespace {

/// The simulator's head (CSF 1500, GM 1000, WM 750, a ±8% coil field) at `voxel` mm, with
/// the noise of a mean over 100 volumes at tSNR 60.
struct Head {
  sim::Anatomy anatomy;
  io::ImageHeader header;
  std::vector<float> mean;
};

Head head(double voxel) {
  Head h;
  const auto grid = sim::make_grid({static_cast<std::int64_t>(160 / voxel),
                                    static_cast<std::int64_t>(192 / voxel),
                                    static_cast<std::int64_t>(144 / voxel)},
                                   {voxel, voxel, voxel});
  h.anatomy = sim::make_anatomy(grid, 1.0, 7);
  h.header = grid.header();
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.f, 1.f);
  h.mean = h.anatomy.baseline;
  for (auto& v : h.mean) v += v / 60.f / 10.f * noise(rng);
  return h;
}

} // namespace

// The split finds the tissues it is named after: white-matter voxels are mostly white matter
// and CSF voxels mostly CSF (partial volumes at 3-4 mm keep it from being exact).
TEST(Tissue, TheClassesAreTheSimulatedTissues) {
  for (double voxel : {4.0, 3.0}) {
    const Head h = head(voxel);
    const auto brain = brain_mask(h.header, h.mean);
    const TissueMasks t = split_tissues(h.header, h.mean, brain);
    double wm = 0, wm_ok = 0, csf = 0, csf_ok = 0;
    for (std::size_t i = 0; i < brain.size(); ++i) {
      if (t.white_matter[i]) wm += 1, wm_ok += h.anatomy.wm[i] >= 0.5f;
      if (t.csf[i]) csf += 1, csf_ok += h.anatomy.csf[i] >= 0.5f;
      EXPECT_FALSE(t.white_matter[i] && t.csf[i]);
      if (t.white_matter[i] || t.csf[i]) EXPECT_TRUE(brain[i]);
    }
    std::printf("%.0f mm: white matter %.0f voxels (%.1f%% WM), CSF %.0f voxels (%.1f%% CSF); "
                "levels %.0f %.0f %.0f\n",
                voxel, wm, 100 * wm_ok / wm, csf, 100 * csf_ok / csf, t.levels[0], t.levels[1],
                t.levels[2]);
    EXPECT_GT(wm, 50);
    EXPECT_GT(csf, 5);
    EXPECT_GE(wm_ok / wm, 0.9) << voxel << " mm";
    EXPECT_GE(csf_ok / csf, 0.7) << voxel << " mm";
    EXPECT_LT(t.levels[0], t.levels[1]);
    EXPECT_LT(t.levels[1], t.levels[2]);
  }
}

TEST(Tissue, MaskMeanSeries) {
  io::ImageHeader h;
  h.dim = {2, 1, 1, 3};
  io::Image img(h);
  for (int t = 0; t < 3; ++t) img.volume(t)[0] = static_cast<float>(t), img.volume(t)[1] = 10.f;
  const auto s = mask_mean_series(img, {1, 1});
  EXPECT_DOUBLE_EQ(s[2], 6.0);
  EXPECT_TRUE(std::isnan(mask_mean_series(img, {0, 0})[0]));
}

// nilearn's _cosine_drift (what fMRIPrep writes as cosineNN): floor(2 T TR / cutoff) - 1
// orthonormal columns; 160 volumes at TR 2 s with a 100 s cutoff give 5.
TEST(Tissue, CosineBasisAsNilearn) {
  const auto c = cosine_basis(160, 2.0, 100.0);
  ASSERT_EQ(c.size(), 5u);
  EXPECT_NEAR(c[0][0], std::sqrt(2.0 / 160) * std::cos(M_PI / 160 * 0.5), 1e-12);
  for (std::size_t a = 0; a < c.size(); ++a)
    for (std::size_t b = 0; b < c.size(); ++b) {
      double dot = 0;
      for (std::size_t t = 0; t < 160; ++t) dot += c[a][t] * c[b][t];
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-9);
    }
  EXPECT_TRUE(cosine_basis(160, 2.0, 0.0).empty());
}

} // namespace dcae::preproc
