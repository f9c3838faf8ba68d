#include "dict/decomposition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "test_data.h"

namespace dcae::dict {
namespace {

TEST(Decomposition, LeastSquaresAtomsRecoverTheMixing) {
  const Eigen::MatrixXf m = Eigen::MatrixXf::Random(50, 4);
  const Eigen::MatrixXf c = Eigen::MatrixXf::Random(4, 300);
  const Eigen::MatrixXf x = m * c;
  const Eigen::MatrixXf est = least_squares_atoms(x, c);
  EXPECT_LT((est - m).cwiseAbs().maxCoeff(), 1e-4f);
  // An atom no voxel uses gets a zero column instead of a failure.
  Eigen::MatrixXf c2 = c;
  c2.row(2).setZero();
  const Eigen::MatrixXf est2 = least_squares_atoms(m * c2, c2);
  EXPECT_LT(est2.col(2).cwiseAbs().maxCoeff(), 1e-3f);
  test::expect_error([&] { least_squares_atoms(x, c.leftCols(10)); }, ExitCode::kBadUsage, {"300 signals"});
}

TEST(Decomposition, PearsonIsScaleAndShiftInvariant) {
  Eigen::VectorXd a(6), b(6);
  a << 1, 2, 3, 4, 5, 7;
  b = 3.0 * a.array() + 10.0;
  EXPECT_NEAR(pearson(a, b), 1.0, 1e-12);
  EXPECT_NEAR(pearson(a, -b), -1.0, 1e-12);
  EXPECT_EQ(pearson(a, Eigen::VectorXd::Constant(6, 2.0)), 0.0);
}

TEST(Decomposition, BestMatchAndOrientation) {
  const int t = 100;
  std::vector<std::vector<double>> regs(2, std::vector<double>(t));
  Eigen::MatrixXf atoms(t, 3);
  for (int i = 0; i < t; ++i) {
    regs[0][static_cast<std::size_t>(i)] = std::sin(i * 0.2);
    regs[1][static_cast<std::size_t>(i)] = (i / 10) % 2;
    atoms(i, 0) = static_cast<float>(std::cos(i * 0.37));                      // neither
    atoms(i, 1) = static_cast<float>(-2.0 * regs[1][static_cast<std::size_t>(i)] + 0.1 * std::sin(i * 1.3));  // −block
    atoms(i, 2) = static_cast<float>(std::sin(i * 0.2) + 0.05);                // +sine
  }
  Eigen::MatrixXf codes = Eigen::MatrixXf::Ones(3, 5);
  const Eigen::MatrixXf product = atoms * codes;
  const auto flipped = orient_atoms(atoms, codes, regs);
  EXPECT_NE(std::find(flipped.begin(), flipped.end(), 1), flipped.end());  // the −block atom
  EXPECT_EQ(std::find(flipped.begin(), flipped.end(), 2), flipped.end());  // the +sine atom
  EXPECT_LT((atoms * codes - product).cwiseAbs().maxCoeff(), 1e-5f);  // the product is unchanged
  const auto scores = best_matching_atoms(atoms, {"sine", "block"}, regs);
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_EQ(scores[0].atom, 2);
  EXPECT_NEAR(scores[0].r, 1.0, 1e-6);
  EXPECT_EQ(scores[1].atom, 1);
  EXPECT_GT(scores[1].r, 0.95);
  test::expect_error([&] { best_matching_atoms(atoms.topRows(50), {"sine", "block"}, regs); }, ExitCode::kBadInput,
                     {"100 volumes", "50"});
}

}  // namespace
}  // namespace dcae::dict
