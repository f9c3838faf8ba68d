#pragma once
/// \file png.h
/// 8-bit raster images and a PNG encoder (zlib), for slice mosaics inlined as data URIs.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dcae::report {

/// An 8-bit image: rows top to bottom, `channels` (1 grey, 3 RGB) interleaved per pixel.
struct Raster {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<std::uint8_t> pixels; ///< height · width · channels bytes

  Raster() = default;
  /// A raster filled with `fill` in every channel.
  Raster(int w, int h, int c, std::uint8_t fill = 0);
  /// The first channel of pixel (x, y); the others follow it.
  std::uint8_t* at(int x, int y) {
    return pixels.data() + (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                            static_cast<std::size_t>(x)) *
                               static_cast<std::size_t>(channels);
  }
  const std::uint8_t* at(int x, int y) const {
    return pixels.data() + (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                            static_cast<std::size_t>(x)) *
                               static_cast<std::size_t>(channels);
  }
};

/// Encodes `image` as a PNG file (8-bit grey or RGB, not interlaced, per-row adaptive filter,
/// zlib level 6). Throws runtime_error for an empty or inconsistent raster.
std::string encode_png(const Raster& image);

/// Standard base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

/// "data:image/png;base64,..." for an <img src>.
std::string png_data_uri(const Raster& image);

} // namespace dcae::report
