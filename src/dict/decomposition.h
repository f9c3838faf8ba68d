#pragma once
/// \file decomposition.h
/// What turns a learned dictionary into results a neuroimager reads: temporal atoms in signal
/// space (least squares of the signals on the codes), atoms oriented and scored against the
/// HRF-convolved task design (best-matching atom per condition, Pearson r).

#include <string>
#include <vector>

#include <Eigen/Core>

namespace dcae::dict {

/// Temporal atoms in signal space from the codes: M = argmin ‖X − M C‖²_F, i.e.
/// M = X Cᵀ (C Cᵀ + εI)⁻¹ with a tiny ridge ε for atoms no signal uses. X: T × n, C: K × n.
Eigen::MatrixXf least_squares_atoms(const Eigen::Ref<const Eigen::MatrixXf>& signals,
                                    const Eigen::Ref<const Eigen::MatrixXf>& codes);

/// Pearson correlation of two equally long series (0 if either is constant).
double pearson(const Eigen::Ref<const Eigen::VectorXd>& a, const Eigen::Ref<const Eigen::VectorXd>& b);

/// The best-matching atom of one condition.
struct ConditionScore {
  std::string condition;
  int atom = -1;
  double r = 0.0;  ///< Pearson r of the (oriented) atom with the regressor
};

/// Correlations of every atom (columns of `atoms`, T × K) with every regressor (T each):
/// K × R.
Eigen::MatrixXd atom_correlations(const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                                  const std::vector<std::vector<double>>& regressors);

/// Flips the sign of each atom whose largest-|r| correlation with the regressors is negative
/// (and of its codes, so that atoms·codes is unchanged). Returns the flipped atoms' indices.
std::vector<int> orient_atoms(Eigen::Ref<Eigen::MatrixXf> atoms, Eigen::Ref<Eigen::MatrixXf> codes,
                              const std::vector<std::vector<double>>& regressors);

/// For each condition, the atom with the largest |r| and its r.
std::vector<ConditionScore> best_matching_atoms(const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                                                const std::vector<std::string>& conditions,
                                                const std::vector<std::vector<double>>& regressors);

}  // namespace dcae::dict
