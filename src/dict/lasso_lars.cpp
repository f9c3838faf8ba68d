#include "dict/lasso_lars.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>

#include "core/error.h"

namespace dcae::dict {
namespace {
constexpr double kTiny = 1e-12;      // step lengths at or below this are "now"
constexpr double kCollinear = 1e-10; // a pivot this small: the atom adds nothing new
} // namespace

LassoLars::LassoLars(int n_atoms)
    : k_(n_atoms), state_(static_cast<std::size_t>(n_atoms), 0), chol_(n_atoms, n_atoms),
      corr_(n_atoms), a_(n_atoms), w_(n_atoms), tmp_(n_atoms) {
  if (n_atoms <= 0) throw usage_error("LARS: the dictionary needs at least one atom");
  active_.reserve(static_cast<std::size_t>(n_atoms));
  sign_.reserve(static_cast<std::size_t>(n_atoms));
}

bool LassoLars::add_to_cholesky(const Eigen::Ref<const Eigen::MatrixXd>& gram, int j) {
  const auto n = static_cast<Eigen::Index>(active_.size());
  for (Eigen::Index i = 0; i < n; ++i) tmp_[i] = gram(active_[static_cast<std::size_t>(i)], j);
  // Forward substitution L v = G_Aj.
  for (Eigen::Index i = 0; i < n; ++i) {
    double s = tmp_[i];
    for (Eigen::Index q = 0; q < i; ++q) s -= chol_(i, q) * tmp_[q];
    tmp_[i] = s / chol_(i, i);
  }
  const double d2 = gram(j, j) - tmp_.head(n).squaredNorm();
  if (!(d2 > kCollinear * std::max(1.0, gram(j, j)))) return false;
  chol_.row(n).head(n) = tmp_.head(n).transpose();
  chol_(n, n) = std::sqrt(d2);
  return true;
}

void LassoLars::refactor(const Eigen::Ref<const Eigen::MatrixXd>& gram) {
  const auto n = static_cast<Eigen::Index>(active_.size());
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index q = 0; q <= i; ++q)
      chol_(i, q) =
          gram(active_[static_cast<std::size_t>(i)], active_[static_cast<std::size_t>(q)]);
  for (Eigen::Index i = 0; i < n; ++i) { // in-place Cholesky of the lower triangle
    for (Eigen::Index q = 0; q < i; ++q) {
      double s = chol_(i, q);
      for (Eigen::Index r = 0; r < q; ++r) s -= chol_(i, r) * chol_(q, r);
      chol_(i, q) = s / chol_(q, q);
    }
    double s = chol_(i, i);
    for (Eigen::Index r = 0; r < i; ++r) s -= chol_(i, r) * chol_(i, r);
    chol_(i, i) = std::sqrt(std::max(s, kCollinear));
  }
}

void LassoLars::solve_active(Eigen::VectorXd& v) const {
  const auto n = static_cast<Eigen::Index>(active_.size());
  for (Eigen::Index i = 0; i < n; ++i) {
    double s = v[i];
    for (Eigen::Index q = 0; q < i; ++q) s -= chol_(i, q) * v[q];
    v[i] = s / chol_(i, i);
  }
  for (Eigen::Index i = n - 1; i >= 0; --i) {
    double s = v[i];
    for (Eigen::Index q = i + 1; q < n; ++q) s -= chol_(q, i) * v[q];
    v[i] = s / chol_(i, i);
  }
}

