#pragma once
/// \file nuisance_basis.h
/// Least squares against a few nuisance regressors, done once per run: an orthonormal basis of
/// the regressors and the intercept, projected out of any number of series. Used on voxel
/// series before they become a shard (preproc) and, as FEAT's GLM does with confound EVs, on
/// the task design those series are scored against (io/task_design.h).

#include <cstdint>
#include <vector>

namespace dcae {

/// An orthonormal basis of the regressors and the intercept (modified Gram–Schmidt, columns
/// that are constant or depend on earlier ones dropped), projected out of series in place.
class NuisanceBasis {
public:
  NuisanceBasis() = default;
  /// Throws usage_error when a column's length differs from n_time or holds a non-finite value.
  NuisanceBasis(const std::vector<std::vector<double>>& columns, std::int64_t n_time);

  /// Replaces the series (n_time values) by its residual after least squares on the columns
  /// and the intercept: its mean is then 0. A no-op for an empty basis.
  void project_out(double* series) const;
  /// Independent columns kept, the intercept included (0 for an empty basis).
  int rank() const { return static_cast<int>(basis_.size()); }
  bool empty() const { return basis_.empty(); }

private:
  std::int64_t n_time_ = 0;
  std::vector<std::vector<double>> basis_; ///< orthonormal, each n_time long
};

} // namespace dcae
