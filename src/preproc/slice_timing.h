#pragma once
/// \file slice_timing.h
/// Slice-timing correction as FSL's `slicetimer` does it: every voxel's series is shifted in
/// time so that all slices appear sampled at the middle of each TR. The voxel in slice s of
/// volume t was acquired at t·TR + slice_times_s[s]; its corrected value is the series
/// interpolated at t·TR + TR/2 with a Hanning-windowed sinc kernel (half-width 4 volumes,
/// weights renormalised to sum 1), the edge volumes replicated beyond the run's ends.

#include <vector>

#include "io/nifti.h"

namespace dcae::preproc {

/// Corrects a 4-D image in place. `slice_times_s[s]` (s, in [0, tr_s)) is the acquisition
/// time of slice s along `slice_axis` (0 = x, 1 = y, 2 = z) within each TR (s); `tr_s` > 0.
/// A slice acquired at exactly TR/2 is left unchanged. Throws usage_error if the number of
/// times differs from the image's size along the axis, a time is non-finite or outside
/// [0, TR), the axis is not 0..2 or tr_s <= 0. Parallel over slices (thread_count());
/// extra memory is one voxel series per thread.
void slice_timing_correct(io::Image& bold, const std::vector<double>& slice_times_s, int slice_axis,
                          double tr_s);

} // namespace dcae::preproc
