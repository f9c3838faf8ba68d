#pragma once
/// \file temporal_filter.h
/// FEAT's high-pass temporal filter (`fslmaths -bptf <sigma> -1`) on plain arrays: at every
/// time point a Gaussian-weighted straight line (weights exp(−½dt²/σ²), |dt| ≤ int(3σ),
/// truncated at the series' ends) is fitted to the samples around it and its value there is
/// subtracted; the series' mean is then added back (FEAT's `-add tempMean`). Used on images
/// (preproc) and, as FEAT does, on the HRF-convolved task design that data are scored against.

#include <cstdint>
#include <vector>

namespace dcae {

/// FEAT's sigma in volumes for a cutoff period in seconds: cutoff / (2·TR). Throws usage_error
/// unless both are positive.
double highpass_sigma_volumes(double cutoff_s, double tr_s);

/// Filters `n_series` series of length `n_time`, stored time-major (`data[t * n_series + s]`,
/// the layout of a 4-D NIfTI's volumes), in place. `sigma` in volumes (> 0). Works on blocks
/// of series so extra memory is small; uses thread_count() threads.
void highpass_filter(float* data, std::int64_t n_series, std::int64_t n_time, double sigma);

/// One series, filtered the same way (double precision).
std::vector<double> highpass_filter(const std::vector<double>& series, double sigma);

} // namespace dcae
