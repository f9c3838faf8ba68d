#include "preproc/intensity.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/threads.h"

namespace dcae::preproc {
namespace {

/// Linear in-volume indices of the mask's voxels, in NIfTI order. Throws usage_error for a
/// mask of the wrong size or with no voxels (`what` names the step).
std::vector<std::int64_t> mask_indices(const io::Image& bold, const std::vector<std::uint8_t>& mask,
                                       const char* what) {
  const std::int64_t vpv = bold.header().voxels_per_volume();
  if (static_cast<std::int64_t>(mask.size()) != vpv) {
    throw usage_error(std::string(what) + ": the mask has " + std::to_string(mask.size()) +
                      " voxels, the image has " + std::to_string(vpv) + " per volume");
  }
  std::vector<std::int64_t> idx;
  for (std::int64_t v = 0; v < vpv; ++v) {
    if (mask[static_cast<std::size_t>(v)] != 0) idx.push_back(v);
  }
  if (idx.empty()) throw usage_error(std::string(what) + ": the mask is empty");
  return idx;
}

/// Order-preserving map of a (non-NaN) float to an unsigned integer, and its inverse.
std::uint32_t float_key(float v) {
  std::uint32_t u = 0;
  std::memcpy(&u, &v, sizeof u);
  return (u & 0x80000000u) != 0 ? ~u : (u | 0x80000000u);
}
float key_float(std::uint32_t k) {
  const std::uint32_t u = (k & 0x80000000u) != 0 ? (k & 0x7FFFFFFFu) : ~k;
  float v = 0;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

/// Number of finite in-mask values of the whole run.
std::int64_t count_finite(const io::Image& bold, const std::vector<std::int64_t>& idx) {
  std::vector<std::int64_t> per_volume(static_cast<std::size_t>(bold.nt()), 0);
  parallel_for(0, bold.nt(), [&](std::int64_t t) {
    const float* vol = bold.volume(t);
    std::int64_t n = 0;
    for (const std::int64_t v : idx) n += std::isfinite(vol[v]) ? 1 : 0;
    per_volume[static_cast<std::size_t>(t)] = n;
  });
  std::int64_t n = 0;
  for (const std::int64_t c : per_volume) n += c;
  return n;
}

/// The `rank`-th smallest (0-based, < count_finite) finite in-mask value of the whole run, by
/// radix selection on float_key: three passes over the data (11, 11 and 10 bits of the key),
/// each counting only the values that share the bits already fixed. Exact; memory is one
/// small histogram per chunk of volumes.
float select_in_mask(const io::Image& bold, const std::vector<std::int64_t>& idx,
                     std::int64_t rank) {
  const std::int64_t nt = bold.nt();
  const std::int64_t n_chunks = std::min<std::int64_t>(nt, 4 * std::int64_t{thread_count()});
  constexpr std::array<int, 3> kShift{21, 10, 0};
  constexpr std::array<int, 3> kBits{11, 11, 10};
  std::uint32_t prefix = 0, known = 0;
  for (std::size_t pass = 0; pass < kShift.size(); ++pass) {
    const int shift = kShift[pass];
    const std::uint32_t digit_mask = (1u << kBits[pass]) - 1u;
    const std::size_t n_buckets = std::size_t{1} << kBits[pass];
    std::vector<std::vector<std::int64_t>> hist(static_cast<std::size_t>(n_chunks));
    parallel_for(0, n_chunks, [&](std::int64_t c) {
      auto& h = hist[static_cast<std::size_t>(c)];
      h.assign(n_buckets, 0);
      for (std::int64_t t = c * nt / n_chunks; t < (c + 1) * nt / n_chunks; ++t) {
        const float* vol = bold.volume(t);
        for (const std::int64_t v : idx) {
          const float x = vol[v];
          if (!std::isfinite(x)) continue;
          const std::uint32_t key = float_key(x);
          if ((key & known) == prefix) ++h[(key >> shift) & digit_mask];
        }
      }
    });
    std::vector<std::int64_t> total(n_buckets, 0);
    for (const auto& h : hist)
      for (std::size_t i = 0; i < n_buckets; ++i) total[i] += h[i];
    std::size_t bucket = 0;
    while (bucket + 1 < n_buckets && rank >= total[bucket]) rank -= total[bucket++];
    prefix |= static_cast<std::uint32_t>(bucket) << shift;
    known |= digit_mask << shift;
  }
  return key_float(prefix);
}

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

} // namespace

double grand_mean_scale(io::Image& bold, const std::vector<std::uint8_t>& mask, double target) {
  if (!(target > 0) || !std::isfinite(target)) {
    throw usage_error("grand-mean scaling: the target must be positive, not " +
                      format_number(target));
  }
  const auto idx = mask_indices(bold, mask, "grand-mean scaling");
  const std::int64_t n = count_finite(bold, idx);
  if (n == 0) throw input_error("grand-mean scaling: no finite value inside the mask");
  double median = select_in_mask(bold, idx, (n - 1) / 2);
  if (n % 2 == 0) median = 0.5 * (median + double(select_in_mask(bold, idx, n / 2)));
  if (!(median > 0)) {
    throw input_error("grand-mean scaling: the median in-mask intensity is " +
                      format_number(median) + "; it must be positive");
  }
  const double factor = target / median;
  const std::int64_t vpv = bold.header().voxels_per_volume();
  parallel_for(0, bold.nt(), [&](std::int64_t t) {
    float* vol = bold.volume(t);
    for (std::int64_t v = 0; v < vpv; ++v) vol[v] = static_cast<float>(double(vol[v]) * factor);
  });
  return factor;
}

std::vector<double> dvars(const io::Image& bold, const std::vector<std::uint8_t>& mask) {
  const auto idx = mask_indices(bold, mask, "DVARS");
  const std::int64_t nt = bold.nt();
  std::vector<double> out(static_cast<std::size_t>(std::max<std::int64_t>(nt, 0)), 0.0);
  parallel_for(1, nt, [&](std::int64_t t) {
    const float* cur = bold.volume(t);
    const float* prev = bold.volume(t - 1);
    double sum = 0.0;
    for (const std::int64_t v : idx) {
      const double d = double(cur[v]) - double(prev[v]);
      sum += d * d;
    }
    out[static_cast<std::size_t>(t)] = std::sqrt(sum / static_cast<double>(idx.size()));
  });
  return out;
}

ShardData extract_shard(const io::Image& bold, const std::vector<std::uint8_t>& mask,
                        const NuisanceBasis* nuisance) {
  const auto idx = mask_indices(bold, mask, "shard extraction");
  const std::int64_t nt = bold.nt();
  if (nt < 2) {
    throw input_error("shard extraction: the image has " + std::to_string(nt) +
                      " volume(s); z-scoring needs at least 2");
  }
  const std::int64_t nx = bold.nx(), ny = bold.ny();
  const auto n_vox = static_cast<std::int64_t>(idx.size());
  ShardData out;
  out.info.n_voxels = n_vox;
  out.info.n_timepoints = nt;
  out.info.tr_s = bold.header().tr_s;
  out.info.grid = {nx, ny, bold.nz()};
  out.info.voxel_ijk.resize(idx.size());
  out.data.resize(static_cast<std::size_t>(n_vox * nt));

  constexpr std::int64_t kBlock = 256;
  std::atomic<std::int64_t> n_constant{0};
  parallel_for(0, (n_vox + kBlock - 1) / kBlock, [&](std::int64_t b) {
    std::int64_t constant_here = 0;
    std::vector<double> residual;
    for (std::int64_t r = b * kBlock; r < std::min(n_vox, (b + 1) * kBlock); ++r) {
      const std::int64_t v = idx[static_cast<std::size_t>(r)];
      const std::array<std::int32_t, 3> ijk{static_cast<std::int32_t>(v % nx),
                                            static_cast<std::int32_t>((v / nx) % ny),
                                            static_cast<std::int32_t>(v / (nx * ny))};
      out.info.voxel_ijk[static_cast<std::size_t>(r)] = ijk;
      float* row = out.data.data() + r * nt;
      double mean = 0.0;
      for (std::int64_t t = 0; t < nt; ++t) {
        row[t] = bold.volume(t)[v];
        if (!std::isfinite(row[t])) {
          throw input_error("shard extraction: voxel (" + std::to_string(ijk[0]) + ", " +
                            std::to_string(ijk[1]) + ", " + std::to_string(ijk[2]) +
                            ") has a non-finite value in volume " + std::to_string(t));
        }
        mean += row[t];
      }
      mean /= static_cast<double>(nt);
      double ss = 0.0;
      for (std::int64_t t = 0; t < nt; ++t) ss += (row[t] - mean) * (row[t] - mean);
      const double sd = std::sqrt(ss / static_cast<double>(nt - 1));
      if (sd <= 4.0 * FLT_EPSILON * std::fabs(mean)) {
        std::fill(row, row + nt, 0.0f);
        ++constant_here;
        continue;
      }
      if (nuisance == nullptr || nuisance->empty()) {
        for (std::int64_t t = 0; t < nt; ++t) row[t] = static_cast<float>((row[t] - mean) / sd);
        continue;
      }
      residual.assign(row, row + nt);
      nuisance->project_out(residual.data());
      double rss = 0.0; // the residual's mean is 0: the intercept is in the basis
      for (const double x : residual) rss += x * x;
      const double rsd = std::sqrt(rss / static_cast<double>(nt - 1));
      if (rsd <= 1e-6 * sd) { // the regressors explain the series: nothing is left
        std::fill(row, row + nt, 0.0f);
        ++constant_here;
        continue;
      }
      for (std::int64_t t = 0; t < nt; ++t)
        row[t] = static_cast<float>(residual[static_cast<std::size_t>(t)] / rsd);
    }
    n_constant += constant_here;
  });
  out.n_constant = n_constant.load();
  return out;
}

} // namespace dcae::preproc
