#pragma once
/// \file temporal_filter.h
/// High-pass temporal filtering as FEAT's prestats does it with `fslmaths -bptf <sigma> -1`:
/// at every volume a Gaussian-weighted straight line (weights exp(−½dt²/σ²), |dt| ≤ int(3σ),
/// truncated at the run's ends) is fitted to the series around it and its value there is
/// subtracted; the temporal mean is then added back (FEAT's `-add tempMean`). Older fslmaths
/// builds add the first volume's fit (c0) instead of the mean; the filtered signal is the same.

#include <cstdint>

#include "io/nifti.h"

namespace dcae::preproc {

/// FEAT's sigma in volumes for a cutoff period in seconds: cutoff / (2·TR).
double highpass_sigma_volumes(double cutoff_s, double tr_s);

/// Filters `n_series` series of length `n_time`, stored time-major (`data[t * n_series + s]`,
/// the layout of a 4-D NIfTI's volumes), in place. `sigma` in volumes (> 0). Works on blocks
/// of series so extra memory is small. Thread-safe for distinct data; uses thread_count().
void highpass_filter(float* data, std::int64_t n_series, std::int64_t n_time, double sigma);

/// Filters every voxel of a 4-D image in place (cutoff in seconds, TR from the header).
/// Throws usage_error if the image has no TR or cutoff_s <= 0.
void highpass_filter(io::Image& image, double cutoff_s);

}  // namespace dcae::preproc
