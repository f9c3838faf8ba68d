#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "ps/half.h"

namespace dcae::ps {
namespace {

TEST(Half, ExactValuesRoundTrip) {
  for (const float f : {0.0f, -0.0f, 1.0f, -2.5f, 0.5f, 1024.0f, 65504.0f, -65504.0f,
                        6.103515625e-05f, 5.9604645e-08f}) {
    EXPECT_EQ(half_to_float(float_to_half(f)), f) << f;
  }
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
}

TEST(Half, RoundsToNearestWithinHalfAnUlp) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1000.0f, 1000.0f);
  for (int i = 0; i < 100000; ++i) {
    const float f = u(rng);
    const float back = half_to_float(float_to_half(f));
    EXPECT_LE(std::abs(back - f), std::abs(f) * (1.0f / 2048.0f) + 1e-7f) << f;
  }
  // Ties go to even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048.0f), 0x3c00);
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048.0f), 0x3c02);
}

TEST(Half, SaturatesFiniteOverflowAndKeepsNonFinite) {
  EXPECT_EQ(half_to_float(float_to_half(1e6f)), 65504.0f);
  EXPECT_EQ(half_to_float(float_to_half(-1e6f)), -65504.0f);
  EXPECT_TRUE(std::isinf(half_to_float(float_to_half(std::numeric_limits<float>::infinity()))));
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(half_to_float(float_to_half(1e-9f)), 0.0f);
}

TEST(Half, VectorsConvertLikeScalars) {
  // Long enough for the 8-wide F16C path and a scalar tail, with the special values inside.
  std::vector<float> in{0.1f,
                        -3.3f,
                        7e-6f,
                        123.456f,
                        1e6f,
                        -1e6f,
                        std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity(),
                        65504.0f,
                        1.0f + 1.0f / 2048.0f,
                        5.9604645e-08f,
                        1e-9f,
                        -0.0f,
                        0.5f,
                        2.0f,
                        3.0f,
                        1.0f + 3.0f / 2048.0f};
  std::mt19937 rng(9);
  std::normal_distribution<float> d(0.0f, 100.0f);
  for (int i = 0; i < 1000; ++i) in.push_back(d(rng));
  in.push_back(std::numeric_limits<float>::quiet_NaN());
  std::vector<std::uint16_t> h(in.size());
  std::vector<float> out(in.size());
  encode_half(in.data(), in.size(), h.data());
  decode_half(h.data(), h.size(), out.data());
  for (std::size_t i = 0; i + 1 < in.size(); ++i) {
    EXPECT_EQ(h[i], float_to_half(in[i])) << in[i];
    EXPECT_EQ(out[i], half_to_float(float_to_half(in[i]))) << in[i];
  }
  EXPECT_TRUE(std::isnan(out.back()));
}

} // namespace
} // namespace dcae::ps
