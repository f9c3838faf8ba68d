#pragma once
/// \file lasso_lars.h
/// LARS-Lasso (Efron et al. 2004, with the Lasso modification): the exact solution of
///   min_α ½‖x − Dα‖² + λ‖α‖₁   (optionally with α ≥ 0)
/// by following the regularisation path from α = 0 down to λ. Works on the Gram matrix
/// G = DᵀD and the correlations Dᵀx, so that a batch of signals shares one G (as SPAMS and
/// scikit-learn's `lasso_lars` do). The active set's Gram block is kept as an incrementally
/// updated Cholesky factor.

#include <vector>

#include <Eigen/Core>

namespace dcae::dict {

struct LarsOptions {
  double lambda = 0.1;   ///< ℓ1 weight (≥ 0)
  bool positive = false; ///< constrain α ≥ 0
  int max_active = 0;    ///< stop when this many atoms are active (0: no limit)
};

/// A reusable solver for dictionaries of K atoms; holds its workspace (one per thread).
class LassoLars {
public:
  explicit LassoLars(int n_atoms);

  /// Solves for one signal: `gram` = DᵀD (K×K), `dtx` = Dᵀx (K). Writes α into `alpha`
  /// (K, dense). Returns the number of non-zero coefficients.
  int solve(const Eigen::Ref<const Eigen::MatrixXd>& gram,
            const Eigen::Ref<const Eigen::VectorXd>& dtx, const LarsOptions& options,
            Eigen::Ref<Eigen::VectorXd> alpha);

  int n_atoms() const { return k_; }

  /// Path steps taken by the last solve (joins + drops).
  int last_steps() const { return steps_; }

private:
  bool add_to_cholesky(const Eigen::Ref<const Eigen::MatrixXd>& gram, int j);
  void refactor(const Eigen::Ref<const Eigen::MatrixXd>& gram);
  void solve_active(Eigen::VectorXd& rhs_in_out) const; // G_AA⁻¹ rhs, n = active size

  int k_;
  std::vector<int> active_;
  std::vector<double> sign_;
  std::vector<char> state_; // 0 free, 1 active, 2 excluded (collinear with the active set)
  Eigen::MatrixXd chol_;    // lower factor of G_AA in the top-left n×n block
  Eigen::VectorXd corr_, a_, w_, tmp_;
  int steps_ = 0;
};

} // namespace dcae::dict
