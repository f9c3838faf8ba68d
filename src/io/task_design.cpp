#include "io/task_design.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/nuisance_basis.h"
#include "core/temporal_filter.h"

namespace dcae::io {
namespace {
double gamma_pdf(double t, double shape) {
  if (t <= 0) return 0.0;
  return std::exp((shape - 1.0) * std::log(t) - t - std::lgamma(shape));
}
constexpr double kHrfLength = 32.0;
} // namespace

double canonical_hrf(double t_s) {
  if (t_s < 0) return 0.0;
  return gamma_pdf(t_s, 6.0) - gamma_pdf(t_s, 16.0) / 6.0;
}

std::vector<double> hrf_response(const std::vector<Event>& events,
                                 const std::vector<double>& times_s, double dt_s) {
  if (!(dt_s > 0)) throw usage_error("hrf_response: dt must be positive");
  std::vector<double> out(times_s.size(), 0.0);
  if (times_s.empty() || events.empty()) return out;
  const double t_end = *std::max_element(times_s.begin(), times_s.end()) + dt_s;
  double t_start = 0.0;
  for (const auto& e : events) t_start = std::min(t_start, e.onset_s);
  t_start = std::min(t_start, *std::min_element(times_s.begin(), times_s.end())) - kHrfLength;
  const auto n = static_cast<std::size_t>(std::ceil((t_end - t_start) / dt_s)) + 2;
  std::vector<double> u(n, 0.0);
  for (const auto& e : events) {
    const double a = (e.onset_s - t_start) / dt_s;
    if (e.duration_s <= 0) {
      const auto k = static_cast<std::int64_t>(std::floor(a));
      if (k >= 0 && static_cast<std::size_t>(k) < n)
        u[static_cast<std::size_t>(k)] += e.amplitude / dt_s;
      continue;
    }
    const double b = (e.onset_s + e.duration_s - t_start) / dt_s;
    // Exact box coverage of each grid cell [k, k+1).
    const auto k0 = static_cast<std::int64_t>(std::floor(a));
    const auto k1 = static_cast<std::int64_t>(std::ceil(b));
    for (std::int64_t k = std::max<std::int64_t>(k0, 0); k < k1 && static_cast<std::size_t>(k) < n;
         ++k) {
      const double cover = std::min(b, double(k + 1)) - std::max(a, double(k));
      if (cover > 0) u[static_cast<std::size_t>(k)] += e.amplitude * cover;
    }
  }
  const auto nh = static_cast<std::size_t>(std::ceil(kHrfLength / dt_s));
  std::vector<double> h(nh);
  double area = 0.0;
  for (std::size_t k = 0; k < nh; ++k) {
    h[k] = canonical_hrf((static_cast<double>(k) + 0.5) * dt_s);
    area += h[k];
  }
  for (double& v : h) v /= area;
  std::vector<double> y(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    if (u[i] == 0.0) continue;
    const std::size_t m = std::min(nh, n - i);
    for (std::size_t k = 0; k < m; ++k) y[i + k] += u[i] * h[k];
  }
  for (std::size_t j = 0; j < times_s.size(); ++j) {
    const double x = (times_s[j] - t_start) / dt_s;
    const auto k = static_cast<std::size_t>(std::clamp(std::floor(x), 0.0, double(n - 2)));
    const double f = std::clamp(x - double(k), 0.0, 1.0);
    out[j] = (1.0 - f) * y[k] + f * y[k + 1];
  }
  return out;
}

TaskDesign make_task_design(const Events& events, std::int64_t n_volumes, double tr_s,
                            double start_time_s, double highpass_s) {
  if (!(tr_s > 0)) throw usage_error("task design: repetition time must be positive");
  if (!(highpass_s >= 0))
    throw usage_error("task design: the high-pass cutoff must not be negative");
  TaskDesign d;
  d.tr_s = tr_s;
  d.start_time_s = start_time_s;
  d.highpass_s = highpass_s;
  std::vector<double> times(static_cast<std::size_t>(n_volumes));
  for (std::int64_t i = 0; i < n_volumes; ++i) {
    times[static_cast<std::size_t>(i)] = static_cast<double>(i) * tr_s + start_time_s;
  }
  for (const auto& c : events.conditions()) {
    d.conditions.push_back(c);
    const auto of = events.of(c);
    d.unfiltered.push_back(hrf_response(of, times));
    double longest = 0.0;
    for (const auto& e : of) longest = std::max(longest, e.duration_s);
    d.block_s.push_back(longest);
    d.regressors.push_back(
        highpass_s > 0 && n_volumes > 1
            ? highpass_filter(d.unfiltered.back(), highpass_sigma_volumes(highpass_s, tr_s))
            : d.unfiltered.back());
  }
  return d;
}

std::vector<double> shifted_regressor(const TaskDesign& d, std::size_t condition, double shift_s) {
  if (condition >= d.unfiltered.size())
    throw usage_error("task design: no condition " + std::to_string(condition));
  const std::vector<double>& x = d.unfiltered[condition];
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<double> y(x.size());
  if (n == 0) return y;
  // y(t) = x(t − shift), circularly: sample i takes x at index i − shift/TR (mod n).
  const double s = std::fmod(shift_s / d.tr_s, static_cast<double>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    double f = static_cast<double>(i) - s;
    f -= std::floor(f / static_cast<double>(n)) * static_cast<double>(n);
    const auto i0 = static_cast<std::int64_t>(std::floor(f)) % n;
    const auto i1 = (i0 + 1) % n;
    const double w = f - std::floor(f);
    y[static_cast<std::size_t>(i)] =
        (1.0 - w) * x[static_cast<std::size_t>(i0)] + w * x[static_cast<std::size_t>(i1)];
  }
  if (d.highpass_s > 0 && n > 1)
    y = highpass_filter(y, highpass_sigma_volumes(d.highpass_s, d.tr_s));
  if (!d.nuisance.empty()) NuisanceBasis(d.nuisance, n).project_out(y.data());
  return y;
}

void regress_out_nuisance(TaskDesign& d, std::vector<std::vector<double>> nuisance) {
  if (nuisance.empty()) return;
  const auto n = d.regressors.empty() ? static_cast<std::int64_t>(nuisance.front().size())
                                      : static_cast<std::int64_t>(d.regressors.front().size());
  const NuisanceBasis basis(nuisance, n);
  for (auto& r : d.regressors) basis.project_out(r.data());
  d.nuisance = std::move(nuisance);
}

} // namespace dcae::io
