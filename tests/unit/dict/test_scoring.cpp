#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "core/error.h"
#include "dict/scoring.h"
#include "io/events.h"
#include "test_data.h"

namespace dcae::dict {
namespace {

/// The best total weight over every one-to-one assignment, by brute force.
double brute_force_best(const Eigen::MatrixXd& w) {
  const int rows = static_cast<int>(w.rows()), cols = static_cast<int>(w.cols());
  std::vector<int> cols_idx(static_cast<std::size_t>(cols));
  std::iota(cols_idx.begin(), cols_idx.end(), 0);
  double best = -1e300;
  do {
    double total = 0;
    for (int r = 0; r < std::min(rows, cols); ++r)
      total += w(r, cols_idx[static_cast<std::size_t>(r)]);
    best = std::max(best, total);
  } while (std::next_permutation(cols_idx.begin(), cols_idx.end()));
  return best;
}

TEST(Scoring, HungarianAssignmentIsOptimalAndOneToOne) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 40; ++trial) {
    const int rows = 1 + trial % 4, cols = rows + trial % 4;
    Eigen::MatrixXd w(rows, cols);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) w(r, c) = u(rng);
    const auto a = assign_one_to_one(w);
    ASSERT_EQ(a.size(), static_cast<std::size_t>(rows));
    double total = 0;
    std::vector<int> used;
    for (int r = 0; r < rows; ++r) {
      ASSERT_GE(a[static_cast<std::size_t>(r)], 0);
      EXPECT_EQ(std::count(used.begin(), used.end(), a[static_cast<std::size_t>(r)]), 0)
          << "a column used twice";
      used.push_back(a[static_cast<std::size_t>(r)]);
      total += w(r, a[static_cast<std::size_t>(r)]);
    }
    EXPECT_NEAR(total, brute_force_best(w), 1e-9) << "trial " << trial;
  }
  // One atom best for both conditions: it goes to the condition it serves better; the other
  // condition takes its second choice (greedy best-per-condition would give it twice).
  Eigen::MatrixXd w(2, 3);
  w << 0.9, 0.5, 0.1, 0.8, 0.2, 0.3;
  const auto a = assign_one_to_one(w);
  EXPECT_EQ(a[0], 1); // 0.5 + 0.8 = 1.3 beats 0.9 + 0.3 = 1.2
  EXPECT_EQ(a[1], 0);
  // More conditions than atoms: the best ones get one, the rest -1.
  Eigen::MatrixXd tall(3, 1);
  tall << 0.2, 0.9, 0.4;
  EXPECT_EQ(assign_one_to_one(tall), (std::vector<int>{-1, 0, -1}));
}

TEST(Scoring, PercentileInterpolatesAsNumpy) {
  // numpy.percentile([1, 2, 3, 4, 10], 95) = 8.8; (.., 50) = 3; (.., 0) = 1.
  EXPECT_NEAR(percentile({10, 1, 3, 2, 4}, 95), 8.8, 1e-12);
  EXPECT_NEAR(percentile({10, 1, 3, 2, 4}, 50), 3.0, 1e-12);
  EXPECT_NEAR(percentile({10, 1, 3, 2, 4}, 0), 1.0, 1e-12);
  test::expect_error([] { percentile({}, 50); }, ExitCode::kBadUsage, {"empty"});
}

io::Events blocks(const std::vector<std::pair<std::string, double>>& onsets, double duration) {
  io::Events ev;
  for (const auto& [c, t] : onsets) ev.events.push_back({t, duration, 1.0, c});
  return ev;
}

/// A run's design for two conditions in the given block order (12 s blocks, 30 s apart).
io::TaskDesign design(bool a_first, std::int64_t volumes = 120, double tr = 2.0) {
  std::vector<std::pair<std::string, double>> on;
  for (int b = 0; b < 4; ++b) {
    const bool a = (b % 2 == 0) == a_first;
    on.emplace_back(a ? "a" : "b", 10.0 + 55.0 * b + (a ? 0.0 : 7.0));
  }
  return io::make_task_design(blocks(on, 12.0), volumes, tr, 1.0, 100.0);
}

