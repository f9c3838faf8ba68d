#pragma once
/// \file nuisance.h
/// Nuisance regression before decomposition, as FEAT/MELODIC users expect: the head-motion
/// parameters (6, or Friston's 24: the parameters, their backward differences and the squares
/// of both, named as fMRIPrep names them) are filtered with the data's own high-pass, then
/// regressed out of every voxel's series (ordinary least squares with an intercept) before the
/// series is z-scored into a shard. Filtering the regressors like the data keeps the
/// regression from re-introducing the drifts the filter removed.

#include <cstdint>
#include <string>
#include <vector>

#include "core/nuisance_basis.h"
#include "io/motion_params.h"

namespace dcae::preproc {

/// The motion regressors of a run: `model` 0 (none), 6 or 24 columns of T values each, with
/// their fMRIPrep names. Throws usage_error for another model.
struct NuisanceRegressors {
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns; ///< [regressor][volume]
};
NuisanceRegressors motion_regressors(const std::vector<io::MotionParams>& motion, int model);

using dcae::NuisanceBasis;

} // namespace dcae::preproc
