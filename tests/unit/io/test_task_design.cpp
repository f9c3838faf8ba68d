#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "io/task_design.h"

namespace dcae::io {

TEST(TaskDesign, CanonicalHrfPeaksNearFiveSecondsWithUndershoot) {
  double best_t = 0, best = -1, min_v = 0, min_t = 0;
  for (double t = 0; t < 32; t += 0.01) {
    const double v = canonical_hrf(t);
    if (v > best) best = v, best_t = t;
    if (v < min_v) min_v = v, min_t = t;
  }
  EXPECT_NEAR(best_t, 5.0, 0.1); // mode of Γ(6,1) minus a small undershoot term
  EXPECT_NEAR(min_t, 15.7, 0.5); // undershoot
  EXPECT_LT(min_v, 0);
  EXPECT_EQ(canonical_hrf(-1), 0);
}

TEST(TaskDesign, LongBlockReachesPlateauOfOneAndReturnsToZero) {
  Events ev;
  ev.events.push_back({10.0, 60.0, 1.0, "move"});
  std::vector<double> times;
  for (double t = 0; t < 120; t += 1.0) times.push_back(t);
  const auto y = hrf_response(ev.events, times);
  EXPECT_NEAR(y[5], 0.0, 1e-9);  // before the block
  EXPECT_NEAR(y[60], 1.0, 0.01); // plateau
  EXPECT_LT(y[92], 0.0);         // post-stimulus undershoot
  EXPECT_NEAR(y[119], 0.0, 0.02);
}

TEST(TaskDesign, ImpulseHasUnitAreaAndDesignHasOneRegressorPerCondition) {
  Events ev;
  ev.events = {{10.0, 0.0, 1.0, "a"}, {20.0, 12.0, 2.0, "b"}, {40.0, 3.0, 1.0, "a"}};
  std::vector<double> times;
  for (double t = 0; t < 100; t += 0.05) times.push_back(t);
  const auto y = hrf_response({ev.events[0]}, times);
  double area = 0;
  for (double v : y) area += v * 0.05;
  EXPECT_NEAR(area, 1.0, 0.01);
  const TaskDesign d = make_task_design(ev, 50, 2.0);
  EXPECT_EQ(d.conditions, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(d.regressors.size(), 2u);
  EXPECT_EQ(d.regressors[1].size(), 50u);
  // amplitude 2 block of 12 s: peak near 2 × (response of a 12 s block) > 1.5
  EXPECT_GT(*std::max_element(d.regressors[1].begin(), d.regressors[1].end()), 1.5);
  EXPECT_THROW(make_task_design(ev, 10, 0.0), std::exception);
}

TEST(TaskDesign, OffsetShiftsSampling) {
  Events ev;
  ev.events = {{10.0, 12.0, 1.0, "a"}};
  const auto d0 = make_task_design(ev, 30, 2.0, 0.0);
  const auto d1 = make_task_design(ev, 30, 2.0, 2.0);
  for (int i = 0; i + 1 < 30; ++i) EXPECT_NEAR(d1.regressors[0][i], d0.regressors[0][i + 1], 1e-9);
}

TEST(TaskDesign, NuisanceRegressorsAreTakenOutOfTheDesignAndItsShiftedCopies) {
  Events ev;
  for (double on = 10.0; on < 200.0; on += 60.0) ev.events.push_back({on, 20.0, 1.0, "a"});
  TaskDesign d = make_task_design(ev, 120, 2.0, 1.0, 100.0);
  std::vector<double> drift(120), wobble(120);
  for (std::size_t t = 0; t < 120; ++t) {
    drift[t] = 0.01 * static_cast<double>(t) + d.regressors[0][t]; // shares the design's shape
    wobble[t] = std::sin(0.3 * static_cast<double>(t));
  }
  const auto before = d.regressors[0];
  regress_out_nuisance(d, {drift, wobble});
  EXPECT_EQ(d.nuisance.size(), 2U);
  auto dot = [](const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0.0;
    for (std::size_t t = 0; t < a.size(); ++t) s += a[t] * b[t];
    return s;
  };
  EXPECT_NEAR(dot(d.regressors[0], drift), 0.0, 1e-9);
  EXPECT_NEAR(dot(d.regressors[0], wobble), 0.0, 1e-9);
  EXPECT_NEAR(dot(d.regressors[0], std::vector<double>(120, 1.0)), 0.0, 1e-9);
  EXPECT_GT(std::fabs(dot(before, drift)), 1.0) << "the design did overlap the nuisance";
  // A shift of 0 takes the same path as the design itself; other shifts are freed of the
  // nuisance too (the null level compares like with like).
  const auto same = shifted_regressor(d, 0, 0.0);
  for (std::size_t t = 0; t < 120; ++t) EXPECT_NEAR(same[t], d.regressors[0][t], 1e-9);
  EXPECT_NEAR(dot(shifted_regressor(d, 0, 37.0), drift), 0.0, 1e-9);
  EXPECT_THROW(regress_out_nuisance(d, {std::vector<double>(50, 1.0)}), std::exception);
}

} // namespace dcae::io
