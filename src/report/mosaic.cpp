#include "report/mosaic.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace dcae::report {
namespace {

void check_same_grid(const Volume3& a, const Volume3& b, const char* what) {
  if (a.dim != b.dim)
    throw runtime_error(std::string("mosaic: ") + what + " is not on the grid of the background");
}

std::uint8_t grey(float v, std::pair<float, float> w) {
  if (!std::isfinite(v)) return 0;
  const double t = (v - w.first) / std::max(1e-12f, w.second - w.first);
  return static_cast<std::uint8_t>(std::lround(255.0 * std::clamp(t, 0.0, 1.0)));
}

/// Fills the zoom × zoom block of voxel (i, j) of slice n.
void paint(Raster& r, const MosaicLayout& l, int n, std::int64_t i, std::int64_t j,
           std::array<std::uint8_t, 3> rgb) {
  const auto [x0, y0] = l.pixel(n, i, j);
  for (int dy = 0; dy < l.zoom; ++dy) {
    for (int dx = 0; dx < l.zoom; ++dx) {
      std::uint8_t* p = r.at(x0 + dx, y0 + dy);
      p[0] = rgb[0];
      p[1] = rgb[1];
      p[2] = rgb[2];
    }
  }
}

void check_slices(const Volume3& v, const std::vector<std::int64_t>& slices) {
  if (v.data.size() != static_cast<std::size_t>(v.dim[0] * v.dim[1] * v.dim[2]) || v.data.empty()) {
    throw runtime_error("mosaic: the volume's data do not match its grid");
  }
  for (std::int64_t k : slices) {
    if (k < 0 || k >= v.dim[2])
      throw runtime_error("mosaic: slice " + std::to_string(k) + " outside the volume");
  }
}

} // namespace

std::optional<std::pair<std::int64_t, std::int64_t>> occupied_slices(const Volume3& v) {
  std::optional<std::pair<std::int64_t, std::int64_t>> r;
  const std::int64_t plane = v.dim[0] * v.dim[1];
  for (std::int64_t k = 0; k < v.dim[2]; ++k) {
    const float* s = v.data.data() + k * plane;
    if (std::any_of(s, s + plane, [](float x) { return std::isfinite(x) && x != 0.0f; })) {
      if (!r) r = std::make_pair(k, k);
      r->second = k;
    }
  }
  return r;
}

std::vector<std::int64_t> pick_slices(std::int64_t first, std::int64_t last, int count) {
  std::vector<std::int64_t> out;
  if (count <= 0 || first > last) return out;
  const std::int64_t span = last - first + 1;
  if (count >= span) {
    for (std::int64_t k = first; k <= last; ++k) out.push_back(k);
    return out;
  }
  for (int n = 0; n < count; ++n) {
    const auto k = first + static_cast<std::int64_t>(
                               std::floor((n + 0.5) * static_cast<double>(span) / count));
    if (out.empty() || out.back() != k) out.push_back(k);
  }
  return out;
}

std::pair<int, int> MosaicLayout::pixel(int n, std::int64_t i, std::int64_t j) const {
  const int col = n % columns, row = n / columns;
  return {col * (cell_width + gap) + static_cast<int>(i) * zoom,
          row * (cell_height + gap) + static_cast<int>(ny - 1 - j) * zoom};
}

MosaicLayout mosaic_layout(const std::array<std::int64_t, 3>& dim, int slices,
                           const MosaicOptions& opt) {
  MosaicLayout l;
  l.zoom = std::max(
      1, static_cast<int>(std::lround(static_cast<double>(opt.slice_px) /
                                      static_cast<double>(std::max<std::int64_t>(1, dim[0])))));
  l.columns = std::max(1, std::min(opt.columns, slices));
  l.rows = std::max(1, (slices + l.columns - 1) / l.columns);
  l.cell_width = static_cast<int>(dim[0]) * l.zoom;
  l.cell_height = static_cast<int>(dim[1]) * l.zoom;
  l.gap = opt.gap;
  l.width = l.columns * l.cell_width + (l.columns - 1) * l.gap;
  l.height = l.rows * l.cell_height + (l.rows - 1) * l.gap;
  l.ny = dim[1];
  return l;
}

std::pair<float, float> intensity_window(const Volume3& v) {
  std::vector<float> vals;
  for (float x : v.data) {
    if (std::isfinite(x) && x != 0.0f) vals.push_back(x);
  }
  if (vals.empty()) return {0.0f, 1.0f};
  auto pct = [&](double p) {
    const auto n = static_cast<std::size_t>(std::lround(p * static_cast<double>(vals.size() - 1)));
    std::nth_element(vals.begin(), vals.begin() + static_cast<std::ptrdiff_t>(n), vals.end());
    return vals[n];
  };
  const float lo = pct(0.02), hi = pct(0.98);
  return hi > lo ? std::make_pair(lo, hi) : std::make_pair(lo, lo + 1.0f);
}

