#include <random>

#include <gtest/gtest.h>

#include "core/error.h"
#include "dict/lasso_lars.h"
#include "test_data.h"

namespace dcae::dict {
namespace {

struct Problem {
  Eigen::MatrixXd d;
  Eigen::VectorXd x;
};

/// A random dictionary (unit-norm atoms, m × k) and a signal that mixes a few of them.
Problem random_problem(int m, int k, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  Problem p{Eigen::MatrixXd(m, k), Eigen::VectorXd(m)};
  for (int j = 0; j < k; ++j) {
    for (int i = 0; i < m; ++i) p.d(i, j) = g(rng);
    p.d.col(j).normalize();
  }
  Eigen::VectorXd alpha = Eigen::VectorXd::Zero(k);
  for (int s = 0; s < 5; ++s)
    alpha[static_cast<Eigen::Index>(rng() % static_cast<unsigned>(k))] = g(rng);
  for (int i = 0; i < m; ++i) p.x[i] = g(rng) * 0.1;
  p.x += p.d * alpha;
  return p;
}

/// Worst violation of the Lasso optimality conditions: Dᵀ(x − Dα) = λ·sign(α) on the
/// support, |Dᵀ(x − Dα)| ≤ λ off it (with α ≥ 0: ≤ λ off the support, no sign −1).
double kkt_violation(const Problem& p, const Eigen::VectorXd& alpha, double lambda, bool positive) {
  const Eigen::VectorXd c = p.d.transpose() * (p.x - p.d * alpha);
  double worst = 0.0;
  for (Eigen::Index j = 0; j < alpha.size(); ++j) {
    if (alpha[j] != 0.0) {
      if (positive && alpha[j] < 0) return 1e9;
      worst = std::max(worst, std::abs(c[j] - lambda * (alpha[j] > 0 ? 1.0 : -1.0)));
    } else {
      worst = std::max(worst, positive ? std::max(0.0, c[j] - lambda)
                                       : std::max(0.0, std::abs(c[j]) - lambda));
    }
  }
  return worst;
}

TEST(LassoLars, SatisfiesOptimalityConditionsOnRandomProblems) {
  int total_nnz = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const int m = 20 + static_cast<int>(seed % 5) * 15, k = 10 + static_cast<int>(seed % 7) * 20;
    const Problem p = random_problem(m, k, seed);
    const Eigen::MatrixXd gram = p.d.transpose() * p.d;
    const Eigen::VectorXd dtx = p.d.transpose() * p.x;
    LassoLars lars(k);
    for (double frac : {0.9, 0.5, 0.2, 0.05}) {
      const double lambda = frac * dtx.cwiseAbs().maxCoeff();
      for (bool positive : {false, true}) {
        Eigen::VectorXd alpha(k);
        total_nnz += lars.solve(gram, dtx, {lambda, positive, 0}, alpha);
        EXPECT_LT(kkt_violation(p, alpha, lambda, positive), 1e-6)
            << "seed " << seed << " m " << m << " k " << k << " lambda " << lambda << " positive "
            << positive;
      }
    }
  }
  EXPECT_GT(total_nnz, 400); // the problems were not trivially all-zero
}

TEST(LassoLars, ZeroWhenLambdaExceedsEveryCorrelation) {
  const Problem p = random_problem(30, 40, 7);
  const Eigen::MatrixXd gram = p.d.transpose() * p.d;
  const Eigen::VectorXd dtx = p.d.transpose() * p.x;
  LassoLars lars(40);
  Eigen::VectorXd alpha(40);
  EXPECT_EQ(lars.solve(gram, dtx, {dtx.cwiseAbs().maxCoeff() * 1.01, false, 0}, alpha), 0);
  EXPECT_EQ(alpha.cwiseAbs().maxCoeff(), 0.0);
}

TEST(LassoLars, LambdaZeroOnAnOrthonormalDictionaryIsLeastSquares) {
  const Eigen::MatrixXd q = Eigen::MatrixXd::Identity(12, 12);
  Eigen::VectorXd x(12);
  for (int i = 0; i < 12; ++i) x[i] = (i % 3 - 1) * (i + 1.0);
  LassoLars lars(12);
  Eigen::VectorXd alpha(12);
  lars.solve(q, x, {0.0, false, 0}, alpha);
  EXPECT_LT((alpha - x).cwiseAbs().maxCoeff(), 1e-12);
  // Soft thresholding with λ = 2.5.
  lars.solve(q, x, {2.5, false, 0}, alpha);
  for (int i = 0; i < 12; ++i) {
    const double expect = std::copysign(std::max(0.0, std::abs(x[i]) - 2.5), x[i]);
    EXPECT_NEAR(alpha[i], expect, 1e-12);
  }
}

TEST(LassoLars, MaxActiveLimitsTheSupport) {
  const Problem p = random_problem(40, 60, 3);
  LassoLars lars(60);
  Eigen::VectorXd alpha(60);
  const int nnz = lars.solve(p.d.transpose() * p.d, p.d.transpose() * p.x, {1e-4, false, 3}, alpha);
  EXPECT_LE(nnz, 3);
  EXPECT_GE(nnz, 1);
}

TEST(LassoLars, RejectsMismatchedSizesAndNegativeLambda) {
  LassoLars lars(5);
  Eigen::VectorXd alpha(5);
  test::expect_error(
      [&] {
        lars.solve(Eigen::MatrixXd::Identity(4, 4), Eigen::VectorXd::Zero(4), {0.1, false, 0},
                   alpha);
      },
      ExitCode::kBadUsage, {"5 atoms"});
  test::expect_error(
      [&] {
        lars.solve(Eigen::MatrixXd::Identity(5, 5), Eigen::VectorXd::Zero(5), {-1.0, false, 0},
                   alpha);
      },
      ExitCode::kBadUsage, {"lambda"});
}

} // namespace
} // namespace dcae::dict