/// The regressor of condition `c` (the designs list conditions in the order they first occur).
const std::vector<double>& reg(const io::TaskDesign& d, const std::string& c) {
  for (std::size_t q = 0; q < d.conditions.size(); ++q)
    if (d.conditions[q] == c) return d.regressors[q];
  throw std::runtime_error("no condition " + c);
}

/// The score of condition `c` in a run.
const RunScore& score_of(const RunEvaluation& run, const std::string& c) {
  for (const auto& s : run.scores)
    if (s.condition == c) return s;
  throw std::runtime_error("no score of " + c);
}

Eigen::MatrixXf columns(const std::vector<std::vector<double>>& cols) {
  Eigen::MatrixXf m(static_cast<Eigen::Index>(cols.front().size()),
                    static_cast<Eigen::Index>(cols.size()));
  for (std::size_t k = 0; k < cols.size(); ++k)
    for (std::size_t t = 0; t < cols[k].size(); ++t)
      m(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(k)) =
          static_cast<float>(cols[k][t]);
  return m;
}

TEST(Scoring, EachRunIsScoredAgainstItsOwnDesign) {
  // Two runs with different block orders; atom 1 follows condition a and atom 2 condition b
  // in both (each run's own time courses), atom 0 is noise, atom 3 follows b negatively.
  const io::TaskDesign d1 = design(true), d2 = design(false);
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0, 1);
  auto noise = [&](std::size_t n, double sd) {
    std::vector<double> x(n);
    for (auto& v : x) v = sd * g(rng);
    return x;
  };
  auto plus = [](std::vector<double> a, const std::vector<double>& b, double s) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] += s * b[i];
    return a;
  };
  const std::size_t t = d1.regressors[0].size();
  std::vector<Eigen::MatrixXf> courses = {
      columns({noise(t, 1), plus(noise(t, 0.05), reg(d1, "a"), 1),
               plus(noise(t, 0.05), reg(d1, "b"), 1), plus(noise(t, 0.3), reg(d1, "b"), -1)}),
      columns({noise(t, 1), plus(noise(t, 0.05), reg(d2, "a"), 1),
               plus(noise(t, 0.05), reg(d2, "b"), 1), plus(noise(t, 0.3), reg(d2, "b"), -1)})};
  // The two runs' designs differ: scoring run 2 against run 1's events finds little.
  const auto r21 = design_correlations(courses[1], d1);
  EXPECT_LT(std::fabs(r21(1, d1.conditions[0] == "a" ? 0 : 1)), 0.5);
  const Evaluation e = evaluate(courses, {d1, d2}, NullOptions{});
  ASSERT_EQ(e.conditions, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(e.runs.size(), 2u);
  for (const auto& run : e.runs) {
    ASSERT_EQ(run.scores.size(), 2u);
    EXPECT_EQ(score_of(run, "a").atom, 1);
    EXPECT_EQ(score_of(run, "b").atom, 2);
    EXPECT_TRUE(run.flipped.empty());
    for (const auto& s : run.scores) {
      EXPECT_GT(s.r, 0.95) << s.condition;
      EXPECT_GT(s.r, s.null_r95) << s.condition;
      EXPECT_GT(s.null_r95, 0.1) << s.condition;
      EXPECT_LT(s.null_r95, 0.9) << s.condition;
    }
  }
  ASSERT_EQ(e.summary.size(), 2u);
  EXPECT_EQ(e.summary[0].atom, 1); // the same atom in both runs
  EXPECT_EQ(e.summary[0].runs, 2);
  EXPECT_EQ(e.summary[0].runs_above_null, 2);
  EXPECT_NEAR(e.summary[1].min_r, std::min(score_of(e.runs[0], "b").r, score_of(e.runs[1], "b").r),
              1e-12);
}

