#include <cmath>

#include <gtest/gtest.h>

#include "io/motion_params.h"

namespace dcae::io {

TEST(MotionParams, FramewiseDisplacementPower) {
  std::vector<MotionParams> p = {
      {0, 0, 0, 0, 0, 0}, {0.1, -0.2, 0, 1, 0, 0}, {0.1, -0.2, 0, 1, 0, -1}};
  const auto fd = framewise_displacement(p);
  EXPECT_EQ(fd[0], 0.0);
  EXPECT_NEAR(fd[1], 0.3 + 50.0 * M_PI / 180.0, 1e-12);
  EXPECT_NEAR(fd[2], 50.0 * M_PI / 180.0, 1e-12);
  EXPECT_NEAR(framewise_displacement(p, 80.0)[2], 80.0 * M_PI / 180.0, 1e-12);
}

} // namespace dcae::io
