#pragma once
/// \file half.h
/// IEEE 754 half precision (binary16) conversion for fp16 transfer of parameters and
/// gradients: round to nearest even, finite values beyond ±65504 saturate (a large gradient
/// stays finite), NaN and Inf kept, subnormals kept. Thread-safe.

#include <cstddef>
#include <cstdint>

namespace dcae::ps {

/// One float to half (round to nearest even).
std::uint16_t float_to_half(float f);
/// One half to float (exact).
float half_to_float(std::uint16_t h);
/// `n` floats to `n` halves.
void encode_half(const float* in, std::size_t n, std::uint16_t* out);
/// `n` halves to `n` floats.
void decode_half(const std::uint16_t* in, std::size_t n, float* out);

} // namespace dcae::ps
