#pragma once
/// \file anatomy.h
/// A synthetic head for the simulator: brain shape, tissue fractions, EPI baseline intensity
/// and the spatial maps of functional networks.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "io/nifti.h"

namespace dcae::sim {

/// The image grid: dimensions, voxel size and voxel→world affine (RAS, mm; grid centre at 0).
struct Grid {
  std::array<std::int64_t, 3> dim{40, 48, 36};
  std::array<double, 3> voxel_mm{4.0, 4.0, 4.0};
  io::Matrix4 affine = io::identity4();

  std::int64_t voxels() const { return dim[0] * dim[1] * dim[2]; }
  /// World coordinates (mm) of voxel (i, j, k).
  std::array<double, 3> world(double i, double j, double k) const;
  /// An image header for this grid with `volumes` volumes and repetition time `tr_s`.
  io::ImageHeader header(std::int64_t volumes = 1, double tr_s = 0.0) const;
};

/// A grid centred on the world origin.
Grid make_grid(std::array<std::int64_t, 3> dim, std::array<double, 3> voxel_mm);

/// Tissue model of one subject's head on a grid.
struct Anatomy {
  Grid grid;
  std::array<double, 3> semi_axes_mm{70, 85, 60}; ///< brain ellipsoid half-widths
  std::vector<float> gm, wm, csf;                 ///< partial-volume fractions [voxels]
  std::vector<std::uint8_t> brain;                ///< 1 where gm+wm+csf ≥ 0.5
  std::vector<float> baseline;                    ///< mean EPI intensity (GM ≈ 1000) [voxels]
};

/// Builds a brain-shaped head: a lobulated ellipsoid (≈140×170×120 mm, shrunk to fit the
/// field of view) with a cortical grey-matter ribbon, white matter, lateral ventricles, EPI
/// contrast (CSF 1500, GM 1000, WM 750) and a smooth coil-sensitivity field.
/// `scale` varies head size between subjects; `seed` the shape details.
Anatomy make_anatomy(const Grid& grid, double scale, std::uint64_t seed);

/// A functional network: Gaussian blobs in grey matter, map peak 1.
struct Network {
  std::string name;
  std::string condition;                         ///< driving task condition, "" if none
  std::vector<std::array<double, 3>> centres_mm; ///< world coordinates of the blobs
  double sigma_mm = 8.0;
  std::vector<float> map; ///< [voxels], 0 outside the brain
};

/// One network per movement condition of the HCP motor task ("lf", "lh", "rf", "rh", "t"),
/// a visual network driven by the "cue" condition, and two networks without task
/// ("default_mode", "auditory"). Centres are jittered by up to `jitter_mm` with `seed`.
std::vector<Network> make_networks(const Anatomy& anatomy, std::uint64_t seed,
                                   double jitter_mm = 3.0);

} // namespace dcae::sim
