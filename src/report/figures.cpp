#include "report/figures.h"

#include <cmath>
#include <limits>

#include "report/inputs.h"

namespace dcae::report {
namespace {

std::vector<double> time_axis(std::size_t n, double tr_s) {
  std::vector<double> t(n);
  for (std::size_t i = 0; i < n; ++i)
    t[i] = tr_s > 0 ? static_cast<double>(i) * tr_s : static_cast<double>(i);
  return t;
}

constexpr const char* kXyz[3] = {"#1f77b4", "#2ca02c", "#d62728"};

} // namespace

std::vector<double> zscore(const std::vector<double>& x) {
  double s = 0, ss = 0;
  std::size_t n = 0;
  for (double v : x) {
    if (std::isfinite(v)) s += v, ++n;
  }
  if (n == 0) return x;
  const double mean = s / static_cast<double>(n);
  for (double v : x) {
    if (std::isfinite(v)) ss += (v - mean) * (v - mean);
  }
  const double sd = std::sqrt(ss / static_cast<double>(n));
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    out[i] = !std::isfinite(x[i]) ? x[i] : sd > 0 ? (x[i] - mean) / sd : 0.0;
  }
  return out;
}

std::vector<LinePlot> motion_plots(const Confounds& c, double tr_s) {
  const auto t = time_axis(c.volumes(), tr_s);
  const std::string xl = tr_s > 0 ? "time (s)" : "volume";
  std::vector<LinePlot> plots(3);
  plots[0].title = "Translation";
  plots[0].y_label = "mm";
  plots[1].title = "Rotation";
  plots[1].y_label = "degrees";
  for (std::size_t a = 0; a < 6; ++a) {
    static constexpr const char* kNames[6] = {"trans_x", "trans_y", "trans_z",
                                              "rot_x",   "rot_y",   "rot_z"};
    plots[a / 3].series.push_back({kNames[a], t, c.motion[a], kXyz[a % 3]});
  }
  plots[2].title = "Framewise displacement";
  plots[2].y_label = "mm";
  plots[2].series.push_back({"FD", t, c.fd, "#9467bd"});
  plots[2].y_include_zero = true;
  for (auto& p : plots) {
    p.x_label = xl;
    p.height = 200;
  }
  return plots;
}

std::vector<LinePlot> signal_plots(const Confounds& c, double tr_s) {
  const auto t = time_axis(c.volumes(), tr_s);
  std::vector<LinePlot> plots;
  auto add = [&](const std::vector<double>& y, const char* title, const char* unit,
                 const char* colour) {
    if (y.size() != c.volumes()) return;
    LinePlot p;
    p.title = title;
    p.y_label = unit;
    p.x_label = tr_s > 0 ? "time (s)" : "volume";
    p.height = 160;
    p.series.push_back({title, t, y, colour});
    plots.push_back(std::move(p));
  };
  add(c.global_signal, "Global signal", "intensity", "#2ca02c");
  add(c.dvars, "DVARS", "intensity", "#d62728");
  return plots;
}

LinePlot loss_plot(const LossLog& log, const ValidationLog* validation) {
  LinePlot p;
  p.title = "Training loss";
  p.x_label = "step";
  p.y_label = "loss";
  p.height = 260;
  p.y_include_zero = true;
  p.series.push_back({"per step", log.step, log.loss, "#aec7e8", false, 1.0});
  Series e{"epoch mean", {}, {}, "#1f4e99", false, 2.0};
  for (const auto& m : log.epoch_means()) {
    e.x.push_back(m.step);
    e.y.push_back(m.loss);
  }
  if (!e.x.empty()) p.series.push_back(std::move(e));
  if (validation != nullptr && !validation->step.empty())
    p.series.push_back({"validation (held-out voxels)", validation->step, validation->loss,
                        "#ff7f0e", false, 2.0});
  return p;
}

std::string decomposition_color(const Decomposition& d, std::size_t index) {
  static constexpr const char* kPalette[] = {"#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"};
  if (d.via_decoder) return "#2ca02c"; // the decoder's readout of feature atoms: green
  if (d.source == "raw") return "#1f77b4";
  if (d.source == "features") return "#d62728";
  return kPalette[index % 5];
}

LinePlot atom_plot(const std::string& condition, const std::string& run,
                   const std::vector<const Decomposition*>& decompositions, std::string* caption) {
  LinePlot p;
  p.title = condition + " (" + run + ")";
  p.y_label = "z";
  p.height = 200;
  std::string cap;
  bool design_drawn = false;
  for (std::size_t n = 0; n < decompositions.size(); ++n) {
    const Decomposition& d = *decompositions[n];
    const DecompositionRun* r = nullptr;
    for (const auto& x : d.runs)
      if (x.name == run) r = &x;
    if (r == nullptr) continue;
    const Score* s = r->score(condition);
    const std::vector<double>* atom =
        s != nullptr && s->atom >= 0 ? r->atom_series(s->column) : nullptr;
    if (atom == nullptr) continue;
    const double tr = std::isfinite(d.tr_s) && d.tr_s > 0 ? d.tr_s : 0.0;
    const auto t = time_axis(atom->size(), tr);
    p.x_label = tr > 0 ? "time (s)" : "volume";
    if (!design_drawn) {
      if (const auto* g = r->regressor(condition); g != nullptr && g->size() == atom->size()) {
        p.series.push_back(
            {"design (HRF, filtered as the data)", t, zscore(*g), "#777777", true, 1.5});
        design_drawn = true;
      }
    }
    std::vector<double> z = zscore(*atom);
    if (s->r < 0) {
      for (double& v : z) v = -v;
    }
    const std::string chance =
        std::isfinite(s->null_r95) ? ", chance " + format_number(s->null_r95, 2) : "";
    p.series.push_back({d.label + " atom " + std::to_string(s->atom) + " (r " +
                            format_number(s->r, 2) + chance + ")",
                        t, std::move(z), decomposition_color(d, n)});
    if (!cap.empty()) cap += "; ";
    cap += d.label + ": atom " + std::to_string(s->atom) + ", r = " + format_number(s->r, 3) +
           (std::isfinite(s->null_r95)
                ? (s->above_null() ? " (above" : " (NOT above") +
                      std::string(" its chance level ") + format_number(s->null_r95, 3) + ")"
                : "") +
           (s->r < 0 ? " (shown sign-flipped)" : "");
  }
  if (caption != nullptr) *caption = cap;
  return p;
}

} // namespace dcae::report
