#pragma once
/// \file motion.h
/// Rigid head motion: parameter trajectories and resampling of volumes.
///
/// Convention (the same as ITK's Euler3DTransform, so registration recovers these numbers):
/// parameters (trans_x, trans_y, trans_z) in mm and (rot_x, rot_y, rot_z) in degrees;
/// the transform T(p) = R·(p − c) + c + t maps a point's world position (mm) in the reference
/// volume to its position in this volume; R = Rz·Rx·Ry; c is the grid centre.

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "io/motion_params.h"
#include "io/nifti.h"
#include "sim/anatomy.h"

namespace dcae::sim {

using io::MotionParams;

/// A smooth random trajectory of `n` volumes with translations up to about `max_mm`, rotations
/// up to about `max_deg`, plus `spikes` one-volume jerks; relative to the middle volume
/// (index n/2), whose parameters are all zero.
std::vector<MotionParams> simulate_motion(std::int64_t n, double max_mm, double max_deg, int spikes,
                                          std::mt19937_64& rng);

/// The 4x4 world→world matrix of T for parameters `p` about centre `c` (mm).
io::Matrix4 rigid_matrix(const MotionParams& p, const std::array<double, 3>& c);

/// out(y) = in(T⁻¹(y)) by Lanczos-3 (windowed-sinc) interpolation, 0 outside: the object of
/// `in` moved by T, band-limited as a scanner's image of a moving head is (k-space sampling).
/// Trilinear interpolation would blur each volume by a different amount (by its sub-voxel
/// shift), a motion-locked intensity change that scanners do not make.
void resample_rigid(const Grid& grid, const float* in, const io::Matrix4& transform, float* out);

} // namespace dcae::sim
