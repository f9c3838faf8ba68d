#include <numeric>

#include <gtest/gtest.h>

#include "sim/anatomy.h"

namespace dcae::sim {

TEST(Anatomy, BrainShapedWithTissueContrast) {
  const Grid g = make_grid({40, 48, 36}, {4, 4, 4});
  const Anatomy a = make_anatomy(g, 1.0, 7);
  const double brain_ml = std::accumulate(a.brain.begin(), a.brain.end(), 0.0) * 64.0 / 1000.0;
  // An ellipsoid of 140x170x120 mm holds about 1500 ml.
  EXPECT_GT(brain_ml, 1200);
  EXPECT_LT(brain_ml, 1700);
  double gm = 0, wm = 0, csf = 0, sgm = 0, swm = 0;
  for (std::size_t v = 0; v < a.brain.size(); ++v) {
    gm += a.gm[v], wm += a.wm[v], csf += a.csf[v];
    if (a.gm[v] > 0.99) sgm += a.baseline[v] > 0 ? 1 : 0;
    if (a.wm[v] > 0.99) swm += 1;
    if (!a.brain[v]) {
      EXPECT_LT(a.gm[v] + a.wm[v] + a.csf[v], 0.5f);
    }
  }
  EXPECT_GT(gm, 0.25 * (gm + wm + csf)); // a cortical ribbon
  EXPECT_GT(wm, 0.3 * (gm + wm + csf));
  EXPECT_GT(csf, 0.0); // ventricles
  EXPECT_GT(sgm, 0);
  EXPECT_GT(swm, 0);
  // EPI contrast: CSF > GM > WM at the centre of each tissue.
  auto mean_of = [&](const std::vector<float>& frac) {
    double s = 0, n = 0;
    for (std::size_t v = 0; v < frac.size(); ++v)
      if (frac[v] > 0.99) s += a.baseline[v], n += 1;
    return s / n;
  };
  EXPECT_GT(mean_of(a.csf), mean_of(a.gm));
  EXPECT_GT(mean_of(a.gm), mean_of(a.wm));
}

TEST(Anatomy, ShrinksToFitSmallFieldOfView) {
  const Grid g = make_grid({16, 16, 16}, {4, 4, 4});
  const Anatomy a = make_anatomy(g, 1.0, 1);
  for (std::size_t d = 0; d < 3; ++d) EXPECT_LE(a.semi_axes_mm[d], 0.43 * 64 + 1e-9);
  // Nothing of the brain touches the grid border.
  for (std::int64_t k = 0; k < 16; ++k)
    for (std::int64_t j = 0; j < 16; ++j)
      EXPECT_EQ(a.brain[static_cast<std::size_t>(16 * (j + 16 * k))], 0);
}

TEST(Anatomy, NetworksLieInTheBrainWithUnitPeak) {
  const Grid g = make_grid({40, 48, 36}, {4, 4, 4});
  const Anatomy a = make_anatomy(g, 1.0, 3);
  const auto nets = make_networks(a, 3);
  ASSERT_EQ(nets.size(), 8u);
  for (const auto& n : nets) {
    float peak = 0;
    std::size_t active = 0;
    for (std::size_t v = 0; v < n.map.size(); ++v) {
      if (!a.brain[v]) {
        EXPECT_EQ(n.map[v], 0.f);
      }
      peak = std::max(peak, n.map[v]);
      active += n.map[v] > 0.5f;
    }
    EXPECT_FLOAT_EQ(peak, 1.f) << n.name;
    EXPECT_GT(active, 3u) << n.name;
  }
  EXPECT_EQ(nets[0].condition, "lf");
  EXPECT_EQ(nets[5].condition, "cue");
  EXPECT_EQ(nets[6].condition, "");
  // Left-body movements activate the right hemisphere (x > 0 in RAS).
  EXPECT_GT(nets[0].centres_mm[0][0], 0);
  EXPECT_LT(nets[3].centres_mm[0][0], 0);
}

} // namespace dcae::sim
