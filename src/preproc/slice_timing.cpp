#include "preproc/slice_timing.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/threads.h"

namespace dcae::preproc {
namespace {

constexpr int kHalfWidth = 4; ///< kernel half-width (volumes); the window is 0 at ±4
constexpr int kTaps = 2 * kHalfWidth + 1;

/// Weights for samples t-4 … t+4 that interpolate a series at t + shift (shift in volumes,
/// |shift| ≤ ½): sinc(k − shift) · Hanning((k − shift)/4), renormalised to sum 1.
std::array<double, kTaps> sinc_weights(double shift) {
  std::array<double, kTaps> w{};
  double sum = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double d = static_cast<double>(i) - kHalfWidth - shift;
    double v = 0.0;
    if (std::fabs(d) < kHalfWidth) {
      const double sinc = d == 0.0 ? 1.0 : std::sin(M_PI * d) / (M_PI * d);
      v = sinc * 0.5 * (1.0 + std::cos(M_PI * d / kHalfWidth));
    }
    w[i] = v;
    sum += v;
  }
  for (double& v : w) v /= sum;
  return w;
}

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

} // namespace

void slice_timing_correct(io::Image& bold, const std::vector<double>& slice_times_s, int slice_axis,
                          double tr_s) {
  if (slice_axis < 0 || slice_axis > 2) {
    throw usage_error("slice timing: slice axis must be 0, 1 or 2, not " +
                      std::to_string(slice_axis));
  }
  if (!(tr_s > 0) || !std::isfinite(tr_s)) {
    throw usage_error("slice timing: TR must be positive, not " + format_number(tr_s));
  }
  const auto& dim = bold.header().dim;
  const std::int64_t n_slices = dim[static_cast<std::size_t>(slice_axis)];
  if (static_cast<std::int64_t>(slice_times_s.size()) != n_slices) {
    throw usage_error("SliceTiming has " + std::to_string(slice_times_s.size()) +
                      " entries, the image has " + std::to_string(n_slices) +
                      " slices along axis " + std::to_string(slice_axis));
  }
  for (std::size_t s = 0; s < slice_times_s.size(); ++s) {
    const double st = slice_times_s[s];
    if (!std::isfinite(st) || st < 0.0 || st >= tr_s) {
      throw usage_error("SliceTiming entry " + std::to_string(s) + " is " + format_number(st) +
                        " s, outside [0, TR = " + format_number(tr_s) + " s)");
    }
  }
  const std::int64_t nt = bold.nt();
  if (nt < 2) return;

  const std::int64_t vpv = bold.header().voxels_per_volume();
  // Voxels of one slice: the two in-plane axes, `a` the faster-varying one in memory.
  const int a = slice_axis == 0 ? 1 : 0;
  const int b = slice_axis == 2 ? 1 : 2;
  const std::array<std::int64_t, 3> stride{1, dim[0], dim[0] * dim[1]};
  const std::int64_t na = dim[static_cast<std::size_t>(a)], nb = dim[static_cast<std::size_t>(b)];
  float* data = bold.data().data();

  parallel_for(0, n_slices, [&](std::int64_t s) {
    // Sample t of this slice sits at t·TR + st; the target t·TR + TR/2 is sample t + shift.
    const double shift = 0.5 - slice_times_s[static_cast<std::size_t>(s)] / tr_s;
    if (shift == 0.0) return; // the kernel is exactly the identity
    const auto w = sinc_weights(shift);
    std::vector<double> series(static_cast<std::size_t>(nt));
    for (std::int64_t ib = 0; ib < nb; ++ib)
      for (std::int64_t ia = 0; ia < na; ++ia) {
        float* voxel = data + s * stride[static_cast<std::size_t>(slice_axis)] +
                       ib * stride[static_cast<std::size_t>(b)] +
                       ia * stride[static_cast<std::size_t>(a)];
        for (std::int64_t t = 0; t < nt; ++t) {
          series[static_cast<std::size_t>(t)] = voxel[t * vpv];
        }
        for (std::int64_t t = 0; t < nt; ++t) {
          double v = 0.0;
          for (std::size_t i = 0; i < w.size(); ++i) {
            const auto tt =
                std::clamp<std::int64_t>(t + static_cast<std::int64_t>(i) - kHalfWidth, 0, nt - 1);
            v += w[i] * series[static_cast<std::size_t>(tt)];
          }
          voxel[t * vpv] = static_cast<float>(v);
        }
      }
  });
}

} // namespace dcae::preproc
