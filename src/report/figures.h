#pragma once
/// \file figures.h
/// The report's plots, built from its inputs (see inputs.h) as LinePlot descriptions.

#include <string>
#include <vector>

#include "report/svg.h"

namespace dcae::report {

struct Confounds;
struct LossLog;
struct ValidationLog;
struct Decomposition;

/// (x − mean) / SD over the finite values (NaN stays NaN; all zeros when SD is 0).
std::vector<double> zscore(const std::vector<double>& x);

/// Three plots against time (s; volume index when tr_s ≤ 0): translations trans_x/y/z (mm),
/// rotations rot_x/y/z (degrees), framewise displacement (mm).
std::vector<LinePlot> motion_plots(const Confounds& c, double tr_s);

/// The signals above a carpet plot, against time: DVARS and the global signal (plots only for
/// the columns the confounds have).
std::vector<LinePlot> signal_plots(const Confounds& c, double tr_s);
/// Training loss against step: every step (light) and each epoch's mean (dark, at the epoch's
/// last step); with `validation`, the loss on the held-out voxels after each epoch (orange).
LinePlot loss_plot(const LossLog& log, const ValidationLog* validation = nullptr);

/// One task condition in one run: its HRF-convolved regressor as scored (grey, dashed) and the
/// atom each decomposition assigned to it in that run (z-scored; sign flipped when r < 0),
/// against time (s) when the decompositions give a TR, else volumes; each legend entry names
/// the atom, its r and its chance level. Decompositions without the run, a score or a mixing
/// column are left out; `caption` receives "label: atom N, r = … (above its chance level …)"
/// parts. Returns a plot without series when nothing matches.
LinePlot atom_plot(const std::string& condition, const std::string& run,
                   const std::vector<const Decomposition*>& decompositions, std::string* caption);
/// A colour per kind of decomposition, distinct in the plots: raw signals blue, DCAE features
/// (least squares readout) red, the decoder's readout green, others from a palette.
std::string decomposition_color(const Decomposition& d, std::size_t index);
} // namespace dcae::report
