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

/// Correlation maps of temporal atoms: entry (k, v) is the Pearson r of atom k (column k of
/// `atoms`, T × K) with signal v (column v of `signals`, T × n). Signals are taken as given,
/// so centre and scale each to unit norm first (pipeline.cpp does); atoms are centred and
/// normalised here, and an atom with no variance (one no signal uses) gets a row of zeros.
/// The second stage of FSL's dual regression with one regressor at a time: where in the
/// data an atom's time course is, whatever space the atom was learned in. K × n.
Eigen::MatrixXf correlation_maps(const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                                 const Eigen::Ref<const Eigen::MatrixXf>& signals);

/// Pearson correlation of two equally long series (0 if either is constant).
double pearson(const Eigen::Ref<const Eigen::VectorXd>& a,
               const Eigen::Ref<const Eigen::VectorXd>& b);

/// Correlations of every atom (columns of `atoms`, T × K) with every regressor (T each):
/// K × R.
Eigen::MatrixXd atom_correlations(const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                                  const std::vector<std::vector<double>>& regressors);

} // namespace dcae::dict
