#pragma once
/// \file brain_mask.h
/// FEAT's brain mask from the mean functional image: threshold at p2 + 10%·(p98 − p2), keep
/// the largest connected component, fill holes, dilate (3×3×3 box, as `fslmaths -dilF`).

#include <cstdint>
#include <vector>

#include "io/nifti.h"

namespace dcae::preproc {

struct BrainMaskOptions {
  double fraction = 0.1; ///< of the p2..p98 range
  int dilations = 1;     ///< 3×3×3 box dilations after filling holes
};

/// The temporal mean of a 4-D run (voxels_per_volume floats).
std::vector<float> temporal_mean(const io::Image& bold);

/// The brain mask (0/1 per voxel) of a 3-D image given on the grid of `header`.
/// Throws input_error if nothing survives the threshold.
std::vector<std::uint8_t> brain_mask(const io::ImageHeader& header, const std::vector<float>& mean,
                                     const BrainMaskOptions& options = {});

} // namespace dcae::preproc
