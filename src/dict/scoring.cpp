#include "dict/scoring.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"
#include "dict/decomposition.h"

namespace dcae::dict {

std::vector<int> assign_one_to_one(const Eigen::MatrixXd& weight) {
  const auto rows = static_cast<int>(weight.rows()), cols = static_cast<int>(weight.cols());
  std::vector<int> out(static_cast<std::size_t>(rows), -1);
  if (rows == 0 || cols == 0) return out;
  // The e-maxx formulation of the Hungarian algorithm for n ≤ m, minimising cost = −weight.
  // With more rows than columns, it runs on the transpose.
  const bool transposed = rows > cols;
  const Eigen::MatrixXd cost =
      transposed ? Eigen::MatrixXd(-weight.transpose()) : Eigen::MatrixXd(-weight);
  const int n = static_cast<int>(cost.rows()), m = static_cast<int>(cost.cols());
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> u(static_cast<std::size_t>(n + 1), 0.0),
      v(static_cast<std::size_t>(m + 1), 0.0);
  std::vector<int> p(static_cast<std::size_t>(m + 1), 0), way(static_cast<std::size_t>(m + 1), 0);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::vector<double> minv(static_cast<std::size_t>(m + 1), kInf);
    std::vector<char> used(static_cast<std::size_t>(m + 1), 0);
    do {
      used[static_cast<std::size_t>(j0)] = 1;
      const int i0 = p[static_cast<std::size_t>(j0)];
      double delta = kInf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[static_cast<std::size_t>(j)]) continue;
        const double cur =
            cost(i0 - 1, j - 1) - u[static_cast<std::size_t>(i0)] - v[static_cast<std::size_t>(j)];
        if (cur < minv[static_cast<std::size_t>(j)]) {
          minv[static_cast<std::size_t>(j)] = cur;
          way[static_cast<std::size_t>(j)] = j0;
        }
        if (minv[static_cast<std::size_t>(j)] < delta) {
          delta = minv[static_cast<std::size_t>(j)];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[static_cast<std::size_t>(j)]) {
          u[static_cast<std::size_t>(p[static_cast<std::size_t>(j)])] += delta;
          v[static_cast<std::size_t>(j)] -= delta;
        } else {
          minv[static_cast<std::size_t>(j)] -= delta;
        }
      }
      j0 = j1;
    } while (p[static_cast<std::size_t>(j0)] != 0);
    do {
      const int j1 = way[static_cast<std::size_t>(j0)];
      p[static_cast<std::size_t>(j0)] = p[static_cast<std::size_t>(j1)];
      j0 = j1;
    } while (j0 != 0);
  }
  for (int j = 1; j <= m; ++j) {
    const int i = p[static_cast<std::size_t>(j)];
    if (i == 0) continue;
    if (transposed)
      out[static_cast<std::size_t>(j - 1)] = i - 1; // row j-1 of weight ↔ column i-1
    else
      out[static_cast<std::size_t>(i - 1)] = j - 1;
  }
  return out;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) throw usage_error("percentile of an empty list");
  std::sort(values.begin(), values.end());
  const double pos = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, values.size() - 1);
  const double w = pos - static_cast<double>(lo);
  return (1.0 - w) * values[lo] + w * values[hi];
}

std::vector<double> null_shifts(const io::TaskDesign& design, std::size_t condition,
                                const NullOptions& o) {
  std::vector<double> s;
  if (condition >= design.regressors.size() || o.shifts < 1) return s;
  const double duration = static_cast<double>(design.regressors[condition].size()) * design.tr_s;
  const double block = condition < design.block_s.size() ? design.block_s[condition] : 0.0;
  const double low = std::max(o.min_shift_s, block), high = duration - low;
  if (!(high > low)) return s;
  for (int i = 0; i < o.shifts; ++i)
    s.push_back(o.shifts == 1 ? 0.5 * (low + high)
                              : low + (high - low) * static_cast<double>(i) / (o.shifts - 1));
  return s;
}

namespace {

/// Columns centred and scaled to unit norm (constant columns stay zero), in double.
Eigen::MatrixXd standardised_columns(const Eigen::Ref<const Eigen::MatrixXf>& x) {
  Eigen::MatrixXd z = x.cast<double>();
  for (Eigen::Index k = 0; k < z.cols(); ++k) {
    z.col(k).array() -= z.col(k).mean();
    const double n = z.col(k).norm();
    if (n > 0) z.col(k) /= n;
  }
  return z;
}

Eigen::VectorXd standardised(const std::vector<double>& x) {
  Eigen::VectorXd v =
      Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
  v.array() -= v.mean();
  const double n = v.norm();
  if (n > 0) v /= n;
  return v;
}

double median(std::vector<double> v) {
  return v.empty() ? std::nan("") : percentile(std::move(v), 50.0);
}

} // namespace

