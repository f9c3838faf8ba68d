#pragma once
/// \file npy.h
/// NumPy .npy files (format 1.0/2.0) holding little-endian float32 or float64 C-order arrays.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dcae::io {

/// The header of a .npy file.
struct NpyHeader {
  std::string descr; ///< "<f4" or "<f8"
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
  std::uint64_t data_offset = 0; ///< bytes before the data
  std::uint64_t count() const;   ///< product of the shape
  std::size_t item_size() const { return descr == "<f8" ? 8 : 4; }
};

/// Parses the header; throws input_error naming the file when it is not a supported .npy.
NpyHeader read_npy_header(const std::filesystem::path& path);

/// Reads the whole array as float32 (float64 converted). Checks the file holds all the data.
std::vector<float> read_npy(const std::filesystem::path& path, NpyHeader* header = nullptr);

/// Writes a float32 C-order array atomically (format 1.0, '<f4').
void write_npy(const std::filesystem::path& path, const float* data,
               const std::vector<std::uint64_t>& shape);

/// The header bytes write_npy puts before the data (for streaming writers).
std::string npy_header_bytes(const std::vector<std::uint64_t>& shape);

} // namespace dcae::io
