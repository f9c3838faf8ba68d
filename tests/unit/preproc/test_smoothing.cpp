#include <cmath>

#include <gtest/gtest.h>

#include "preproc/smoothing.h"

namespace dcae::preproc {
namespace {

io::Image point_source(std::int64_t n, double voxel_mm) {
  io::ImageHeader h;
  h.dim = {n, n, n, 1};
  h.spacing_mm = {voxel_mm, voxel_mm, voxel_mm};
  io::Image img(h);
  img.at(n / 2, n / 2, n / 2) = 1000.f;
  return img;
}

/// FWHM (mm) along x from the second moment of the smoothed point source.
double measured_fwhm_x(const io::Image& img, double voxel_mm) {
  double s = 0, sx = 0, sxx = 0;
  for (std::int64_t k = 0; k < img.nz(); ++k)
    for (std::int64_t j = 0; j < img.ny(); ++j)
      for (std::int64_t i = 0; i < img.nx(); ++i) {
        const double v = img.at(i, j, k), x = static_cast<double>(i) * voxel_mm;
        s += v, sx += v * x, sxx += v * x * x;
      }
  const double mean = sx / s;
  return 2.0 * std::sqrt(2.0 * std::log(2.0)) * std::sqrt(sxx / s - mean * mean);
}

} // namespace

TEST(Smoothing, PointSourceHasTheRequestedFwhm) {
  for (const auto& [voxel, fwhm] :
       std::vector<std::pair<double, double>>{{1.0, 5.0}, {2.0, 5.0}, {3.0, 8.0}, {4.0, 5.0}}) {
    io::Image img = point_source(41, voxel);
    smooth(img, {}, fwhm);
    const double got = measured_fwhm_x(img, voxel);
    EXPECT_NEAR(got, fwhm, 0.05 * fwhm) << voxel << " mm voxels";
    double total = 0;
    for (float v : img.data()) total += v;
    EXPECT_NEAR(total, 1000.0, 1.0); // mass preserved
  }
  EXPECT_NEAR(fwhm_to_sigma(5.0), 5.0 / 2.3548, 1e-4);
}

TEST(Smoothing, RestrictedToTheMask) {
  io::ImageHeader h;
  h.dim = {20, 20, 20, 2};
  h.spacing_mm = {3, 3, 3};
  io::Image img(h);
  std::vector<std::uint8_t> mask(8000, 0);
  for (std::int64_t k = 5; k < 15; ++k)
    for (std::int64_t j = 5; j < 15; ++j)
      for (std::int64_t i = 5; i < 15; ++i) mask[static_cast<std::size_t>(img.index(i, j, k))] = 1;
  for (std::int64_t t = 0; t < 2; ++t)
    for (std::size_t v = 0; v < 8000; ++v)
      img.volume(t)[v] = mask[v] ? 500.f : 3000.f; // bright outside
  smooth(img, mask, 6.0);
  for (std::int64_t t = 0; t < 2; ++t)
    for (std::size_t v = 0; v < 8000; ++v) {
      if (mask[v]) {
        EXPECT_NEAR(img.volume(t)[v], 500.f, 0.01f); // no bleeding in from outside, edges kept
      } else {
        EXPECT_EQ(img.volume(t)[v], 0.f);
      }
    }
}

} // namespace dcae::preproc
