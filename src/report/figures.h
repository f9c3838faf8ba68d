#pragma once
/// \file figures.h
/// The report's plots, built from its inputs (see inputs.h) as LinePlot descriptions.

#include <string>
#include <vector>

#include "report/svg.h"

namespace dcae::report {

struct Confounds;
struct LossLog;
struct Decomposition;
struct Score;

/// (x − mean) / SD over the finite values (NaN stays NaN; all zeros when SD is 0).
std::vector<double> zscore(const std::vector<double>& x);

/// Three plots against time (s; volume index when tr_s ≤ 0): translations trans_x/y/z (mm),
/// rotations rot_x/y/z (degrees), framewise displacement (mm).
std::vector<LinePlot> motion_plots(const Confounds& c, double tr_s);

/// Training loss against step: every step (light) and each epoch's mean (dark, at the epoch's
/// last step).
LinePlot loss_plot(const LossLog& log);

/// One task condition: its HRF-convolved regressor (grey, dashed) and the best-matching
/// temporal atom of each decomposition (z-scored; sign flipped when r < 0 so that both rise
/// together), against time (s) when the decompositions give a TR, else volumes. Decompositions
/// without a score, regressor or mixing column for the condition are left out; `caption`
/// receives "label: atom N, r = …" parts. Returns a plot without series when nothing matches.
LinePlot atom_plot(const std::string& condition,
                   const std::vector<const Decomposition*>& decompositions, std::string* caption);

/// The best score (largest |r|) of `condition` in `d`, or nullptr.
const Score* best_score(const Decomposition& d, const std::string& condition);

/// A colour per decomposition source: raw signals blue, features red, others from a palette.
std::string source_color(const Decomposition& d, std::size_t index);

} // namespace dcae::report
