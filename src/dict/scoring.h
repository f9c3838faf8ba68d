#pragma once
/// \file scoring.h
/// Scoring temporal atoms against a task, as a reviewer would accept it:
/// - every run is scored against its own design (runs of one task may order their blocks
///   differently: HCP's LR and RL runs, every simulated subject);
/// - atoms are assigned to conditions one-to-one (Hungarian assignment on |r|), so one atom
///   cannot win two conditions;
/// - every score comes with its chance level: the 95th percentile of the best |r| that the same
///   K atoms reach against circularly shifted copies of the design.

#include <string>
#include <vector>

#include <Eigen/Core>

#include "io/task_design.h"

namespace dcae::dict {

/// Hungarian (Kuhn–Munkres) assignment maximising the total weight: each row gets a distinct
/// column. With more rows than columns, the rows left without a column get -1. Returns the
/// column of each row. O(rows² · cols).
std::vector<int> assign_one_to_one(const Eigen::MatrixXd& weight);

/// The p-th percentile (0..100) of `values`, interpolated linearly between order statistics
/// (numpy's default). Throws usage_error for an empty list.
double percentile(std::vector<double> values, double p);

/// How the chance level is computed.
struct NullOptions {
  int shifts = 200; ///< circular shifts of the design
  double min_shift_s =
      10.0; ///< shifts closer than max(this, the condition's longest block) to 0 are excluded
  double percentile = 95.0;
};

/// The shifts (s) used for condition `condition` of `design`: `shifts` values spread evenly
/// over [L, D − L], D the run's duration and L = max(min_shift_s, the condition's longest
/// event). Empty when the run is shorter than 2L.
std::vector<double> null_shifts(const io::TaskDesign& design, std::size_t condition,
                                const NullOptions& options);

/// Chance level of the best match for one condition: for every shift of null_shifts(), the
/// largest |r| between any column of `time_courses` (T × K) and the shifted, filtered
/// regressor; returns their `options.percentile`-th percentile (NaN when no shift fits).
double null_best_r(const Eigen::Ref<const Eigen::MatrixXf>& time_courses,
                   const io::TaskDesign& design, std::size_t condition, const NullOptions& options);

/// Pearson r of every column of `time_courses` (T × K) with every regressor of `design`: K × Q.
Eigen::MatrixXd design_correlations(const Eigen::Ref<const Eigen::MatrixXf>& time_courses,
                                    const io::TaskDesign& design);

/// The score of one condition in one run.
struct RunScore {
  std::string condition;
  int atom = -1;         ///< the atom assigned in this run (-1: none)
  double r = 0.0;        ///< Pearson r of the oriented atom's time course with the regressor
  double null_r95 = 0.0; ///< chance level of the best |r| over all K atoms (NaN: run too short)
};

/// One run's assignment and scores.
struct RunEvaluation {
  std::vector<RunScore> scores; ///< per condition of the run's design
  std::vector<int> flipped;     ///< atoms whose sign was flipped in this run (their r was negative)
};

/// One condition over all runs that have it.
struct ConditionSummary {
  std::string condition;
  int atom = -1; ///< the atom every run assigned, -1 when the runs differ
  double median_r = 0.0, min_r = 0.0;
  double median_null_r95 = 0.0; ///< median over runs of their chance levels
  int runs = 0;                 ///< runs with this condition
  int runs_above_null = 0;      ///< runs whose r exceeds their own chance level
};

/// The evaluation of one readout (a T × K time-course matrix per run) against each run's own
/// design.
struct Evaluation {
  std::vector<std::string> conditions; ///< union of the runs' conditions, in first-seen order
  std::vector<RunEvaluation> runs;
  std::vector<ConditionSummary> summary; ///< per condition of `conditions`
};

/// Scores every run on its own: atoms are assigned to the run's conditions one-to-one on |r|
/// (runs may order their blocks differently, so with one dictionary over all runs a network
/// can take a different atom in each); each assigned atom whose r is negative is flipped in the
/// run's time courses (`time_courses[i]`, T_i × K, changed in place; the caller flips the run's
/// codes to match); then every run's chance levels, and summaries over runs per condition.
Evaluation evaluate(std::vector<Eigen::MatrixXf>& time_courses,
                    const std::vector<io::TaskDesign>& designs, const NullOptions& options);

} // namespace dcae::dict
