#include "ps/half.h"

#include <cstring>

#include <cpuid.h>
#include <immintrin.h>

namespace dcae::ps {

std::uint16_t float_to_half(float f) {
  std::uint32_t x = 0;
  std::memcpy(&x, &f, sizeof x);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t exp = (x >> 23) & 0xffu;
  std::uint32_t mant = x & 0x7fffffu;
  if (exp == 0xffu)
    return static_cast<std::uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u)); // inf, nan
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f)
    return static_cast<std::uint16_t>(sign | 0x7bffu); // finite overflow saturates at ±65504
  if (e <= 0) {                                        // subnormal or zero
    if (e < -10) return static_cast<std::uint16_t>(sign);
    mant |= 0x800000u;
    const int shift = 14 - e;
    std::uint32_t h = mant >> shift;
    const std::uint32_t rest = mant & ((1u << shift) - 1u);
    const std::uint32_t half_way = 1u << (shift - 1);
    if (rest > half_way || (rest == half_way && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = (static_cast<std::uint32_t>(e) << 10) | (mant >> 13);
  const std::uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h; // may carry into the exponent: right
  if (h >= 0x7c00u) h = 0x7bffu;                            // rounded up past 65504: saturate
  return static_cast<std::uint16_t>(sign | h);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t x = 0;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else { // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      x = sign | (static_cast<std::uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f = 0;
  std::memcpy(&f, &x, sizeof f);
  return f;
}

namespace {

// The F16C instructions convert 8 values at a time (round to nearest even). Finite values
// beyond ±65504 are clamped first (F16C would make them ±inf); NaN and ±inf pass unchanged.
__attribute__((target("avx,f16c"))) std::size_t encode_f16c(const float* in, std::size_t n,
                                                            std::uint16_t* out) {
  const __m256 hi = _mm256_set1_ps(65504.0f), lo = _mm256_set1_ps(-65504.0f);
  const __m256 inf = _mm256_set1_ps(__builtin_inff());
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(in + i);
    const __m256 clamped = _mm256_max_ps(lo, _mm256_min_ps(hi, x));
    const __m256 non_finite = _mm256_cmp_ps(_mm256_and_ps(x, abs_mask), inf, _CMP_NLT_UQ);
    const __m256 v = _mm256_blendv_ps(clamped, x, non_finite);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
  return i;
}

__attribute__((target("avx,f16c"))) std::size_t decode_f16c(const std::uint16_t* in, std::size_t n,
                                                            float* out) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  }
  return i;
}

/// AVX and F16C from CPUID, with the OS saving YMM state (XGETBV): what
/// __builtin_cpu_supports("f16c") tells with gcc, which clang 14 does not know.
bool has_f16c() {
  static const bool yes = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool osxsave = (c >> 27) & 1u, avx = (c >> 28) & 1u, f16c = (c >> 29) & 1u;
    if (!osxsave || !avx || !f16c) return false;
    unsigned lo = 0, hi = 0;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6u) == 6u;
  }();
  return yes;
}

} // namespace

void encode_half(const float* in, std::size_t n, std::uint16_t* out) {
  const std::size_t done = has_f16c() ? encode_f16c(in, n, out) : 0;
  for (std::size_t i = done; i < n; ++i) out[i] = float_to_half(in[i]);
}

void decode_half(const std::uint16_t* in, std::size_t n, float* out) {
  const std::size_t done = has_f16c() ? decode_f16c(in, n, out) : 0;
  for (std::size_t i = done; i < n; ++i) out[i] = half_to_float(in[i]);
}

} // namespace dcae::ps