Raster mask_outline_mosaic(const Volume3& background, const Volume3& mask,
                           const std::vector<std::int64_t>& slices, const MosaicOptions& opt) {
  check_same_grid(background, mask, "the mask");
  check_slices(background, slices);
  check_slices(mask, slices);
  const MosaicLayout l = mosaic_layout(background.dim, static_cast<int>(slices.size()), opt);
  Raster r(l.width, l.height, 3, 0);
  const auto w = intensity_window(background);
  const std::int64_t nx = background.dim[0], ny = background.dim[1];
  auto inside = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return i >= 0 && j >= 0 && i < nx && j < ny && mask.at(i, j, k) > 0;
  };
  for (std::size_t n = 0; n < slices.size(); ++n) {
    const std::int64_t k = slices[n];
    for (std::int64_t j = 0; j < ny; ++j) {
      for (std::int64_t i = 0; i < nx; ++i) {
        const bool edge = inside(i, j, k) && (!inside(i - 1, j, k) || !inside(i + 1, j, k) ||
                                              !inside(i, j - 1, k) || !inside(i, j + 1, k));
        const std::uint8_t g = grey(background.at(i, j, k), w);
        paint(r, l, static_cast<int>(n), i, j,
              edge ? std::array<std::uint8_t, 3>{255, 0, 0} : std::array<std::uint8_t, 3>{g, g, g});
      }
    }
  }
  return r;
}

Raster map_mosaic(const Volume3* background, const Volume3& map, double threshold,
                  const std::vector<std::int64_t>& slices, const MosaicOptions& opt,
                  const Volume3* outline) {
  const bool has_bg = background != nullptr && !background->empty();
  if (has_bg) check_same_grid(*background, map, "the spatial map");
  const bool has_outline = outline != nullptr && !outline->empty();
  if (has_outline) check_same_grid(*outline, map, "the outline");
  check_slices(map, slices);
  const MosaicLayout l = mosaic_layout(map.dim, static_cast<int>(slices.size()), opt);
  Raster r(l.width, l.height, 3, 0);
  const auto w = has_bg ? intensity_window(*background) : std::make_pair(0.0f, 1.0f);
  double peak = 0;
  for (float x : map.data) {
    if (std::isfinite(x)) peak = std::max(peak, static_cast<double>(std::fabs(x)));
  }
  threshold = std::max(threshold, 1e-30);
  const std::int64_t nx = map.dim[0], ny = map.dim[1];
  auto in_outline = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return i >= 0 && j >= 0 && i < nx && j < ny && outline->at(i, j, k) > 0;
  };
  for (std::size_t n = 0; n < slices.size(); ++n) {
    const std::int64_t k = slices[n];
    for (std::int64_t j = 0; j < ny; ++j) {
      for (std::int64_t i = 0; i < nx; ++i) {
        const float v = map.at(i, j, k);
        std::array<std::uint8_t, 3> rgb{};
        if (has_outline && in_outline(i, j, k) &&
            (!in_outline(i - 1, j, k) || !in_outline(i + 1, j, k) || !in_outline(i, j - 1, k) ||
             !in_outline(i, j + 1, k))) {
          rgb = {0, 255, 0};
        } else if (std::isfinite(v) && std::fabs(v) >= threshold) {
          const double t = peak > threshold ? (std::fabs(v) - threshold) / (peak - threshold) : 1.0;
          const auto ramp = static_cast<std::uint8_t>(std::lround(255.0 * std::clamp(t, 0.0, 1.0)));
          rgb = v > 0 ? std::array<std::uint8_t, 3>{255, ramp, 0}
                      : std::array<std::uint8_t, 3>{0, ramp, 255};
        } else {
          // Without a background the map's own support (nonzero voxels) shows the brain's extent.
          const std::uint8_t g =
              has_bg ? static_cast<std::uint8_t>(grey(background->at(i, j, k), w) * 3 / 4)
              : (std::isfinite(v) && v != 0.0f) ? 70
                                                : 25;
          rgb = {g, g, g};
        }
        paint(r, l, static_cast<int>(n), i, j, rgb);
      }
    }
  }
  return r;
}

Raster carpet_raster(const std::vector<std::vector<float>>& voxel_series, int width, int height) {
  if (voxel_series.empty() || voxel_series.front().size() < 2)
    throw runtime_error("carpet plot: no voxels or fewer than 2 volumes");
  const auto rows = static_cast<int>(voxel_series.size());
  const auto cols = static_cast<int>(voxel_series.front().size());
  const int cw = std::max(1, width / cols), rh = std::max(1, height / rows);
  Raster r(cols * cw, rows * rh, 3, 0);
  const double tm = 0.5 * (cols - 1);
  double tss = 0;
  for (int t = 0; t < cols; ++t) tss += (t - tm) * (t - tm);
  for (int row = 0; row < rows; ++row) {
    const auto& x = voxel_series[static_cast<std::size_t>(row)];
    double mean = 0, slope = 0;
    for (int t = 0; t < cols; ++t) mean += x[static_cast<std::size_t>(t)];
    mean /= cols;
    for (int t = 0; t < cols; ++t) slope += (t - tm) * (x[static_cast<std::size_t>(t)] - mean);
    slope /= tss;
    std::vector<double> d(static_cast<std::size_t>(cols));
    double ss = 0;
    for (int t = 0; t < cols; ++t) {
      d[static_cast<std::size_t>(t)] = x[static_cast<std::size_t>(t)] - mean - slope * (t - tm);
      ss += d[static_cast<std::size_t>(t)] * d[static_cast<std::size_t>(t)];
    }
    const double sd = std::sqrt(ss / std::max(1, cols - 1));
    for (int t = 0; t < cols; ++t) {
      const double z = sd > 0 ? d[static_cast<std::size_t>(t)] / sd : 0.0;
      const auto g =
          static_cast<std::uint8_t>(std::lround(255.0 * std::clamp((z + 2) / 4, 0.0, 1.0)));
      for (int yy = 0; yy < rh; ++yy)
        for (int xx = 0; xx < cw; ++xx) {
          std::uint8_t* px = r.at(t * cw + xx, row * rh + yy);
          px[0] = px[1] = px[2] = g;
        }
    }
  }
  return r;
}

} // namespace dcae::report
