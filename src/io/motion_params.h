#pragma once
/// \file motion_params.h
/// Rigid head-motion parameters per volume, as simulated, estimated and written in confounds:
/// trans_x, trans_y, trans_z (mm), rot_x, rot_y, rot_z (degrees), in ITK's Euler3DTransform
/// convention (T(p) = R·(p − c) + c + t, R = Rz·Rx·Ry, c = grid centre).

#include <array>
#include <vector>

namespace dcae::io {

/// trans_x, trans_y, trans_z (mm), rot_x, rot_y, rot_z (degrees).
using MotionParams = std::array<double, 6>;

/// Column names in fMRIPrep's confounds order.
inline constexpr const char* kMotionColumns[6] = {"trans_x", "trans_y", "trans_z",
                                                  "rot_x",   "rot_y",   "rot_z"};

/// Framewise displacement (Power et al. 2012): the sum of absolute differences of the six
/// parameters from the previous volume, rotations as arc length on a sphere of `radius_mm`
/// (mm). The first entry is 0.
std::vector<double> framewise_displacement(const std::vector<MotionParams>& params,
                                           double radius_mm = 50.0);

} // namespace dcae::io
