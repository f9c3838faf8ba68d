#include "ps/internal/wire.h"

#include <cstring>
#include <vector>

#include <immintrin.h>

#include "ps/half.h"

namespace dcae::ps {
namespace {

__attribute__((target("avx2"))) std::int64_t count_non_finite_avx2(const float* v, std::int64_t n,
                                                                   std::int64_t* done) {
  const __m256i exp = _mm256_set1_epi32(0x7f800000);
  __m256i bad = _mm256_setzero_si256();
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i));
    bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(_mm256_and_si256(x, exp), exp));
  }
  *done = i;
  return _mm256_testz_si256(bad, bad) ? 0 : 1;
}

bool all_finite(const float* v, std::int64_t n) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  std::uint32_t bad = 0;
  std::int64_t start = 0;
  if (avx2 && count_non_finite_avx2(v, n, &start) != 0) return false;
  for (std::int64_t i = start; i < n; ++i) {
    std::uint32_t x = 0;
    std::memcpy(&x, v + i, 4);
    bad |= static_cast<std::uint32_t>((x & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

std::int64_t decode_bytes(const std::string& data, proto::Encoding enc, std::int64_t offset,
                          std::int64_t length, float* out, std::string* error) {
  if (enc != proto::FLOAT32 && enc != proto::FLOAT16) {
    *error = "unknown encoding";
    return -1;
  }
  const std::int64_t bpv = bytes_per_value(enc);
  if (static_cast<std::int64_t>(data.size()) % bpv != 0) {
    *error = "chunk of " + std::to_string(data.size()) + " bytes is not a whole number of values";
    return -1;
  }
  const std::int64_t n = static_cast<std::int64_t>(data.size()) / bpv;
  if (offset < 0 || offset + n > length) {
    *error = "chunk [" + std::to_string(offset) + ", " + std::to_string(offset + n) +
             ") outside a shard of " + std::to_string(length) + " values";
    return -1;
  }
  float* dst = out + offset;
  if (enc == proto::FLOAT32) {
    std::memcpy(dst, data.data(), static_cast<std::size_t>(n) * 4);
  } else {
    std::vector<std::uint16_t> h(static_cast<std::size_t>(n));
    std::memcpy(h.data(), data.data(), static_cast<std::size_t>(n) * 2);
    decode_half(h.data(), h.size(), dst);
  }
  if (!all_finite(dst, n)) {
    *error = "non-finite value (NaN or Inf) in values [" + std::to_string(offset) + ", " +
             std::to_string(offset + n) + ")";
    return -1;
  }
  return n;
}

} // namespace

void encode_values(const float* values, std::int64_t n, proto::Encoding encoding,
                   std::string* out) {
  if (encoding == proto::FLOAT16) {
    out->resize(static_cast<std::size_t>(n) * 2);
    auto* dst = reinterpret_cast<std::uint16_t*>(out->data());
    encode_half(values, static_cast<std::size_t>(n), dst);
  } else {
    out->assign(reinterpret_cast<const char*>(values), static_cast<std::size_t>(n) * 4);
  }
}

std::int64_t decode_chunk(const proto::ParameterChunk& c, proto::Encoding encoding,
                          std::int64_t length, float* out, std::string* error) {
  return decode_bytes(c.data(), encoding, c.offset(), length, out, error);
}

std::int64_t decode_accumulator(const proto::ParameterChunk& c, proto::Encoding encoding,
                                std::int64_t length, float* out, std::string* error) {
  return decode_bytes(c.accumulator(), encoding, c.offset(), length, out, error);
}

} // namespace dcae::ps
