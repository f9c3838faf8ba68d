#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/threads.h"
#include "io/shard.h"
#include "preproc/intensity.h"
#include "test_data.h"

namespace dcae::preproc {
namespace {

io::Image make_image(std::int64_t nx, std::int64_t ny, std::int64_t nz, std::int64_t nt,
                     double tr = 2.0) {
  io::ImageHeader h;
  h.dim = {nx, ny, nz, nt};
  h.tr_s = tr;
  return io::Image(h);
}

/// Median of all in-mask values, by sorting a copy (the plain definition).
double reference_median(const io::Image& img, const std::vector<std::uint8_t>& mask) {
  std::vector<double> values;
  const std::int64_t vpv = img.header().voxels_per_volume();
  for (std::int64_t t = 0; t < img.nt(); ++t)
    for (std::int64_t v = 0; v < vpv; ++v) {
      const float x = img.volume(t)[v];
      if (mask[static_cast<std::size_t>(v)] != 0 && std::isfinite(x)) values.push_back(x);
    }
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

} // namespace

TEST(IntensityGrandMeanScale, MedianBecomesTargetAndTheFactorIsReturned) {
  // Odd and even numbers of in-mask values; several threads; ties; out-of-mask outliers.
  for (const std::int64_t nt : {31, 32}) {
    SCOPED_TRACE(nt);
    io::Image img = make_image(9, 8, 7, nt);
    std::mt19937_64 rng(static_cast<std::uint64_t>(nt));
    std::normal_distribution<double> g(0, 1);
    const std::int64_t vpv = img.header().voxels_per_volume();
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(vpv), 0);
    for (std::size_t v = 0; v < mask.size(); ++v) mask[v] = v % 3 != 0 ? 1 : 0;
    for (std::int64_t t = 0; t < nt; ++t)
      for (std::int64_t v = 0; v < vpv; ++v) {
        const double x = mask[static_cast<std::size_t>(v)] != 0 ? 700 + 40 * g(rng) : 1e6;
        img.volume(t)[v] = static_cast<float>(std::round(x * 4) / 4); // many ties
      }
    img.volume(3)[1] = NAN; // in the mask: ignored
    const double ref = reference_median(img, mask);
    const io::Image before = img;
    set_thread_count(4);
    const double factor = grand_mean_scale(img, mask);
    set_thread_count(0);
    EXPECT_NEAR(factor, 10000.0 / ref, 1e-12 * factor);
    EXPECT_NEAR(reference_median(img, mask), 10000.0, 1e-3); // float32 rounding only
    // One factor for every voxel, in the mask or not.
    EXPECT_FLOAT_EQ(img.volume(0)[0], static_cast<float>(1e6 * factor));
    for (std::size_t i = 0; i < img.data().size(); i += 97) {
      if (std::isfinite(before.data()[i])) {
        EXPECT_FLOAT_EQ(img.data()[i], static_cast<float>(before.data()[i] * factor));
      }
    }
  }
}

TEST(IntensityGrandMeanScale, ExactMedianOfSmallSetsWithNegativesAndTies) {
  // 1×1×1 voxel, values over time; the median is exact, not binned.
  const auto median_of = [](const std::vector<float>& values, double target) {
    io::Image img = make_image(1, 1, 1, static_cast<std::int64_t>(values.size()));
    img.data() = values;
    return target / grand_mean_scale(img, {1}, target);
  };
  EXPECT_DOUBLE_EQ(median_of({-5, -1, 2, 3, 3, 3, 7}, 100), 3.0);
  EXPECT_DOUBLE_EQ(median_of({100, 1, 4, 2}, 100), 3.0);
  EXPECT_DOUBLE_EQ(median_of({1.0000001f, 1.0f}, 1), 0.5 * (1.0 + double(1.0000001f)));
  EXPECT_DOUBLE_EQ(median_of({-0.0f, 2e-39f, 1e-39f}, 1), double(1e-39f)); // subnormal
  EXPECT_DOUBLE_EQ(median_of({-1e30f, 3e30f, 2e30f, -INFINITY, INFINITY}, 1), double(2e30f));
}

TEST(IntensityGrandMeanScale, RejectsBadMaskTargetAndNonPositiveMedian) {
  io::Image img = make_image(2, 2, 1, 3);
  std::fill(img.data().begin(), img.data().end(), 5.0f);
  test::expect_error(
      [&] {
        grand_mean_scale(img, {1, 1, 1});
      },
      ExitCode::kBadUsage, {"the mask has 3 voxels, the image has 4 per volume"});
  test::expect_error(
      [&] {
        grand_mean_scale(img, {0, 0, 0, 0});
      },
      ExitCode::kBadUsage, {"mask is empty"});
  test::expect_error(
      [&] {
        grand_mean_scale(img, {1, 0, 0, 0}, 0.0);
      },
      ExitCode::kBadUsage, {"target"});
  std::fill(img.data().begin(), img.data().end(), -2.0f);
  test::expect_error(
      [&] {
        grand_mean_scale(img, {1, 1, 0, 0});
      },
      ExitCode::kBadInput, {"median in-mask intensity is -2"});
  std::fill(img.data().begin(), img.data().end(), NAN);
  test::expect_error(
      [&] {
        grand_mean_scale(img, {1, 1, 0, 0});
      },
      ExitCode::kBadInput, {"no finite value"});
  EXPECT_TRUE(std::isnan(img.data()[0])); // nothing was scaled
}

TEST(IntensityDvars, KnownSequence) {
  io::Image img = make_image(3, 1, 1, 4);
  const std::vector<std::vector<float>> vols{{0, 0, 0}, {3, 4, 100}, {3, 4, -50}, {1, 4, 0}};
  for (std::int64_t t = 0; t < 4; ++t)
    std::copy(vols[static_cast<std::size_t>(t)].begin(), vols[static_cast<std::size_t>(t)].end(),
              img.volume(t));
  const std::vector<std::uint8_t> mask{1, 1, 0}; // the third voxel's jumps do not count
  const auto d = dvars(img, mask);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_DOUBLE_EQ(d[0], 0.0);
  EXPECT_DOUBLE_EQ(d[1], std::sqrt((9.0 + 16.0) / 2.0));
  EXPECT_DOUBLE_EQ(d[2], 0.0);
  EXPECT_DOUBLE_EQ(d[3], std::sqrt(4.0 / 2.0));
  test::expect_error([&] { dvars(img, {1, 1}); }, ExitCode::kBadUsage, {"DVARS", "mask"});
  test::expect_error([&] { dvars(img, {0, 0, 0}); }, ExitCode::kBadUsage, {"mask is empty"});
}

TEST(IntensityShard, RowsAreInMaskVoxelsInNiftiOrderZScored) {
  const std::int64_t nx = 3, ny = 2, nz = 2, nt = 6;
  io::Image img = make_image(nx, ny, nz, nt, 0.8);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-50, 50);
  for (float& x : img.data()) x = static_cast<float>(1000 + u(rng));
  // Voxel (2,0,1) is constant (out-of-range bright, as outside the brain); (0,1,0) is out.
  for (std::int64_t t = 0; t < nt; ++t) img.at(2, 0, 1, t) = 12345.678f;
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(nx * ny * nz), 1);
  mask[static_cast<std::size_t>(img.index(0, 1, 0))] = 0;
  mask[static_cast<std::size_t>(img.index(1, 1, 1))] = 0;

  set_thread_count(3);
  const ShardData shard = extract_shard(img, mask);
  set_thread_count(0);
  EXPECT_EQ(shard.info.n_voxels, 10);
  EXPECT_EQ(shard.info.n_timepoints, nt);
  EXPECT_DOUBLE_EQ(shard.info.tr_s, 0.8);
  EXPECT_EQ(shard.info.grid, (std::array<std::int64_t, 3>{3, 2, 2}));
  EXPECT_EQ(shard.n_constant, 1);
  ASSERT_EQ(shard.data.size(), 10u * nt);
  ASSERT_EQ(shard.info.voxel_ijk.size(), 10u);

  std::size_t r = 0;
  for (std::int32_t k = 0; k < nz; ++k)
    for (std::int32_t j = 0; j < ny; ++j)
      for (std::int32_t i = 0; i < nx; ++i) {
        if (mask[static_cast<std::size_t>(img.index(i, j, k))] == 0) continue;
        SCOPED_TRACE(r);
        EXPECT_EQ(shard.info.voxel_ijk[r], (std::array<std::int32_t, 3>{i, j, k}));
        const float* row = shard.data.data() + r * nt;
        if (i == 2 && j == 0 && k == 1) {
          for (std::int64_t t = 0; t < nt; ++t) EXPECT_EQ(row[t], 0.0f);
        } else {
          double mean = 0, ss = 0;
          for (std::int64_t t = 0; t < nt; ++t) mean += img.at(i, j, k, t);
          mean /= nt;
          for (std::int64_t t = 0; t < nt; ++t) ss += std::pow(img.at(i, j, k, t) - mean, 2);
          const double sd = std::sqrt(ss / (nt - 1));
          double zm = 0, zss = 0;
          for (std::int64_t t = 0; t < nt; ++t) {
            EXPECT_NEAR(row[t], (img.at(i, j, k, t) - mean) / sd, 1e-5);
            zm += row[t];
            zss += row[t] * row[t];
          }
          EXPECT_NEAR(zm / nt, 0.0, 1e-6);
          EXPECT_NEAR(zss / (nt - 1), 1.0, 1e-5);
        }
        ++r;
      }
  EXPECT_EQ(r, 10u);

  // The result is what write_shard takes, and reads back the same.
  test::TempDir dir;
  io::write_shard(dir / "x.npy", shard.data, shard.info);
  io::ShardReader reader(dir / "x.npy");
  EXPECT_EQ(reader.read_all(), shard.data);
  EXPECT_EQ(reader.info().voxel_ijk, shard.info.voxel_ijk);
}

TEST(IntensityShard, RejectsNonFiniteValuesTooFewVolumesAndBadMasks) {
  io::Image img = make_image(2, 2, 1, 4);
  std::fill(img.data().begin(), img.data().end(), 1.0f);
  img.at(1, 1, 0, 2) = INFINITY;
  test::expect_error(
      [&] {
        extract_shard(img, {0, 0, 0, 1});
      },
      ExitCode::kBadInput, {"voxel (1, 1, 0)", "volume 2"});
  const ShardData ok = extract_shard(img, {1, 0, 0, 0}); // the bad voxel is outside the mask
  EXPECT_EQ(ok.n_constant, 1);
  test::expect_error([&] { extract_shard(img, {1, 1}); }, ExitCode::kBadUsage, {"mask"});
  test::expect_error(
      [&] {
        extract_shard(img, {0, 0, 0, 0});
      },
      ExitCode::kBadUsage, {"mask is empty"});
  io::Image single = make_image(2, 2, 1, 1);
  test::expect_error(
      [&] {
        extract_shard(single, {1, 1, 1, 1});
      },
      ExitCode::kBadInput, {"at least 2"});
}

} // namespace dcae::preproc
