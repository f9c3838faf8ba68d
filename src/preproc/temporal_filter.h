#pragma once
/// \file temporal_filter.h
/// High-pass temporal filtering of a 4-D image as FEAT's prestats does it with
/// `fslmaths -bptf <sigma> -1` (the filter itself: core/temporal_filter.h). Older fslmaths
/// builds add the first volume's fit (c0) instead of the mean; the filtered signal is the same.

#include "core/temporal_filter.h"
#include "io/nifti.h"

namespace dcae::preproc {

using dcae::highpass_filter;
using dcae::highpass_sigma_volumes;

/// Filters every voxel of a 4-D image in place (cutoff in seconds, TR from the header).
/// Throws usage_error if the image has no TR or cutoff_s <= 0.
void highpass_filter(io::Image& image, double cutoff_s);

} // namespace dcae::preproc
