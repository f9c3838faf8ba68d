#include "report/svg.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace dcae::report {
namespace {

constexpr double kLeft = 64, kRight = 16, kTop = 28, kBottom = 40;

/// Pixel coordinate with one decimal.
std::string coord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

double tick_step(double lo, double hi, int target) {
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/// Data range of the finite values in the series (lo > hi when there are none).
std::pair<double, double> data_range(const std::vector<Series>& series, bool y) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Series& s : series) {
    const std::size_t n = std::min(s.x.size(), s.y.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double v = y ? s.y[i] : s.x[i];
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  return {lo, hi};
}

/// Indices of the points to draw: all, or per pixel column first/min/max/last.
std::vector<std::size_t> decimate(const Series& s, const PlotFrame& f, double max_points) {
  const std::size_t n = std::min(s.x.size(), s.y.size());
  std::vector<std::size_t> keep;
  if (static_cast<double>(n) <= max_points) {
    for (std::size_t i = 0; i < n; ++i) keep.push_back(i);
    return keep;
  }
  std::size_t i = 0;
  while (i < n) {
    const long column = std::lround(f.px(s.x[i]));
    std::size_t first = i, lo = i, hi = i, last = i;
    while (i < n && std::lround(f.px(s.x[i])) == column &&
           std::isfinite(s.y[i]) == std::isfinite(s.y[first])) {
      if (s.y[i] < s.y[lo]) lo = i;
      if (s.y[i] > s.y[hi]) hi = i;
      last = i++;
    }
    std::size_t pts[4] = {first, std::min(lo, hi), std::max(lo, hi), last};
    for (std::size_t p : pts) {
      if (keep.empty() || keep.back() != p) keep.push_back(p);
    }
  }
  return keep;
}

} // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string format_number(double v, int significant) {
  if (!std::isfinite(v)) return "n/a";
  if (v == 0) return "0";
  char buf[64];
  const double a = std::fabs(v);
  if (a >= 1e-4 && a < 1e6) {
    const int digits_before = static_cast<int>(std::floor(std::log10(a))) + 1;
    const int decimals = std::max(0, significant - digits_before);
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    std::string s = buf;
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    if (s == "-0") s = "0";
    return s;
  }
  std::snprintf(buf, sizeof buf, "%.*g", significant, v);
  return buf;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(hi))) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double step = tick_step(lo, hi, target);
  const double first = std::floor(lo / step + 1e-9) * step;
  const double last = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double t = first; t <= last + step * 1e-6; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

PlotFrame plot_frame(const LinePlot& plot) {
  PlotFrame f;
  f.left = kLeft;
  f.right = plot.width - kRight;
  f.top = kTop;
  f.bottom = plot.height - kBottom;
  auto axis = [&](std::pair<double, double> given, bool y, double& lo, double& hi,
                  std::vector<double>& ticks, int target) {
    if (given.first < given.second) {
      lo = given.first;
      hi = given.second;
      for (double t : nice_ticks(lo, hi, target)) {
        if (t >= lo - 1e-9 * (hi - lo) && t <= hi + 1e-9 * (hi - lo)) ticks.push_back(t);
      }
      return;
    }
    auto [dlo, dhi] = data_range(plot.series, y);
    if (dlo > dhi) dlo = 0, dhi = 1;
    if (y && plot.y_include_zero) dlo = std::min(dlo, 0.0), dhi = std::max(dhi, 0.0);
    ticks = nice_ticks(dlo, dhi, target);
    lo = ticks.front();
    hi = ticks.back();
  };
  axis(plot.x_range, false, f.x_min, f.x_max, f.x_ticks, std::max(2, plot.width / 90));
  axis(plot.y_range, true, f.y_min, f.y_max, f.y_ticks, std::max(2, plot.height / 50));
  return f;
}

