#include "core/nuisance_basis.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace dcae {

NuisanceBasis::NuisanceBasis(const std::vector<std::vector<double>>& columns, std::int64_t n_time)
    : n_time_(n_time) {
  const auto n = static_cast<std::size_t>(n_time);
  std::vector<std::vector<double>> all;
  all.emplace_back(n, 1.0); // the intercept
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].size() != n)
      throw usage_error("nuisance regressor " + std::to_string(c) + " has " +
                        std::to_string(columns[c].size()) + " values for a run of " +
                        std::to_string(n_time) + " volumes");
    for (const double v : columns[c])
      if (!std::isfinite(v))
        throw usage_error("nuisance regressor " + std::to_string(c) + " has a non-finite value");
    all.push_back(columns[c]);
  }
  for (auto& v : all) {
    double norm0 = 0.0;
    for (const double x : v) norm0 += x * x;
    norm0 = std::sqrt(norm0);
    if (norm0 == 0.0) continue;
    // Twice (re-orthogonalisation): keeps the basis orthonormal to rounding for nearly
    // collinear columns such as a parameter and its square.
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& q : basis_) {
        double dot = 0.0;
        for (std::size_t t = 0; t < n; ++t) dot += q[t] * v[t];
        for (std::size_t t = 0; t < n; ++t) v[t] -= dot * q[t];
      }
    double norm = 0.0;
    for (const double x : v) norm += x * x;
    norm = std::sqrt(norm);
    if (norm <= 1e-8 * norm0) continue; // depends on the columns kept so far
    for (double& x : v) x /= norm;
    basis_.push_back(std::move(v));
  }
}

void NuisanceBasis::project_out(double* series) const {
  const auto n = static_cast<std::size_t>(n_time_);
  for (const auto& q : basis_) {
    double dot = 0.0;
    for (std::size_t t = 0; t < n; ++t) dot += q[t] * series[t];
    for (std::size_t t = 0; t < n; ++t) series[t] -= dot * q[t];
  }
}

} // namespace dcae
