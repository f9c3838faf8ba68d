#pragma once
/// \file template_registration.h
/// Optional 12-DOF affine registration of a run's mean image to a template (for example the
/// MNI152 2 mm brain) with ITK's v4 framework (Mattes mutual information, 3 resolution levels,
/// centre-of-mass initialisation), and resampling of the run and its mask into the template's
/// grid.

#include <array>
#include <cstdint>
#include <vector>

#include "io/nifti.h"

namespace dcae::preproc {

/// An affine map of world points (mm): template → run, p_run = A·p_template + b.
struct AffineMap {
  std::array<std::array<double, 3>, 3> matrix{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  std::array<double, 3> offset{0, 0, 0};
  std::array<double, 3> apply(const std::array<double, 3>& p) const;
};

/// Registers `mean` (a 3-D image on the grid of `run_header`) to `templ`.
/// Throws runtime_error if ITK fails.
AffineMap register_to_template(const io::ImageHeader& run_header, const std::vector<float>& mean,
                               const io::Image& templ);

/// The run resampled into the template's grid (linear), and its mask (nearest neighbour).
io::Image resample_run(const io::Image& run, const AffineMap& map, const io::ImageHeader& templ);
std::vector<std::uint8_t> resample_mask(const io::ImageHeader& run_header,
                                        const std::vector<std::uint8_t>& mask, const AffineMap& map,
                                        const io::ImageHeader& templ);

} // namespace dcae::preproc
