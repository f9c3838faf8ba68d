// Nuisance regression: fMRIPrep's motion expansions, and least-squares residuals that match the
// normal equations solved independently.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "preproc/nuisance.h"
#include "test_data.h"

namespace dcae::preproc {
namespace {

std::vector<io::MotionParams> random_motion(std::size_t nt, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, 0.3);
  std::vector<io::MotionParams> m(nt);
  for (std::size_t t = 0; t < nt; ++t)
    for (std::size_t k = 0; k < 6; ++k) m[t][k] = (t ? m[t - 1][k] : 0.0) + d(rng);
  return m;
}

/// Solves the normal equations X'X b = X'y by Gauss–Jordan elimination with partial pivoting
/// (X with an intercept column) and returns y − Xb: an independent least-squares residual.
std::vector<double> normal_equations_residual(const std::vector<std::vector<double>>& cols,
                                              const std::vector<double>& y) {
  std::vector<std::vector<double>> x = cols;
  x.insert(x.begin(), std::vector<double>(y.size(), 1.0));
  const std::size_t p = x.size(), n = y.size();
  std::vector<std::vector<double>> a(p, std::vector<double>(p + 1, 0.0));
  for (std::size_t i = 0; i < p; ++i) {
    for (std::size_t j = 0; j < p; ++j)
      for (std::size_t t = 0; t < n; ++t) a[i][j] += x[i][t] * x[j][t];
    for (std::size_t t = 0; t < n; ++t) a[i][p] += x[i][t] * y[t];
  }
  for (std::size_t c = 0; c < p; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < p; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    std::swap(a[c], a[piv]);
    for (std::size_t r = 0; r < p; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k <= p; ++k) a[r][k] -= f * a[c][k];
    }
  }
  std::vector<double> res = y;
  for (std::size_t i = 0; i < p; ++i)
    for (std::size_t t = 0; t < n; ++t) res[t] -= a[i][p] / a[i][i] * x[i][t];
  return res;
}

} // namespace

TEST(MotionRegressors, SixAndTwentyFourColumnsAsFmriprepNamesThem) {
  const auto m = random_motion(50, 1);
  EXPECT_TRUE(motion_regressors(m, 0).columns.empty());
  const auto six = motion_regressors(m, 6);
  ASSERT_EQ(six.columns.size(), 6U);
  EXPECT_EQ(six.names.front(), "trans_x");
  EXPECT_EQ(six.names.back(), "rot_z");
  const auto r24 = motion_regressors(m, 24);
  ASSERT_EQ(r24.columns.size(), 24U);
  ASSERT_EQ(r24.names.size(), 24U);
  EXPECT_EQ(r24.names[6], "trans_x_derivative1");
  EXPECT_EQ(r24.names[12], "trans_x_power2");
  EXPECT_EQ(r24.names[23], "rot_z_derivative1_power2");
  EXPECT_EQ(r24.columns[6][0], 0.0) << "no difference at the first volume";
  EXPECT_DOUBLE_EQ(r24.columns[6][7], m[7][0] - m[6][0]);
  EXPECT_DOUBLE_EQ(r24.columns[12][7], m[7][0] * m[7][0]);
  EXPECT_DOUBLE_EQ(r24.columns[23][7], std::pow(m[7][5] - m[6][5], 2));
  test::expect_error([&] { motion_regressors(m, 12); }, ExitCode::kBadUsage, {"0, 6 or 24"});
}

TEST(NuisanceBasis, ResidualsEqualTheNormalEquations) {
  const std::size_t nt = 120;
  const auto cols = motion_regressors(random_motion(nt, 2), 24).columns;
  const NuisanceBasis basis(cols, static_cast<std::int64_t>(nt));
  EXPECT_EQ(basis.rank(), 25) << "24 independent columns and the intercept";
  std::mt19937 rng(3);
  std::normal_distribution<double> d(0.0, 1.0);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> y(nt);
    for (std::size_t t = 0; t < nt; ++t) y[t] = 100.0 + 2.0 * cols[trial][t] + d(rng);
    const auto expected = normal_equations_residual(cols, y);
    basis.project_out(y.data());
    double worst = 0.0, mean = 0.0;
    for (std::size_t t = 0; t < nt; ++t) {
      worst = std::max(worst, std::fabs(y[t] - expected[t]));
      mean += y[t] / static_cast<double>(nt);
    }
    EXPECT_LT(worst, 1e-8);
    EXPECT_NEAR(mean, 0.0, 1e-10);
  }
}

TEST(NuisanceBasis, DropsConstantAndDependentColumns) {
  const std::size_t nt = 60;
  auto cols = motion_regressors(random_motion(nt, 4), 6).columns;
  cols.push_back(std::vector<double>(nt, 3.0)); // a constant: the intercept already spans it
  cols.push_back(std::vector<double>(nt, 0.0)); // no motion about this axis
  std::vector<double> combo(nt);
  for (std::size_t t = 0; t < nt; ++t) combo[t] = 2.0 * cols[0][t] - cols[1][t] + 5.0;
  cols.push_back(combo);
  const NuisanceBasis basis(cols, static_cast<std::int64_t>(nt));
  EXPECT_EQ(basis.rank(), 7);
  std::vector<double> y = combo;
  basis.project_out(y.data());
  for (const double v : y) EXPECT_NEAR(v, 0.0, 1e-9);
  EXPECT_TRUE(NuisanceBasis().empty());
  test::expect_error([&] { NuisanceBasis({std::vector<double>(10, 1.0)}, 12); },
                     ExitCode::kBadUsage, {"10 values", "12 volumes"});
}

} // namespace dcae::preproc
