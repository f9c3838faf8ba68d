#include <cmath>

#include <gtest/gtest.h>

#include "sim/motion.h"

namespace dcae::sim {

TEST(Motion, TrajectoryIsRelativeToMiddleAndBounded) {
  std::mt19937_64 rng(11);
  const auto p = simulate_motion(101, 2.0, 1.5, 0, rng);
  ASSERT_EQ(p.size(), 101u);
  for (double v : p[50]) EXPECT_EQ(v, 0.0);
  double max_t = 0, max_r = 0;
  for (const auto& row : p) {
    for (int a = 0; a < 3; ++a) max_t = std::max(max_t, std::fabs(row[a]));
    for (int a = 3; a < 6; ++a) max_r = std::max(max_r, std::fabs(row[a]));
  }
  EXPECT_GT(max_t, 0.3);
  EXPECT_LT(max_t, 2.0 * 1.6 + 1e-9); // ±0.8·scale, relative to the middle: at most 1.6·scale
  EXPECT_GT(max_r, 0.2);
  EXPECT_LT(max_r, 1.5 * 1.6 + 1e-9);
}

TEST(Motion, RigidMatrixFollowsItkEulerConvention) {
  const std::array<double, 3> c{10, -5, 3};
  const io::Matrix4 id = rigid_matrix({0, 0, 0, 0, 0, 0}, c);
  for (int r = 0; r < 4; ++r)
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(id[r][k], r == k ? 1 : 0, 1e-15);
  // 90° about z maps x to y; the centre stays fixed; translation adds.
  const io::Matrix4 m = rigid_matrix({1, 2, 3, 0, 0, 90}, c);
  EXPECT_NEAR(m[1][0], 1.0, 1e-12);
  EXPECT_NEAR(m[0][1], -1.0, 1e-12);
  for (int r = 0; r < 3; ++r) {
    const double y = m[r][0] * c[0] + m[r][1] * c[1] + m[r][2] * c[2] + m[r][3];
    EXPECT_NEAR(y, c[r] + (r + 1), 1e-12);
  }
  // R = Rz·Rx·Ry: with rx = ry = 90°, the x axis goes to Rz·Rx·(0,0,-1) = (0, 1, 0)?
  const io::Matrix4 q = rigid_matrix({0, 0, 0, 90, 90, 0}, {0, 0, 0});
  EXPECT_NEAR(q[0][0], 0, 1e-12);
  EXPECT_NEAR(q[1][0], 1, 1e-12); // Ry: x → (0,0,-1)·... then Rx: (0,0,-1) → (0,1,0)
  EXPECT_NEAR(q[2][0], 0, 1e-12);
}

TEST(Motion, ResampleByWholeVoxelShiftsTheImage) {
  const Grid g = make_grid({8, 8, 8}, {2, 2, 2});
  std::vector<float> in(512, 0.f), out(512);
  in[3 + 8 * (4 + 8 * 5)] = 10.f;
  // Translating the object +2 mm in x (one voxel) moves the bright voxel to i = 4.
  resample_rigid(g, in.data(), rigid_matrix({2, 0, 0, 0, 0, 0}, {0, 0, 0}), out.data());
  EXPECT_NEAR(out[4 + 8 * (4 + 8 * 5)], 10.f, 1e-5);
  EXPECT_NEAR(out[3 + 8 * (4 + 8 * 5)], 0.f, 1e-5);
  // Half a voxel: the two neighbours get the same share, more than any other voxel.
  resample_rigid(g, in.data(), rigid_matrix({1, 0, 0, 0, 0, 0}, {0, 0, 0}), out.data());
  EXPECT_NEAR(out[3 + 8 * (4 + 8 * 5)], out[4 + 8 * (4 + 8 * 5)], 1e-5);
  EXPECT_GT(out[3 + 8 * (4 + 8 * 5)], 5.f);
  EXPECT_LT(out[2 + 8 * (4 + 8 * 5)], 0.f); // the sinc's negative lobe
}

TEST(Motion, ResamplingKeepsBandLimitedImagesSharp) {
  // A scanner's image of a moved head is the moved object sampled again, with no blur that
  // depends on the shift: a smooth pattern shifted by a fraction of a voxel keeps its contrast.
  const Grid g = make_grid({32, 8, 8}, {2, 2, 2});
  std::vector<float> in(static_cast<std::size_t>(g.voxels())), out(in.size());
  auto wave = [](double i) {
    return 100.0 + 10.0 * std::sin(2 * M_PI * i / 6.0);
  }; // 3 voxels per half period
  for (std::int64_t k = 0; k < 8; ++k)
    for (std::int64_t j = 0; j < 8; ++j)
      for (std::int64_t i = 0; i < 32; ++i)
        in[static_cast<std::size_t>(i + 32 * (j + 8 * k))] = static_cast<float>(wave(i));
  resample_rigid(g, in.data(), rigid_matrix({1, 0, 0, 0, 0, 0}, {0, 0, 0}),
                 out.data()); // half a voxel
  double worst = 0;
  for (std::int64_t i = 8; i < 24; ++i) { // away from the edges (0 outside)
    const double expected = wave(static_cast<double>(i) - 0.5);
    worst =
        std::max(worst, std::fabs(out[static_cast<std::size_t>(i + 32 * (4 + 8 * 4))] - expected));
  }
  // Trilinear interpolation is off by 10·(1 − cos(π/6)) ≈ 1.3 here; Lanczos-3 by far less.
  EXPECT_LT(worst, 0.3);
}

} // namespace dcae::sim
