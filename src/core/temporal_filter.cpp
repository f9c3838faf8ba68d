#include "core/temporal_filter.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/threads.h"

namespace dcae {
namespace {

/// The filter over time-major data of any floating type; see the header.
template <typename Value>
void filter_time_major(Value* data, std::int64_t n_series, std::int64_t n_time, double sigma) {
  if (!(sigma > 0)) throw usage_error("high-pass filter: sigma must be positive");
  if (n_time < 2 || n_series <= 0) return;
  // FSL: half-width int(3σ), weights exp(−½ dt²/σ²).
  const auto half = static_cast<std::int64_t>(sigma * 3.0);
  std::vector<double> w(static_cast<std::size_t>(2 * half + 1));
  for (std::int64_t d = -half; d <= half; ++d) {
    w[static_cast<std::size_t>(d + half)] = std::exp(-0.5 * double(d * d) / (sigma * sigma));
  }
  // The fit's scalars (A = Σw·dt, C = Σw·dt², N = Σw) depend only on t and the run's ends,
  // so each block of series needs only B = Σw·x and D = Σw·dt·x: contiguous, vectorisable.
  constexpr std::int64_t kBlock = 1024;
  const std::int64_t n_blocks = (n_series + kBlock - 1) / kBlock;
  parallel_for(0, n_blocks, [&](std::int64_t b) {
    const std::int64_t s0 = b * kBlock, ns = std::min(kBlock, n_series - s0);
    std::vector<double> x(static_cast<std::size_t>(n_time * ns));
    for (std::int64_t t = 0; t < n_time; ++t)
      for (std::int64_t s = 0; s < ns; ++s) {
        x[static_cast<std::size_t>(t * ns + s)] = data[t * n_series + s0 + s];
      }
    std::vector<double> mean(static_cast<std::size_t>(ns), 0.0), B(static_cast<std::size_t>(ns)),
        D(static_cast<std::size_t>(ns));
    for (std::int64_t t = 0; t < n_time; ++t)
      for (std::int64_t s = 0; s < ns; ++s)
        mean[static_cast<std::size_t>(s)] += x[static_cast<std::size_t>(t * ns + s)];
    for (double& m : mean) m /= static_cast<double>(n_time);
    for (std::int64_t t = 0; t < n_time; ++t) {
      double A = 0, C = 0, N = 0;
      std::fill(B.begin(), B.end(), 0.0);
      std::fill(D.begin(), D.end(), 0.0);
      const std::int64_t lo = std::max<std::int64_t>(t - half, 0);
      const std::int64_t hi = std::min<std::int64_t>(t + half, n_time - 1);
      for (std::int64_t tt = lo; tt <= hi; ++tt) {
        const double dt = static_cast<double>(tt - t);
        const double wt = w[static_cast<std::size_t>(tt - t + half)];
        A += wt * dt;
        C += wt * dt * dt;
        N += wt;
        const double* xt = &x[static_cast<std::size_t>(tt * ns)];
        const double wdt = wt * dt;
        for (std::int64_t s = 0; s < ns; ++s) {
          B[static_cast<std::size_t>(s)] += wt * xt[s];
          D[static_cast<std::size_t>(s)] += wdt * xt[s];
        }
      }
      const double denom = C * N - A * A;
      Value* out = data + t * n_series + s0;
      const double* xt = &x[static_cast<std::size_t>(t * ns)];
      for (std::int64_t s = 0; s < ns; ++s) {
        const auto ss = static_cast<std::size_t>(s);
        const double fit = denom != 0.0 ? (B[ss] * C - A * D[ss]) / denom : xt[s];
        out[s] = static_cast<Value>(xt[s] - fit + mean[ss]);
      }
    }
  });
}

} // namespace

double highpass_sigma_volumes(double cutoff_s, double tr_s) {
  if (!(cutoff_s > 0) || !(tr_s > 0)) {
    throw usage_error("high-pass filter: cutoff and TR must be positive");
  }
  return cutoff_s / (2.0 * tr_s);
}

void highpass_filter(float* data, std::int64_t n_series, std::int64_t n_time, double sigma) {
  filter_time_major(data, n_series, n_time, sigma);
}

std::vector<double> highpass_filter(const std::vector<double>& series, double sigma) {
  std::vector<double> out = series;
  filter_time_major(out.data(), 1, static_cast<std::int64_t>(out.size()), sigma);
  return out;
}

} // namespace dcae
