#include <algorithm>
#include <iostream>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/threads.h"
#include "dict/online_dictionary.h"
#include "test_data.h"

namespace dcae::dict {
namespace {

struct Synthetic {
  Eigen::MatrixXf truth; // m × k, unit-norm atoms
  Eigen::MatrixXf x;     // m × n
};

/// Signals that each mix `s` atoms of a known random dictionary, plus a little noise.
Synthetic synthetic(int m, int k, int n, int s, double noise, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<int> ids(static_cast<std::size_t>(k));
  Synthetic out{Eigen::MatrixXf(m, k), Eigen::MatrixXf::Zero(m, n)};
  for (int j = 0; j < k; ++j) {
    for (int i = 0; i < m; ++i) out.truth(i, j) = g(rng);
    out.truth.col(j).normalize();
  }
  for (int c = 0; c < n; ++c) {
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), rng);
    for (int q = 0; q < s; ++q) { // s distinct atoms, coefficients of magnitude ≥ 1
      const float a = g(rng);
      out.x.col(c) +=
          (a + (a >= 0 ? 1.0f : -1.0f)) * out.truth.col(ids[static_cast<std::size_t>(q)]);
    }
    for (int i = 0; i < m; ++i) out.x(i, c) += static_cast<float>(noise) * g(rng);
  }
  return out;
}

/// Mean over true atoms of the best |cosine| with a learned atom.
double mean_best_cosine(const Eigen::MatrixXf& truth, const Eigen::MatrixXf& learned) {
  const Eigen::MatrixXf c = (truth.transpose() * learned).cwiseAbs(); // both unit-norm
  return c.rowwise().maxCoeff().cast<double>().mean();
}

TEST(OnlineDictionary, RecoversAKnownSparseDictionary) {
  const Synthetic s = synthetic(64, 32, 6000, 3, 0.02, 11);
  DictionaryOptions o;
  o.n_atoms = 32;
  o.lambda = 0.3;
  o.batch_size = 128;
  o.passes = 6;
  o.seed = 5;
  const LearnedDictionary d = learn_dictionary(s.x, o);
  EXPECT_EQ(d.atoms.rows(), 64);
  EXPECT_EQ(d.atoms.cols(), 32);
  for (Eigen::Index j = 0; j < d.atoms.cols(); ++j) EXPECT_NEAR(d.atoms.col(j).norm(), 1.0f, 1e-5f);
  const double cosine = mean_best_cosine(s.truth, d.atoms);
  EXPECT_GE(cosine, 0.95) << "mean best |cosine| " << cosine;
  std::cerr << "mean best |cosine| with the true atoms: " << cosine << '\n';
  // The learned dictionary explains the data better than the initial random signals.
  const Eigen::MatrixXf codes = sparse_encode(d.atoms, s.x, o.lambda);
  const Eigen::MatrixXf codes_true = sparse_encode(s.truth, s.x, o.lambda);
  const double obj = dictionary_objective(s.x, d.atoms, codes, o.lambda);
  const double obj_true = dictionary_objective(s.x, s.truth, codes_true, o.lambda);
  EXPECT_LT(obj, 1.05 * obj_true) << "learned " << obj << " vs true dictionary " << obj_true;
}

TEST(OnlineDictionary, SameSeedSameDictionaryWhateverTheThreads) {
  const Synthetic s = synthetic(32, 16, 1500, 2, 0.05, 3);
  DictionaryOptions o;
  o.n_atoms = 16;
  o.lambda = 0.1;
  o.batch_size = 64;
  o.passes = 1;
  set_thread_count(1);
  const auto one = learn_dictionary(s.x, o);
  set_thread_count(2);
  const auto two = learn_dictionary(s.x, o);
  set_thread_count(0);
  EXPECT_EQ((one.atoms - two.atoms).cwiseAbs().maxCoeff(), 0.0f);
  o.seed = 2;
  const auto other = learn_dictionary(s.x, o);
  EXPECT_GT((one.atoms - other.atoms).cwiseAbs().maxCoeff(), 1e-3f);
}

TEST(OnlineDictionary, NonNegativeCodesAreNonNegative) {
  Synthetic s = synthetic(32, 12, 1000, 2, 0.02, 9);
  DictionaryOptions o;
  o.n_atoms = 12;
  o.lambda = 0.05;
  o.positive = true;
  o.batch_size = 50;
  const auto d = learn_dictionary(s.x, o);
  const Eigen::MatrixXf codes = sparse_encode(d.atoms, s.x, o.lambda, true);
  EXPECT_GE(codes.minCoeff(), 0.0f);
  EXPECT_GT(codes.maxCoeff(), 0.0f);
}

TEST(OnlineDictionary, IterationsAndTimeBudgetStopLearning) {
  const Synthetic s = synthetic(16, 8, 2000, 2, 0.05, 4);
  DictionaryOptions o;
  o.n_atoms = 8;
  o.batch_size = 10;
  o.iterations = 7;
  std::int64_t calls = 0;
  const auto d = learn_dictionary(s.x, o, [&](std::int64_t done, std::int64_t planned) {
    ++calls;
    EXPECT_EQ(planned, 7);
    EXPECT_LE(done, planned);
  });
  EXPECT_EQ(d.iterations, 7);
  EXPECT_EQ(calls, 7);
  o.iterations = 0;
  o.passes = 1000;
  o.time_budget_s = 0.2;
  const auto b = learn_dictionary(s.x, o);
  EXPECT_LT(b.iterations, 1000 * 200);
  EXPECT_LT(b.seconds, 5.0);
}

TEST(OnlineDictionary, CentreAndNormalise) {
  Eigen::MatrixXf x(4, 3);
  x << 1, 5, 2, 2, 5, 4, 3, 5, 6, 4, 5, 8;
  centre_and_normalise_columns(x);
  EXPECT_NEAR(x.col(0).sum(), 0.0f, 1e-6f);
  EXPECT_NEAR(x.col(0).norm(), 1.0f, 1e-6f);
  EXPECT_EQ(x.col(1).cwiseAbs().maxCoeff(), 0.0f); // constant → zero
  EXPECT_NEAR((x.col(0) - x.col(2)).norm(), 0.0f, 1e-6f);
}

TEST(OnlineDictionary, RejectsBadOptionsAndData) {
  Eigen::MatrixXf x = Eigen::MatrixXf::Random(8, 20);
  DictionaryOptions o;
  o.n_atoms = 30;
  test::expect_error([&] { learn_dictionary(x, o); }, ExitCode::kBadUsage,
                     {"30 atoms", "20 signals"});
  o.n_atoms = 4;
  o.lambda = -1;
  test::expect_error([&] { learn_dictionary(x, o); }, ExitCode::kBadUsage, {"lambda"});
  o.lambda = 0.1;
  x(3, 3) = std::numeric_limits<float>::quiet_NaN();
  test::expect_error([&] { learn_dictionary(x, o); }, ExitCode::kBadInput, {"NaN"});
}

} // namespace
} // namespace dcae::dict
