#pragma once
/// \file smoothing.h
/// Spatial smoothing with a Gaussian kernel of a given FWHM (mm), restricted to a mask:
/// S(x·m)/S(m) inside the mask (normalised convolution, so the brain's edge is not darkened by
/// the background), 0 outside.

#include <cstdint>
#include <vector>

#include "io/nifti.h"

namespace dcae::preproc {

/// σ of a Gaussian with this FWHM: FWHM / (2·√(2·ln 2)) = FWHM / 2.3548.
double fwhm_to_sigma(double fwhm_mm);

/// Smooths every volume in place (parallel over volumes). `mask` may be empty (no restriction).
/// fwhm_mm ≤ 0 leaves the image unchanged.
void smooth(io::Image& image, const std::vector<std::uint8_t>& mask, double fwhm_mm);

} // namespace dcae::preproc