double null_best_r(const Eigen::Ref<const Eigen::MatrixXf>& time_courses,
                   const io::TaskDesign& design, std::size_t condition, const NullOptions& o) {
  const auto shifts = null_shifts(design, condition, o);
  if (shifts.empty() || time_courses.cols() == 0) return std::nan("");
  if (static_cast<std::size_t>(time_courses.rows()) != design.regressors[condition].size())
    throw input_error("scoring: the design has " +
                      std::to_string(design.regressors[condition].size()) +
                      " volumes but the time courses have " + std::to_string(time_courses.rows()));
  const Eigen::MatrixXd z = standardised_columns(time_courses);
  std::vector<double> best;
  best.reserve(shifts.size());
  for (double s : shifts) {
    const Eigen::VectorXd g = standardised(io::shifted_regressor(design, condition, s));
    best.push_back((z.transpose() * g).cwiseAbs().maxCoeff());
  }
  return percentile(best, o.percentile);
}

Eigen::MatrixXd design_correlations(const Eigen::Ref<const Eigen::MatrixXf>& time_courses,
                                    const io::TaskDesign& design) {
  return atom_correlations(time_courses, design.regressors);
}

Evaluation evaluate(std::vector<Eigen::MatrixXf>& time_courses,
                    const std::vector<io::TaskDesign>& designs, const NullOptions& options) {
  if (time_courses.size() != designs.size())
    throw usage_error("scoring: " + std::to_string(time_courses.size()) +
                      " runs of time courses but " + std::to_string(designs.size()) + " designs");
  Evaluation e;
  std::map<std::string, std::size_t> index;
  for (const auto& d : designs)
    for (const auto& c : d.conditions)
      if (index.emplace(c, e.conditions.size()).second) e.conditions.push_back(c);
  std::vector<std::vector<double>> r_of(e.conditions.size()), null_of(e.conditions.size());
  std::vector<std::vector<int>> atom_of(e.conditions.size());
  e.summary.resize(e.conditions.size());
  e.runs.resize(designs.size());
  for (std::size_t i = 0; i < designs.size(); ++i) {
    Eigen::MatrixXd r = design_correlations(time_courses[i], designs[i]); // K × Q
    const std::vector<int> atoms = assign_one_to_one(r.cwiseAbs().transpose());
    RunEvaluation& run = e.runs[i];
    for (std::size_t q = 0; q < atoms.size(); ++q) {
      const int k = atoms[q];
      if (k < 0 || r(k, static_cast<Eigen::Index>(q)) >= 0.0) continue;
      run.flipped.push_back(k);
      time_courses[i].col(k) *= -1.0f;
      r.row(k) *= -1.0;
    }
    std::sort(run.flipped.begin(), run.flipped.end());
    for (std::size_t q = 0; q < designs[i].conditions.size(); ++q) {
      const std::size_t g = index.at(designs[i].conditions[q]);
      RunScore s;
      s.condition = designs[i].conditions[q];
      s.atom = atoms[q];
      if (s.atom >= 0) s.r = r(s.atom, static_cast<Eigen::Index>(q));
      s.null_r95 = null_best_r(time_courses[i], designs[i], q, options);
      run.scores.push_back(s);
      r_of[g].push_back(s.r);
      atom_of[g].push_back(s.atom);
      if (std::isfinite(s.null_r95)) null_of[g].push_back(s.null_r95);
      ConditionSummary& sum = e.summary[g];
      ++sum.runs;
      if (s.atom >= 0 && std::isfinite(s.null_r95) && s.r > s.null_r95) ++sum.runs_above_null;
    }
  }
  for (std::size_t g = 0; g < e.summary.size(); ++g) {
    ConditionSummary& s = e.summary[g];
    s.condition = e.conditions[g];
    const auto& a = atom_of[g];
    s.atom = !a.empty() && std::all_of(a.begin(), a.end(), [&](int k) { return k == a.front(); })
                 ? a.front()
                 : -1;
    s.median_r = median(r_of[g]);
    s.min_r = r_of[g].empty() ? std::nan("") : *std::min_element(r_of[g].begin(), r_of[g].end());
    s.median_null_r95 = median(null_of[g]);
  }
  return e;
}

} // namespace dcae::dict
