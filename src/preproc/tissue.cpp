#include "preproc/tissue.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace dcae::preproc {

TissueMasks split_tissues(const io::ImageHeader& h, const std::vector<float>& mean,
                          const std::vector<std::uint8_t>& brain) {
  const auto n = static_cast<std::size_t>(h.voxels_per_volume());
  if (mean.size() != n || brain.size() != n)
    throw usage_error("split_tissues: the mean image or mask does not match the grid");
  TissueMasks t;
  t.white_matter.assign(n, 0);
  t.csf.assign(n, 0);
  const auto nx = h.dim[0], ny = h.dim[1], nz = h.dim[2];
  // Whether every 6-neighbour of voxel (x, y, z) satisfies `pred` (outside the grid: no).
  auto neighbours_all = [&](std::int64_t x, std::int64_t y, std::int64_t z, auto pred) {
    const std::int64_t d[6][3] = {{1, 0, 0},  {-1, 0, 0}, {0, 1, 0},
                                  {0, -1, 0}, {0, 0, 1},  {0, 0, -1}};
    for (const auto& o : d) {
      const std::int64_t a = x + o[0], b = y + o[1], e = z + o[2];
      if (a < 0 || b < 0 || e < 0 || a >= nx || b >= ny || e >= nz) return false;
      if (!pred(static_cast<std::size_t>(a + nx * (b + ny * e)))) return false;
    }
    return true;
  };
  // `m` eroded once (6-neighbourhood).
  auto erode = [&](const std::vector<std::uint8_t>& m) {
    std::vector<std::uint8_t> e(n, 0);
    for (std::int64_t z = 0; z < nz; ++z)
      for (std::int64_t y = 0; y < ny; ++y)
        for (std::int64_t x = 0; x < nx; ++x) {
          const auto i = static_cast<std::size_t>(x + nx * (y + ny * z));
          e[i] = m[i] && neighbours_all(x, y, z, [&](std::size_t j) { return m[j] != 0; });
        }
    return e;
  };
  // The brain's interior: the mask (dilated once by the pipeline, as FEAT does) eroded twice,
  // so that the dark ring of partial-volume voxels at its edge is not taken for a tissue.
  const std::vector<std::uint8_t> interior = erode(erode(brain));
  std::vector<double> inside;
  for (std::size_t i = 0; i < n; ++i)
    if (interior[i] && mean[i] > 0 && std::isfinite(mean[i])) inside.push_back(mean[i]);
  if (inside.size() < 3) return t;
  std::nth_element(inside.begin(), inside.begin() + static_cast<std::ptrdiff_t>(inside.size() / 2),
                   inside.end());
  const double floor = 0.5 * inside[inside.size() / 2]; // darker: not tissue (edge, dropout)
  // White and grey matter: two classes by 1-D k-means on log intensity (from the 25th and
  // 75th percentiles). CSF, a few percent of the brain, would not form a class of its own:
  // it is what lies as far above grey matter as white matter lies below it.
  std::vector<std::size_t> idx;
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i)
    if (interior[i] && mean[i] > floor && std::isfinite(mean[i])) {
      idx.push_back(i);
      v.push_back(std::log(static_cast<double>(mean[i])));
    }
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
  };
  double c[2] = {pct(0.25), pct(0.75)};
  for (int iter = 0; iter < 100; ++iter) {
    const double cut = 0.5 * (c[0] + c[1]);
    double sum[2] = {0, 0}, count[2] = {0, 0};
    for (double x : v) {
      const int j = x > cut ? 1 : 0;
      sum[j] += x;
      count[j] += 1;
    }
    const double c0 = count[0] > 0 ? sum[0] / count[0] : c[0],
                 c1 = count[1] > 0 ? sum[1] / count[1] : c[1];
    const bool moved = std::fabs(c0 - c[0]) + std::fabs(c1 - c[1]) > 1e-9;
    c[0] = c0;
    c[1] = c1;
    if (!moved) break;
  }
  const double wm_level = std::exp(c[0]), gm_level = std::exp(c[1]);
  const double csf_cut = gm_level + (gm_level - wm_level);
  const double wm_cut = std::exp(0.5 * (c[0] + c[1]));
  t.levels[0] = wm_level;
  t.levels[1] = gm_level;
  std::vector<std::uint8_t> cls(n, 255); // 0 WM, 1 GM, 2 CSF, 255 none
  double csf_sum = 0, csf_n = 0;
  for (std::size_t i : idx) {
    const double x = mean[i];
    cls[i] = x > csf_cut ? 2 : x > wm_cut ? 1 : 0;
    if (cls[i] == 2) csf_sum += x, csf_n += 1;
  }
  t.levels[2] = csf_n > 0 ? csf_sum / csf_n : std::numeric_limits<double>::quiet_NaN();
  for (std::int64_t z = 0; z < nz; ++z)
    for (std::int64_t y = 0; y < ny; ++y)
      for (std::int64_t x = 0; x < nx; ++x) {
        const auto i = static_cast<std::size_t>(x + nx * (y + ny * z));
        if (cls[i] == 0)
          t.white_matter[i] = neighbours_all(x, y, z, [&](std::size_t j) { return cls[j] == 0; });
        else if (cls[i] == 2)
          t.csf[i] = 1;
      }
  return t;
}

std::vector<double> mask_mean_series(const io::Image& bold, const std::vector<std::uint8_t>& mask) {
  const auto n = static_cast<std::size_t>(bold.header().voxels_per_volume());
  if (mask.size() != n) throw usage_error("mask_mean_series: the mask does not match the grid");
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < n; ++i)
    if (mask[i]) idx.push_back(i);
  std::vector<double> out(static_cast<std::size_t>(bold.nt()),
                          std::numeric_limits<double>::quiet_NaN());
  if (idx.empty()) return out;
  for (std::int64_t t = 0; t < bold.nt(); ++t) {
    const float* vol = bold.volume(t);
    double s = 0;
    for (std::size_t i : idx) s += vol[i];
    out[static_cast<std::size_t>(t)] = s / static_cast<double>(idx.size());
  }
  return out;
}

std::vector<std::vector<double>> cosine_basis(std::int64_t volumes, double tr_s, double cutoff_s) {
  std::vector<std::vector<double>> cols;
  if (!(cutoff_s > 0) || !(tr_s > 0) || volumes < 2) return cols;
  const double n = static_cast<double>(volumes);
  const auto order = static_cast<std::int64_t>(std::floor(2.0 * n * tr_s / cutoff_s));
  for (std::int64_t k = 1; k < order; ++k) {
    std::vector<double> c(static_cast<std::size_t>(volumes));
    for (std::int64_t t = 0; t < volumes; ++t)
      c[static_cast<std::size_t>(t)] =
          std::sqrt(2.0 / n) *
          std::cos(M_PI / n * (static_cast<double>(t) + 0.5) * static_cast<double>(k));
    cols.push_back(std::move(c));
  }
  return cols;
}

} // namespace dcae::preproc
