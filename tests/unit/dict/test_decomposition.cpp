#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "dict/decomposition.h"
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
  test::expect_error([&] { least_squares_atoms(x, c.leftCols(10)); }, ExitCode::kBadUsage,
                     {"300 signals"});
}

TEST(Decomposition, CorrelationMapsArePearsonRWithEachAtom) {
  const Eigen::MatrixXf atoms = Eigen::MatrixXf::Random(40, 3);
  Eigen::MatrixXf signals = Eigen::MatrixXf::Random(40, 25);
  signals.rowwise() -= signals.colwise().mean();
  signals.array().rowwise() /= signals.colwise().norm().array();
  // Offsets and scales of an atom change nothing; an unused (zero) atom maps to zeros.
  Eigen::MatrixXf given(40, 4);
  given << atoms.col(0), 5.0f * atoms.col(1).array() + 3.0f, atoms.col(2),
      Eigen::VectorXf::Zero(40);
  const Eigen::MatrixXf maps = correlation_maps(given, signals);
  ASSERT_EQ(maps.rows(), 4);
  ASSERT_EQ(maps.cols(), 25);
  for (Eigen::Index k = 0; k < 3; ++k)
    for (Eigen::Index v = 0; v < 25; ++v)
      EXPECT_NEAR(maps(k, v), pearson(atoms.col(k).cast<double>(), signals.col(v).cast<double>()),
                  1e-5);
  EXPECT_EQ(maps.row(3).cwiseAbs().maxCoeff(), 0.0f);
  test::expect_error([&] { correlation_maps(given, signals.topRows(30)); }, ExitCode::kBadUsage,
                     {"length 40", "length 30"});
}

TEST(Decomposition, PearsonIsScaleAndShiftInvariant) {
  Eigen::VectorXd a(6), b(6);
  a << 1, 2, 3, 4, 5, 7;
  b = 3.0 * a.array() + 10.0;
  EXPECT_NEAR(pearson(a, b), 1.0, 1e-12);
  EXPECT_NEAR(pearson(a, -b), -1.0, 1e-12);
  EXPECT_EQ(pearson(a, Eigen::VectorXd::Constant(6, 2.0)), 0.0);
}

} // namespace
} // namespace dcae::dict
