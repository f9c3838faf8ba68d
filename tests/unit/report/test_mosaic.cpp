#include <gtest/gtest.h>

#include "core/error.h"
#include "report/mosaic.h"
#include "test_data.h"

namespace dcae::report {
namespace {

Volume3 volume(std::int64_t nx, std::int64_t ny, std::int64_t nz, float fill = 0) {
  Volume3 v;
  v.dim = {nx, ny, nz};
  v.data.assign(static_cast<std::size_t>(nx * ny * nz), fill);
  return v;
}

float& at(Volume3& v, std::int64_t i, std::int64_t j, std::int64_t k) {
  return v.data[static_cast<std::size_t>(i + v.dim[0] * (j + v.dim[1] * k))];
}

std::array<int, 3> rgb(const Raster& r, int x, int y) {
  const std::uint8_t* p = r.at(x, y);
  return {p[0], p[1], p[2]};
}

TEST(Mosaic, PicksSlicesFromBinCentres) {
  EXPECT_EQ(pick_slices(0, 9, 5), (std::vector<std::int64_t>{1, 3, 5, 7, 9}));
  EXPECT_EQ(pick_slices(10, 21, 3), (std::vector<std::int64_t>{12, 16, 20}));
  EXPECT_EQ(pick_slices(4, 6, 12), (std::vector<std::int64_t>{4, 5, 6})); // fewer slices than asked
  EXPECT_EQ(pick_slices(5, 5, 1), (std::vector<std::int64_t>{5}));
  EXPECT_TRUE(pick_slices(3, 2, 4).empty());
  EXPECT_TRUE(pick_slices(0, 9, 0).empty());
  const auto many = pick_slices(0, 99, 12);
  ASSERT_EQ(many.size(), 12u);
  for (std::size_t n = 1; n < many.size(); ++n) EXPECT_GT(many[n], many[n - 1]);
  EXPECT_GT(many.front(), 0); // the thin end slices are left out
  EXPECT_LT(many.back(), 99);
}

TEST(Mosaic, FindsTheOccupiedSlices) {
  Volume3 v = volume(4, 4, 10);
  EXPECT_FALSE(occupied_slices(v).has_value());
  at(v, 1, 2, 3) = 1;
  at(v, 0, 0, 7) = -2;
  const auto r = occupied_slices(v);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->first, 3);
  EXPECT_EQ(r->second, 7);
}

TEST(Mosaic, LayoutPlacesVoxelsWithJUpwards) {
  const MosaicLayout l = mosaic_layout({10, 8, 20}, 5, {3, 30, 2});
  EXPECT_EQ(l.zoom, 3);
  EXPECT_EQ(l.columns, 3);
  EXPECT_EQ(l.rows, 2);
  EXPECT_EQ(l.width, 3 * 30 + 2 * 2);
  EXPECT_EQ(l.height, 2 * 24 + 2);
  EXPECT_EQ(l.pixel(0, 0, 7), (std::pair<int, int>{0, 0})); // top row of the grid is j = ny-1
  EXPECT_EQ(l.pixel(0, 0, 0), (std::pair<int, int>{0, 21}));
  EXPECT_EQ(l.pixel(4, 2, 7),
            (std::pair<int, int>{32 + 6, 26})); // slice 4: second row, second column
}

TEST(Mosaic, OutlineIsRedOnTheMaskBorderOnly) {
  Volume3 bg = volume(9, 9, 3);
  Volume3 mask = volume(9, 9, 3);
  for (std::int64_t j = 0; j < 9; ++j) {
    for (std::int64_t i = 0; i < 9; ++i) at(bg, i, j, 1) = static_cast<float>(i + 1);
  }
  for (std::int64_t j = 2; j <= 6; ++j) {
    for (std::int64_t i = 2; i <= 6; ++i) at(mask, i, j, 1) = 1;
  }
  const Raster r = mask_outline_mosaic(bg, mask, {1}, {6, 9, 0});
  const MosaicLayout l = mosaic_layout(bg.dim, 1, {6, 9, 0});
  auto px = [&](std::int64_t i, std::int64_t j) {
    const auto [x, y] = l.pixel(0, i, j);
    return rgb(r, x, y);
  };
  EXPECT_EQ(px(2, 4), (std::array<int, 3>{255, 0, 0})); // border
  EXPECT_EQ(px(4, 6), (std::array<int, 3>{255, 0, 0}));
  const auto inner = px(4, 4);
  EXPECT_EQ(inner[0], inner[1]); // grey inside
  EXPECT_EQ(inner[1], inner[2]);
  EXPECT_LT(px(1, 4)[0], px(7, 4)[0]); // background ramp kept outside
  Volume3 small = volume(8, 9, 3);
  test::expect_error([&] { mask_outline_mosaic(bg, small, {1}); }, ExitCode::kRuntime, {"grid"});
  test::expect_error([&] { mask_outline_mosaic(bg, mask, {3}); }, ExitCode::kRuntime, {"slice 3"});
}

TEST(Mosaic, MapColoursBySignAboveThreshold) {
  Volume3 map = volume(6, 6, 2);
  at(map, 1, 1, 0) = 4;   // peak, positive
  at(map, 2, 1, 0) = -4;  // peak, negative
  at(map, 3, 1, 0) = 0.5; // below threshold 1
  const Raster r = map_mosaic(nullptr, map, 1.0, {0}, {6, 6, 0});
  const MosaicLayout l = mosaic_layout(map.dim, 1, {6, 6, 0});
  auto px = [&](std::int64_t i, std::int64_t j) {
    const auto [x, y] = l.pixel(0, i, j);
    return rgb(r, x, y);
  };
  EXPECT_EQ(px(1, 1), (std::array<int, 3>{255, 255, 0})); // yellow at the positive peak
  EXPECT_EQ(px(2, 1), (std::array<int, 3>{0, 255, 255})); // cyan at the negative peak
  EXPECT_EQ(px(3, 1), (std::array<int, 3>{70, 70, 70}));  // support, below threshold
  EXPECT_EQ(px(4, 4), (std::array<int, 3>{25, 25, 25}));  // outside
}

TEST(Mosaic, IntensityWindowIgnoresZeros) {
  Volume3 v = volume(10, 10, 1);
  for (std::int64_t i = 0; i < 10; ++i) at(v, i, 0, 0) = static_cast<float>(100 + i);
  const auto w = intensity_window(v);
  EXPECT_GE(w.first, 100.0f);
  EXPECT_LE(w.second, 109.0f);
  EXPECT_LT(w.first, w.second);
}

} // namespace
} // namespace dcae::report

namespace dcae::report {

// Each row is detrended and scaled to unit SD: a pure trend is flat mid-grey, a series that
// swings ±1 around its trend is black below and white above (±2 SD saturate).
TEST(Mosaic, CarpetRowsAreDetrendedAndScaled) {
  std::vector<float> trend(8), swing(8);
  for (int t = 0; t < 8; ++t) {
    trend[static_cast<std::size_t>(t)] = 100.f + 3.f * static_cast<float>(t);
    swing[static_cast<std::size_t>(t)] = (t % 2 ? 5.f : -5.f);
  }
  const Raster r = carpet_raster({trend, swing}, 16, 4);
  ASSERT_EQ(r.width, 16);
  ASSERT_EQ(r.height, 4);
  for (int x = 0; x < 16; ++x) EXPECT_EQ(*r.at(x, 0), 128) << x;
  // A ±1 SD swing (slightly more after detrending a zig-zag): about a quarter and three
  // quarters of the grey range.
  EXPECT_LT(*r.at(0, 2), 100);
  EXPECT_GT(*r.at(2, 2), 155);
  EXPECT_THROW(carpet_raster({}), Error);
}

} // namespace dcae::report
