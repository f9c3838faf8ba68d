#pragma once
/// \file task_design.h
/// The task design: events convolved with the canonical double-gamma HRF (SPM's parameters:
/// peak gamma shape 6, undershoot shape 16, ratio 1/6, 32 s long).

#include <cstdint>
#include <string>
#include <vector>

#include "io/events.h"

namespace dcae::io {

/// The canonical HRF at time t (s), unnormalised: Γpdf(t; 6, 1) − Γpdf(t; 16, 1)/6; 0 for t<0.
double canonical_hrf(double t_s);

/// The response to `events` (boxcars of height `amplitude`; duration 0 = an impulse of unit
/// area) convolved with the canonical HRF normalised to unit area, so a long block reaches a
/// plateau of height 1. Sampled at `times_s` (s), computed on a grid of `dt_s`.
std::vector<double> hrf_response(const std::vector<Event>& events,
                                 const std::vector<double>& times_s, double dt_s = 0.05);

/// One HRF-convolved regressor per condition, sampled at the times the data represent
/// (volume i at i·TR + start_time_s: TR/2 after slice-timing correction to the middle of the
/// TR) and high-pass filtered as the data were (FEAT filters its model with the data's
/// filter), so that correlations with the data compare like with like.
struct TaskDesign {
  double tr_s = 0.0;
  double start_time_s = 0.0; ///< time of volume 0's sample within the run
  double highpass_s = 0.0;   ///< cutoff of the high-pass applied to the regressors (0: none)
  std::vector<std::string> conditions;
  std::vector<std::vector<double>> regressors; ///< [condition][volume], as the data (filtered)
  std::vector<std::vector<double>> unfiltered; ///< [condition][volume], before the high-pass
  std::vector<double> block_s;                 ///< longest event of each condition (s)
  /// Nuisance regressors regressed out of the data (filtered as the data; [regressor][volume]):
  /// also out of `regressors` and of every shifted regressor. Empty: none.
  std::vector<std::vector<double>> nuisance;
};

/// Builds the design of a run of `n_volumes` volumes. Throws usage_error if tr_s ≤ 0 or
/// highpass_s < 0.
TaskDesign make_task_design(const Events& events, std::int64_t n_volumes, double tr_s,
                            double start_time_s = 0.0, double highpass_s = 0.0);

/// Regresses `nuisance` (the columns regressed out of the data, filtered as the data; each
/// n_volumes long) out of the design's regressors, as a GLM with those confounds would, and
/// keeps them for shifted_regressor. Throws usage_error for columns of the wrong length.
void regress_out_nuisance(TaskDesign& design, std::vector<std::vector<double>> nuisance);

/// Regressor `condition` of `design` shifted circularly by `shift_s` seconds (the run's end
/// wraps to its start; linear interpolation between volumes), then high-pass filtered and
/// freed of the nuisance regressors as the data: the design of a null hypothesis that keeps
/// the regressor's shape and smoothness.
std::vector<double> shifted_regressor(const TaskDesign& design, std::size_t condition,
                                      double shift_s);

} // namespace dcae::io
