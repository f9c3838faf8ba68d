#pragma once
/// \file itk_bridge.h
/// Private to preproc: our float images ⇄ itk::Image<float, 3>. Only preproc sources include
/// this (and so ITK); every other module sees io::Image.

#include <cstdint>
#include <vector>

#include <itkImage.h>

#include "io/nifti.h"

namespace dcae::preproc::itkb {

constexpr unsigned int kDimension = 3;
using Volume = itk::Image<float, kDimension>;
using Mask = itk::Image<unsigned char, kDimension>;

/// An ITK volume on the grid of `header` (origin, spacing and direction from its
/// voxel→world affine, world = NIfTI RAS mm), filled from `data` (voxels_per_volume floats).
Volume::Pointer make_volume(const io::ImageHeader& header, const float* data);

/// An ITK mask on the grid of `header` from 0/1 bytes.
Mask::Pointer make_mask(const io::ImageHeader& header, const std::vector<std::uint8_t>& mask);

/// Copies an ITK volume's buffer (same grid) into `out`.
void copy_out(const Volume& volume, float* out);

/// The world coordinates (mm) of the grid centre of `header`.
itk::Point<double, 3> grid_centre(const io::ImageHeader& header);

} // namespace dcae::preproc::itkb
