#pragma once
/// \file mosaic.h
/// Axial slice mosaics of 3-D volumes: the brain mask's outline over the mean image, and
/// spatial maps over an anatomical background, as 8-bit RGB rasters.

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "report/png.h"

namespace dcae::report {

/// A 3-D scalar volume in NIfTI order (x fastest, then y, then z).
struct Volume3 {
  std::array<std::int64_t, 3> dim{0, 0, 0}; ///< nx, ny, nz (voxels)
  std::vector<float> data;                  ///< nx · ny · nz values

  float at(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return data[static_cast<std::size_t>(i + dim[0] * (j + dim[1] * k))];
  }
  bool empty() const { return data.empty(); }
};

/// The range [first, last] of axial slices (k) that hold a finite nonzero voxel of `v`;
/// nullopt when there is none.
std::optional<std::pair<std::int64_t, std::int64_t>> occupied_slices(const Volume3& v);

/// `count` axial slice indices spread over [first, last], increasing and distinct: the
/// centres of `count` equal bins (so the thin end slices are left out), or every slice when
/// count ≥ last − first + 1. Empty when count ≤ 0 or first > last.
std::vector<std::int64_t> pick_slices(std::int64_t first, std::int64_t last, int count);

/// How a mosaic is laid out.
struct MosaicOptions {
  int columns = 6;    ///< slices per row
  int slice_px = 120; ///< wanted width of one slice (px); zoom = max(1, round(slice_px / nx))
  int gap = 2;        ///< black pixels between slices
};

/// The geometry of a mosaic of `slices` slices of an nx × ny grid: slices fill rows left to
/// right; within a slice, i runs rightwards and j upwards; each voxel is zoom × zoom pixels.
struct MosaicLayout {
  int zoom = 1, columns = 1, rows = 1, cell_width = 0, cell_height = 0, gap = 0;
  int width = 0, height = 0; ///< of the whole mosaic (px)
  std::int64_t ny = 0;
  /// Top-left pixel (x, y) of voxel (i, j) in the n-th slice shown.
  std::pair<int, int> pixel(int n, std::int64_t i, std::int64_t j) const;
};
MosaicLayout mosaic_layout(const std::array<std::int64_t, 3>& dim, int slices,
                           const MosaicOptions& opt);

/// Grey-level window: the 2nd and 98th percentiles of the finite nonzero values (0, 1 if none).
std::pair<float, float> intensity_window(const Volume3& v);

/// Axial slices of `background` (grey, windowed by intensity_window) with the outline of
/// `mask` (voxels > 0 with an in-plane 4-neighbour outside the mask) in red. Both volumes on
/// the same grid (else runtime_error).
Raster mask_outline_mosaic(const Volume3& background, const Volume3& mask,
                           const std::vector<std::int64_t>& slices, const MosaicOptions& opt = {});

/// Axial slices of a spatial map: voxels with |value| ≥ `threshold` coloured by
/// |value| / max|value| (positive: red to yellow, negative: blue to cyan) over `background`
/// in grey (where `background` is null or empty: the map's nonzero voxels in dark grey); with
/// `outline`, the in-plane outline of its voxels > 0 in green (a planted network's core, say).
/// Same grid (else runtime_error).
Raster map_mosaic(const Volume3* background, const Volume3& map, double threshold,
                  const std::vector<std::int64_t>& slices, const MosaicOptions& opt = {},
                  const Volume3* outline = nullptr);

/// A carpet plot (Power 2017; fMRIPrep's): one row per voxel series given (in the order
/// given), one column per volume; each row with its mean and linear trend removed and divided
/// by its SD, in grey from −2 (black) to +2 (white). Columns and rows are widened to about
/// `width` × `height` pixels. Throws runtime_error when there is no series or T < 2.
Raster carpet_raster(const std::vector<std::vector<float>>& voxel_series, int width = 720,
                     int height = 320);

} // namespace dcae::report
