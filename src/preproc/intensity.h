#pragma once
/// \file intensity.h
/// Intensity steps of preprocessing: FEAT's grand-mean scaling, DVARS (Power et al. 2012)
/// as a quality measure, and the hand-over of in-mask voxel series as a z-scored shard.
/// Masks are one byte per voxel of a volume, in NIfTI order; non-zero means in the mask.

#include <cstdint>
#include <vector>

#include "io/nifti.h"
#include "io/shard.h"
#include "preproc/nuisance.h"

namespace dcae::preproc {

/// Multiplies the whole image in place by one factor so that the median of all in-mask values
/// (every volume; non-finite values ignored) becomes `target`; returns the factor. The median
/// is exact (the mean of the two middle values for an even count) and found without copying
/// the data. Throws usage_error if the mask's size differs from the voxels per volume, the
/// mask has no voxels or `target` is not positive; input_error if the median is not positive.
/// Uses thread_count() threads.
double grand_mean_scale(io::Image& bold, const std::vector<std::uint8_t>& mask,
                        double target = 10000.0);

/// DVARS per volume (T values, intensity units of the data): the root mean square over the
/// in-mask voxels of volume t minus volume t−1; entry 0 is 0. Throws usage_error for a mask
/// of the wrong size or with no voxels.
std::vector<double> dvars(const io::Image& bold, const std::vector<std::uint8_t>& mask);

/// The in-mask voxel series of a run, ready for write_shard.
struct ShardData {
  std::vector<float> data;     ///< `[n_voxels, T]`, row-major; row r is voxel info.voxel_ijk[r]
  io::ShardInfo info;          ///< n_voxels, n_timepoints, tr_s, grid and voxel_ijk filled
  std::int64_t n_constant = 0; ///< rows whose series was constant (stored as zeros)
};

/// Extracts the in-mask voxels in NIfTI order (x fastest) and z-scores each series (mean 0,
/// SD 1 with N−1); with a `nuisance` basis, the series' residual after regressing it out is
/// z-scored instead. A series whose SD is zero or at float32 rounding level (≤ 4·FLT_EPSILON·
/// |mean|), or whose residual keeps less than 1e-6 of its SD, becomes all zeros and is counted
/// in n_constant. Throws usage_error for a mask of the wrong size or with no voxels,
/// input_error if the image has fewer than 2 volumes or an in-mask series holds a non-finite
/// value. Uses thread_count() threads.
ShardData extract_shard(const io::Image& bold, const std::vector<std::uint8_t>& mask,
                        const NuisanceBasis* nuisance = nullptr);

} // namespace dcae::preproc
