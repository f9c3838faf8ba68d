#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/threads.h"
#include "preproc/temporal_filter.h"

namespace dcae::preproc {
namespace {

/// FSL's algorithm written out plainly, one series at a time, in double precision: for each t,
/// least-squares line through (dt, x[t+dt]) with Gaussian weights; subtract its value at dt=0.
std::vector<double> reference_bptf(const std::vector<double>& x, double sigma) {
  const int n = static_cast<int>(x.size());
  const int half = static_cast<int>(sigma * 3);
  double mean = 0;
  for (double v : x) mean += v;
  mean /= n;
  std::vector<double> y(x.size());
  for (int t = 0; t < n; ++t) {
    // Weighted regression x = a + b·dt: solve the 2×2 normal equations.
    double sw = 0, swd = 0, swdd = 0, swx = 0, swdx = 0;
    for (int d = -half; d <= half; ++d) {
      if (t + d < 0 || t + d >= n) continue;
      const double w = std::exp(-0.5 * d * d / (sigma * sigma));
      sw += w, swd += w * d, swdd += w * d * d, swx += w * x[t + d], swdx += w * d * x[t + d];
    }
    const double det = sw * swdd - swd * swd;
    const double a = (swx * swdd - swd * swdx) / det; // intercept = fitted value at dt = 0
    y[t] = x[t] - a + mean;
  }
  return y;
}

double corr(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= a.size(), mb /= b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma),
        sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

} // namespace

TEST(TemporalFilter, MatchesAnIndependentImplementationOfFslsAlgorithm) {
  const std::int64_t n_series = 2500, n_time = 150; // more than one block of series
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(0, 1);
  std::vector<float> data(static_cast<std::size_t>(n_series * n_time));
  std::vector<std::vector<double>> series(static_cast<std::size_t>(n_series),
                                          std::vector<double>(n_time));
  for (std::int64_t s = 0; s < n_series; ++s)
    for (std::int64_t t = 0; t < n_time; ++t) {
      const double v = 10000 + 30 * g(rng) + 0.8 * t + 50 * std::sin(0.05 * t + s);
      data[static_cast<std::size_t>(t * n_series + s)] = static_cast<float>(v);
      series[static_cast<std::size_t>(s)][static_cast<std::size_t>(t)] = static_cast<float>(v);
    }
  const double sigma = highpass_sigma_volumes(100.0, 2.0); // 25 volumes
  EXPECT_DOUBLE_EQ(sigma, 25.0);
  highpass_filter(data.data(), n_series, n_time, sigma);
  double worst = 0;
  for (std::int64_t s = 0; s < n_series; s += 7) {
    const auto ref = reference_bptf(series[static_cast<std::size_t>(s)], sigma);
    for (std::int64_t t = 0; t < n_time; ++t) {
      const double ours = data[static_cast<std::size_t>(t * n_series + s)];
      worst = std::max(worst, std::fabs(ours - ref[static_cast<std::size_t>(t)]) /
                                  std::fabs(ref[static_cast<std::size_t>(t)]));
    }
  }
  EXPECT_LT(worst, 1e-4);
  EXPECT_LT(worst, 1e-6); // float32 storage is the only difference
}

TEST(TemporalFilter, SinePassesAndLinearDriftIsRemoved) {
  const double tr = 2.0, cutoff = 100.0;
  const std::int64_t n = 300;
  std::vector<float> sine(static_cast<std::size_t>(n)), drift(static_cast<std::size_t>(n));
  std::vector<double> s_in(static_cast<std::size_t>(n));
  for (std::int64_t t = 0; t < n; ++t) {
    s_in[static_cast<std::size_t>(t)] = 100 * std::sin(2 * M_PI * (1.0 / 20.0) * t * tr); // 1/20 Hz
    sine[static_cast<std::size_t>(t)] =
        static_cast<float>(1000 + s_in[static_cast<std::size_t>(t)]);
    drift[static_cast<std::size_t>(t)] = static_cast<float>(1000 + 2.0 * t);
  }
  const double sigma = highpass_sigma_volumes(cutoff, tr);
  highpass_filter(sine.data(), 1, n, sigma);
  highpass_filter(drift.data(), 1, n, sigma);
  // Away from the run's ends (where the local fits are one-sided), the sine passes whole:
  // gain (least-squares slope of output on input) within 2% of 1, correlation > 0.999.
  std::vector<double> in_mid, out_mid;
  for (std::int64_t t = 50; t < 250; ++t) {
    in_mid.push_back(s_in[static_cast<std::size_t>(t)]);
    out_mid.push_back(sine[static_cast<std::size_t>(t)] - 1000.0);
  }
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < in_mid.size(); ++i)
    sxy += in_mid[i] * out_mid[i], sxx += in_mid[i] * in_mid[i];
  EXPECT_NEAR(sxy / sxx, 1.0, 0.02);
  EXPECT_GT(corr(in_mid, out_mid), 0.999);
  // A straight line is fitted exactly by every local line: only the mean remains.
  const double mean = 1000 + 2.0 * (n - 1) / 2.0;
  for (float v : drift) EXPECT_NEAR(v, mean, 1e-3 * mean);
}

TEST(TemporalFilter, ImageVersionUsesTheHeaderTrAndRejectsNoTr) {
  io::ImageHeader h;
  h.dim = {2, 2, 1, 40};
  h.tr_s = 1.0;
  io::Image img(h);
  for (std::int64_t t = 0; t < 40; ++t)
    for (int v = 0; v < 4; ++v) img.volume(t)[v] = static_cast<float>(100 + t);
  highpass_filter(img, 50.0);
  for (float v : img.data()) EXPECT_NEAR(v, 119.5, 1e-3);
  img.header().tr_s = 0.0;
  EXPECT_THROW(highpass_filter(img, 50.0), Error);
}

} // namespace dcae::preproc
