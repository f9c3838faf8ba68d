#pragma once
/// \file decomposition.h
/// Temporal atoms in signal space (least squares of the signals on the codes) and their
/// correlations with regressors; scoring against a task is dict/scoring.h.

#include <string>
#include <vector>

#include <Eigen/Core>

namespace dcae::dict {

/// Temporal atoms in signal space from the codes: M = argmin ‖X − M C‖²_F, i.e.
/// M = X Cᵀ (C Cᵀ + εI)⁻¹ with a tiny ridge ε for atoms no signal uses. X: T × n, C: K × n.
Eigen::MatrixXf least_squares_atoms(const Eigen::Ref<const Eigen::MatrixXf>& signals,
                                    const Eigen::Ref<const Eigen::MatrixXf>& codes);

/// Pearson correlation of two equally long series (0 if either is constant).
double pearson(const Eigen::Ref<const Eigen::VectorXd>& a,
               const Eigen::Ref<const Eigen::VectorXd>& b);

/// Correlations of every atom (columns of `atoms`, T × K) with every regressor (T each):
/// K × R.
Eigen::MatrixXd atom_correlations(const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                                  const std::vector<std::vector<double>>& regressors);

} // namespace dcae::dict
