#include "ps/update_rule.h"

#include <cmath>

#include <immintrin.h>

namespace dcae::ps {

namespace {

// 8 values at a time; the same IEEE operations as the scalar loop (no FMA), so the same results.
__attribute__((target("avx"))) std::int64_t
apply_avx(float lr, float eps, float* params, float* state, const float* grad, std::int64_t n) {
  const __m256 vlr = _mm256_set1_ps(lr), veps = _mm256_set1_ps(eps);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(grad + i);
    const __m256 s = _mm256_add_ps(_mm256_loadu_ps(state + i), _mm256_mul_ps(g, g));
    _mm256_storeu_ps(state + i, s);
    const __m256 step =
        _mm256_div_ps(_mm256_mul_ps(vlr, g), _mm256_add_ps(_mm256_sqrt_ps(s), veps));
    _mm256_storeu_ps(params + i, _mm256_sub_ps(_mm256_loadu_ps(params + i), step));
  }
  return i;
}

} // namespace

void AdagradRule::apply(float* params, float* state, const float* grad, std::int64_t n) const {
  const float lr = static_cast<float>(s_.learning_rate);
  const float eps = static_cast<float>(s_.eps);
  static const bool avx = __builtin_cpu_supports("avx");
  for (std::int64_t i = avx ? apply_avx(lr, eps, params, state, grad, n) : 0; i < n; ++i) {
    const float g = grad[i];
    state[i] += g * g;
    params[i] -= lr * g / (std::sqrt(state[i]) + eps);
  }
}

} // namespace dcae::ps