std::string render_svg(const LinePlot& plot) {
  const PlotFrame f = plot_frame(plot);
  std::ostringstream s;
  s << "<svg class=\"plot\" width=\"" << plot.width << "\" height=\"" << plot.height
    << "\" viewBox=\"0 0 " << plot.width << ' ' << plot.height
    << "\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">";
  if (!plot.title.empty()) s << "<title>" << xml_escape(plot.title) << "</title>";
  s << "<rect x=\"0\" y=\"0\" width=\"" << plot.width << "\" height=\"" << plot.height
    << "\" fill=\"#ffffff\"/>";
  // Grid and ticks.
  s << "<g class=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\">";
  for (double t : f.y_ticks) {
    s << "<line x1=\"" << coord(f.left) << "\" y1=\"" << coord(f.py(t)) << "\" x2=\""
      << coord(f.right) << "\" y2=\"" << coord(f.py(t)) << "\"/>";
  }
  for (double t : f.x_ticks) {
    s << "<line x1=\"" << coord(f.px(t)) << "\" y1=\"" << coord(f.top) << "\" x2=\""
      << coord(f.px(t)) << "\" y2=\"" << coord(f.bottom) << "\"/>";
  }
  s << "</g><g class=\"ticks\" fill=\"#333333\">";
  for (double t : f.y_ticks) {
    s << "<text x=\"" << coord(f.left - 6) << "\" y=\"" << coord(f.py(t) + 4)
      << "\" text-anchor=\"end\">" << xml_escape(format_number(t)) << "</text>";
  }
  for (double t : f.x_ticks) {
    s << "<text x=\"" << coord(f.px(t)) << "\" y=\"" << coord(f.bottom + 15)
      << "\" text-anchor=\"middle\">" << xml_escape(format_number(t)) << "</text>";
  }
  s << "</g>";
  s << "<rect class=\"frame\" x=\"" << coord(f.left) << "\" y=\"" << coord(f.top) << "\" width=\""
    << coord(f.right - f.left) << "\" height=\"" << coord(f.bottom - f.top)
    << "\" fill=\"none\" stroke=\"#888888\" stroke-width=\"1\"/>";
  if (!plot.title.empty()) {
    s << "<text class=\"title\" x=\"" << coord(f.left)
      << "\" y=\"17\" font-size=\"13\" font-weight=\"bold\">" << xml_escape(plot.title)
      << "</text>";
  }
  if (!plot.x_label.empty()) {
    s << "<text class=\"xlabel\" x=\"" << coord((f.left + f.right) / 2) << "\" y=\""
      << coord(plot.height - 6.0) << "\" text-anchor=\"middle\">" << xml_escape(plot.x_label)
      << "</text>";
  }
  if (!plot.y_label.empty()) {
    const double cy = (f.top + f.bottom) / 2;
    s << "<text class=\"ylabel\" x=\"14\" y=\"" << coord(cy)
      << "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " << coord(cy) << ")\">"
      << xml_escape(plot.y_label) << "</text>";
  }
  // Series, clipped to the plot area.
  static std::atomic<int> clip_counter{0};
  const std::string clip = "clip" + std::to_string(++clip_counter);
  s << "<defs><clipPath id=\"" << clip << "\"><rect x=\"" << coord(f.left) << "\" y=\""
    << coord(f.top) << "\" width=\"" << coord(f.right - f.left) << "\" height=\""
    << coord(f.bottom - f.top) << "\"/></clipPath></defs><g class=\"series\" clip-path=\"url(#"
    << clip << ")\" fill=\"none\">";
  for (const Series& ser : plot.series) {
    const auto idx = decimate(ser, f, 2.0 * plot.width);
    std::string points;
    auto flush = [&]() {
      if (points.empty()) return;
      s << "<polyline class=\"line\" stroke=\"" << xml_escape(ser.color) << "\" stroke-width=\""
        << format_number(ser.width) << "\"" << (ser.dashed ? " stroke-dasharray=\"5 3\"" : "")
        << " points=\"" << points << "\"/>";
      points.clear();
    };
    for (std::size_t i : idx) {
      if (!std::isfinite(ser.x[i]) || !std::isfinite(ser.y[i])) {
        flush();
        continue;
      }
      if (!points.empty()) points += ' ';
      points += coord(f.px(ser.x[i])) + ',' + coord(f.py(ser.y[i]));
    }
    flush();
  }
  s << "</g>";
  // Legend, right-aligned on the title line.
  double x = f.right;
  std::vector<std::pair<double, const Series*>> items;
  for (auto it = plot.series.rbegin(); it != plot.series.rend(); ++it) {
    if (it->label.empty()) continue;
    x -= 30 + 6.5 * static_cast<double>(it->label.size());
    items.emplace_back(x, &*it);
  }
  std::reverse(items.begin(), items.end()); // in the series' order
  if (!items.empty()) {
    s << "<g class=\"legend\">";
    for (const auto& [lx, ser] : items) {
      s << "<line x1=\"" << coord(lx) << "\" y1=\"13\" x2=\"" << coord(lx + 18)
        << "\" y2=\"13\" stroke=\"" << xml_escape(ser->color) << "\" stroke-width=\"2\""
        << (ser->dashed ? " stroke-dasharray=\"5 3\"" : "") << "/><text x=\"" << coord(lx + 22)
        << "\" y=\"17\">" << xml_escape(ser->label) << "</text>";
    }
    s << "</g>";
  }
  s << "</svg>";
  return s.str();
}

} // namespace dcae::report
