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
std::vector<double> hrf_response(const std::vector<Event>& events, const std::vector<double>& times_s,
                                 double dt_s = 0.05);

/// One HRF-convolved regressor per condition, sampled at volume times i·TR + offset_s.
struct TaskDesign {
  double tr_s = 0.0;
  std::vector<std::string> conditions;
  std::vector<std::vector<double>> regressors;  ///< [condition][volume]
};

/// Builds the design of a run of `n_volumes` volumes. Throws usage_error if tr_s ≤ 0.
TaskDesign make_task_design(const Events& events, std::int64_t n_volumes, double tr_s,
                            double offset_s = 0.0);

}  // namespace dcae::io