int LassoLars::solve(const Eigen::Ref<const Eigen::MatrixXd>& gram,
                     const Eigen::Ref<const Eigen::VectorXd>& dtx, const LarsOptions& options,
                     Eigen::Ref<Eigen::VectorXd> alpha) {
  if (gram.rows() != k_ || gram.cols() != k_ || dtx.size() != k_ || alpha.size() != k_)
    throw usage_error("LARS: the Gram matrix, correlations and codes must all have " +
                      std::to_string(k_) + " atoms");
  const double lambda = options.lambda;
  if (!(lambda >= 0.0)) throw usage_error("LARS: lambda must be non-negative");
  const int max_active = options.max_active > 0 ? std::min(options.max_active, k_) : k_;

  alpha.setZero();
  active_.clear();
  sign_.clear();
  std::fill(state_.begin(), state_.end(), 0);
  corr_ = dtx;
  steps_ = 0;

  // The most correlated free atom (largest |c| or, with α ≥ 0, largest c).
  auto best_free = [&](double& value) {
    int best = -1;
    value = -std::numeric_limits<double>::infinity();
    for (int j = 0; j < k_; ++j) {
      if (state_[static_cast<std::size_t>(j)] != 0) continue;
      const double c = options.positive ? corr_[j] : std::abs(corr_[j]);
      if (c > value) {
        value = c;
        best = j;
      }
    }
    return best;
  };

  double c_max = 0.0;
  int j0 = best_free(c_max);
  if (j0 < 0 || c_max <= lambda) return 0;
  active_.push_back(j0);
  sign_.push_back(corr_[j0] >= 0.0 ? 1.0 : -1.0);
  state_[static_cast<std::size_t>(j0)] = 1;
  chol_(0, 0) = std::sqrt(std::max(gram(j0, j0), kCollinear));

  bool reached_lambda = false;
  for (int iter = 0; iter < 8 * k_ + 8; ++iter) {
    const auto n = static_cast<Eigen::Index>(active_.size());
    // Equiangular direction: G_AA w = s_A.
    for (Eigen::Index i = 0; i < n; ++i) w_[i] = sign_[static_cast<std::size_t>(i)];
    {
      Eigen::VectorXd v = w_.head(n);
      solve_active(v);
      w_.head(n) = v;
    }
    a_.setZero();
    for (Eigen::Index i = 0; i < n; ++i)
      a_.noalias() += gram.col(active_[static_cast<std::size_t>(i)]) * w_[i];

    // Step to λ, to the next join, or to the next sign change (the Lasso modification).
    double gamma = c_max - lambda;
    int event = 0, who = -1; // 0 λ reached, 1 join, 2 drop
    for (int j = 0; j < k_; ++j) {
      if (state_[static_cast<std::size_t>(j)] != 0) continue;
      const double den1 = 1.0 - a_[j];
      if (den1 > kTiny) {
        const double g = (c_max - corr_[j]) / den1;
        if (g > kTiny && g < gamma) {
          gamma = g;
          event = 1;
          who = j;
        }
      }
      if (!options.positive) {
        const double den2 = 1.0 + a_[j];
        if (den2 > kTiny) {
          const double g = (c_max + corr_[j]) / den2;
          if (g > kTiny && g < gamma) {
            gamma = g;
            event = 1;
            who = j;
          }
        }
      }
    }
    for (Eigen::Index i = 0; i < n; ++i) {
      const double ai = alpha[active_[static_cast<std::size_t>(i)]];
      if (w_[i] == 0.0) continue;
      const double g = -ai / w_[i];
      if (g > kTiny && g < gamma) {
        gamma = g;
        event = 2;
        who = static_cast<int>(i);
      }
    }
    gamma = std::max(gamma, 0.0);

    for (Eigen::Index i = 0; i < n; ++i)
      alpha[active_[static_cast<std::size_t>(i)]] += gamma * w_[i];
    corr_.noalias() -= gamma * a_;
    c_max -= gamma;
    ++steps_;

    if (event == 0) {
      reached_lambda = true;
      break;
    }
    if (event == 2) {
      const auto pos = static_cast<std::size_t>(who);
      const int j = active_[pos];
      alpha[j] = 0.0;
      state_[static_cast<std::size_t>(j)] = 0;
      active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(pos));
      sign_.erase(sign_.begin() + static_cast<std::ptrdiff_t>(pos));
      refactor(gram);
      if (active_.empty()) { // all dropped: restart from the most correlated atom
        int j1 = best_free(c_max);
        if (j1 < 0 || c_max <= lambda) {
          reached_lambda = true;
          break;
        }
        active_.push_back(j1);
        sign_.push_back(corr_[j1] >= 0.0 ? 1.0 : -1.0);
        state_[static_cast<std::size_t>(j1)] = 1;
        refactor(gram);
      }
      continue;
    }
    // Join.
    if (static_cast<int>(active_.size()) >= max_active) break;
    if (!add_to_cholesky(gram, who)) {
      state_[static_cast<std::size_t>(who)] = 2; // collinear with the active atoms: skip it
      continue;
    }
    active_.push_back(who);
    sign_.push_back(corr_[who] >= 0.0 ? 1.0 : -1.0);
    state_[static_cast<std::size_t>(who)] = 1;
  }

  // Polish: at λ the active coefficients solve G_AA α_A = Dᵀx_A − λ s_A exactly; use that
  // instead of the accumulated path steps unless it would flip a sign.
  if (reached_lambda && !active_.empty()) {
    const auto n = static_cast<Eigen::Index>(active_.size());
    Eigen::VectorXd v(n);
    for (Eigen::Index i = 0; i < n; ++i)
      v[i] =
          dtx[active_[static_cast<std::size_t>(i)]] - lambda * sign_[static_cast<std::size_t>(i)];
    solve_active(v);
    bool consistent = true;
    for (Eigen::Index i = 0; i < n; ++i)
      if (v[i] * sign_[static_cast<std::size_t>(i)] < 0.0) consistent = false;
    if (consistent)
      for (Eigen::Index i = 0; i < n; ++i) alpha[active_[static_cast<std::size_t>(i)]] = v[i];
  }
  int nnz = 0;
  for (int j = 0; j < k_; ++j) nnz += alpha[j] != 0.0 ? 1 : 0;
  return nnz;
}

} // namespace dcae::dict
