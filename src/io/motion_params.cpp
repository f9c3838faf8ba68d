#include "io/motion_params.h"

#include <cmath>

namespace dcae::io {

std::vector<double> framewise_displacement(const std::vector<MotionParams>& params,
                                           double radius_mm) {
  std::vector<double> fd(params.size(), 0.0);
  const double d2r = M_PI / 180.0;
  for (std::size_t t = 1; t < params.size(); ++t) {
    double s = 0.0;
    for (std::size_t a = 0; a < 3; ++a) s += std::fabs(params[t][a] - params[t - 1][a]);
    for (std::size_t a = 3; a < 6; ++a)
      s += radius_mm * d2r * std::fabs(params[t][a] - params[t - 1][a]);
    fd[t] = s;
  }
  return fd;
}

} // namespace dcae::io
