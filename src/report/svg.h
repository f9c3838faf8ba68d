#pragma once
/// \file svg.h
/// Line plots as inline SVG (no scripts, no external resources), for the HTML report.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dcae::report {

/// Escapes & < > " ' for XML/HTML text and attribute values.
std::string xml_escape(std::string_view text);

/// Formats a number for labels and tables: at most `significant` significant digits, no
/// exponent for |v| in [1e-4, 1e6), "n/a" for NaN/Inf.
std::string format_number(double v, int significant = 4);

/// Tick values at steps of 1, 2 or 5 × 10^k covering [lo, hi] with about `target` ticks;
/// the first tick is ≤ lo and the last ≥ hi. lo == hi is widened to a unit interval.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

/// One data series drawn as a polyline; a NaN/Inf y breaks the line.
struct Series {
  std::string label; ///< legend text (empty: not in the legend)
  std::vector<double> x;
  std::vector<double> y; ///< same length as x
  std::string color = "#1f77b4";
  bool dashed = false;
  double width = 1.5; ///< stroke width (px)
};

/// A line plot: axes with ticks, labels, a legend and the series.
struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  int width = 720;  ///< px
  int height = 220; ///< px
  std::vector<Series> series;
  /// Data range shown; when unset (lo > hi), from the data rounded out to ticks.
  std::pair<double, double> x_range{1, 0};
  std::pair<double, double> y_range{1, 0};
  bool y_include_zero = false; ///< extend a data-derived y range to 0
};

/// Where a plot's data land: the plot area in pixels (origin top-left) and the data range it
/// spans. Margins: left 64, right 16, top 28, bottom 40 px.
struct PlotFrame {
  double left = 0, top = 0, right = 0, bottom = 0; ///< px
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  std::vector<double> x_ticks, y_ticks;
  /// Data x → pixel column.
  double px(double x) const { return left + (x - x_min) / (x_max - x_min) * (right - left); }
  /// Data y → pixel row (y grows upwards on screen).
  double py(double y) const { return bottom - (y - y_min) / (y_max - y_min) * (bottom - top); }
};

/// The frame `plot` is drawn in.
PlotFrame plot_frame(const LinePlot& plot);

/// The plot as one `<svg>` element (no XML declaration, no namespace needed inline in HTML5;
/// also well-formed XML on its own). Series with more points than twice the plot's pixel
/// width are reduced to each pixel column's first, minimum, maximum and last values.
std::string render_svg(const LinePlot& plot);

} // namespace dcae::report
