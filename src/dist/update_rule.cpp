#include "dist/update_rule.h"

#include <cmath>

namespace dcae::dist {

void AdagradRule::apply(float* params, float* state, const float* grad, std::int64_t n) const {
  const float lr = static_cast<float>(s_.learning_rate);
  const float eps = static_cast<float>(s_.eps);
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = grad[i];
    state[i] += g * g;
    params[i] -= lr * g / (std::sqrt(state[i]) + eps);
  }
}

}  // namespace dcae::dist