TEST(Scoring, RunsMayAssignDifferentAtoms) {
  // One dictionary over runs with different block orders: a network takes one atom in one run
  // and another atom in the other. Each run is assigned on its own.
  const io::TaskDesign d1 = design(true), d2 = design(false);
  const std::size_t t = d1.regressors[0].size();
  std::vector<double> flat(t, 0.0);
  for (std::size_t i = 0; i < t; ++i) flat[i] = std::sin(0.37 * static_cast<double>(i));
  std::vector<Eigen::MatrixXf> courses = {columns({reg(d1, "a"), reg(d1, "b"), flat}),
                                          columns({flat, reg(d2, "b"), reg(d2, "a")})};
  const Evaluation e = evaluate(courses, {d1, d2}, NullOptions{});
  EXPECT_EQ(score_of(e.runs[0], "a").atom, 0);
  EXPECT_EQ(score_of(e.runs[1], "a").atom, 2);
  EXPECT_EQ(e.summary[0].atom, -1); // different per run
  EXPECT_EQ(e.summary[1].atom, 1);
  EXPECT_NEAR(e.summary[0].min_r, 1.0, 1e-6);
}

TEST(Scoring, AssignedAtomsAreOrientedByTheirCondition) {
  const io::TaskDesign d = design(true);
  const std::size_t t = d.regressors[0].size();
  std::vector<double> neg(t), other(t);
  for (std::size_t i = 0; i < t; ++i) neg[i] = -reg(d, "a")[i], other[i] = reg(d, "b")[i];
  std::vector<Eigen::MatrixXf> courses = {columns({other, neg})};
  const Evaluation e = evaluate(courses, {d}, NullOptions{});
  EXPECT_EQ(score_of(e.runs[0], "a").atom, 1);
  EXPECT_EQ(score_of(e.runs[0], "b").atom, 0);
  EXPECT_EQ(e.runs[0].flipped, (std::vector<int>{1}));
  EXPECT_NEAR(score_of(e.runs[0], "a").r, 1.0, 1e-6); // flipped: follows a positively now
  EXPECT_NEAR(courses[0](5, 1), reg(d, "a")[5], 1e-5);
}

TEST(Scoring, NullShiftsAvoidTheBlockAndSpanTheRun) {
  const io::TaskDesign d = design(true); // 240 s, 12 s blocks
  NullOptions o;
  o.min_shift_s = 5.0;
  const auto s = null_shifts(d, 0, o);
  ASSERT_EQ(s.size(), 200u);
  EXPECT_NEAR(s.front(), 12.0, 1e-9); // the block is longer than the minimum
  EXPECT_NEAR(s.back(), 240.0 - 12.0, 1e-9);
  o.min_shift_s = 30.0;
  EXPECT_NEAR(null_shifts(d, 0, o).front(), 30.0, 1e-9);
  o.min_shift_s = 130.0; // no room: no null, reported as NaN
  EXPECT_TRUE(null_shifts(d, 0, o).empty());
  EXPECT_TRUE(std::isnan(null_best_r(Eigen::MatrixXf::Random(120, 3), d, 0, o)));
}

TEST(Scoring, NullOfNoiseAtomsGrowsWithTheirNumber) {
  const io::TaskDesign d = design(true);
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0, 1);
  auto smooth_noise = [&](Eigen::Index k) { // AR(1) 0.8: BOLD-like autocorrelation
    Eigen::MatrixXf m(120, k);
    for (Eigen::Index c = 0; c < k; ++c) {
      float e = g(rng);
      for (Eigen::Index t = 0; t < 120; ++t) m(t, c) = e = 0.8f * e + 0.6f * g(rng);
    }
    return m;
  };
  const double few = null_best_r(smooth_noise(5), d, 0, NullOptions{});
  const double many = null_best_r(smooth_noise(100), d, 0, NullOptions{});
  EXPECT_GT(many, few);
  EXPECT_GT(many, 0.3); // best-of-100 smooth noise already correlates this well by chance
  EXPECT_LT(many, 0.8);
}

} // namespace
} // namespace dcae::dict
