#pragma once
/// \file tissue.h
/// The confounds fMRIPrep derives from tissues and the high-pass, from the EPI alone: a
/// three-class split of the brain mask by mean intensity (in T2*-weighted EPI white matter is
/// darkest and CSF brightest), the mean series of each class and of the whole mask
/// (global_signal, white_matter, csf), and the discrete cosine basis of a high-pass cutoff
/// (cosine00, cosine01, ...). Without an anatomical image this split is coarse: partial-volume
/// voxels are kept out by leaving the mask's edge out and eroding white matter.

#include <cstdint>
#include <string>
#include <vector>

#include "io/nifti.h"

namespace dcae::preproc {

/// Classes of the brain mask's voxels (one byte per voxel of a volume, NIfTI order).
struct TissueMasks {
  std::vector<std::uint8_t> white_matter, csf;
  /// Mean intensities of white matter, grey matter (k-means) and CSF (NaN when none).
  double levels[3] = {0, 0, 0};
};

/// Splits the brain's interior (the mask eroded twice: the partial-volume ring at its edge is
/// darker than any tissue; voxels below half its median are left out too) by intensity: two
/// classes by 1-D k-means on log intensity (white matter the darker, grey matter), and CSF as
/// what lies as far above the grey-matter level as white matter lies below it (CSF is a few
/// percent of the brain: too few voxels for a class of its own). White matter is eroded once
/// within itself (6-neighbourhood). Throws usage_error for sizes that do not match the header.
TissueMasks split_tissues(const io::ImageHeader& header, const std::vector<float>& mean,
                          const std::vector<std::uint8_t>& brain);

/// The mean over `mask` of every volume (T values); NaN for every volume when the mask is
/// empty.
std::vector<double> mask_mean_series(const io::Image& bold, const std::vector<std::uint8_t>& mask);

/// The discrete cosine basis of a high-pass filter with cutoff `cutoff_s` for `volumes`
/// volumes at `tr_s` (nilearn's and fMRIPrep's: floor(2·T·TR/cutoff) − 1 columns,
/// sqrt(2/T)·cos(π k (t + ½)/T) for k = 1, 2, ...); none when cutoff_s ≤ 0.
std::vector<std::vector<double>> cosine_basis(std::int64_t volumes, double tr_s, double cutoff_s);

} // namespace dcae::preproc
