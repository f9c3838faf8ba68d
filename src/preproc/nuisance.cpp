#include "preproc/nuisance.h"

#include <cmath>

#include "core/error.h"

namespace dcae::preproc {

NuisanceRegressors motion_regressors(const std::vector<io::MotionParams>& motion, int model) {
  if (model != 0 && model != 6 && model != 24)
    throw usage_error("motion regressors: the model has 0, 6 or 24 columns, not " +
                      std::to_string(model));
  NuisanceRegressors r;
  if (model == 0) return r;
  const std::size_t nt = motion.size();
  for (std::size_t k = 0; k < 6; ++k) {
    std::vector<double> c(nt);
    for (std::size_t t = 0; t < nt; ++t) c[t] = motion[t][k];
    r.names.emplace_back(io::kMotionColumns[k]);
    r.columns.push_back(std::move(c));
  }
  if (model == 24) {
    // fMRIPrep's expansion: backward differences (0 at the first volume), then the squares of
    // the parameters and of the differences.
    for (std::size_t k = 0; k < 6; ++k) {
      std::vector<double> d(nt, 0.0);
      for (std::size_t t = 1; t < nt; ++t) d[t] = motion[t][k] - motion[t - 1][k];
      r.names.push_back(std::string(io::kMotionColumns[k]) + "_derivative1");
      r.columns.push_back(std::move(d));
    }
    for (std::size_t k = 0; k < 12; ++k) {
      std::vector<double> s = r.columns[k];
      for (double& v : s) v *= v;
      r.names.push_back(r.names[k] + "_power2");
      r.columns.push_back(std::move(s));
    }
  }
  return r;
}

} // namespace dcae::preproc
