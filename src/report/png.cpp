#include "report/png.h"

#include <array>
#include <cstdlib>

#include <zlib.h>

#include "core/error.h"

namespace dcae::report {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xff);
  out += static_cast<char>((v >> 16) & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

void put_chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.append(type, 4);
  out += data;
  const auto* bytes = reinterpret_cast<const Bytef*>(out.data() + start);
  put_u32(out, static_cast<std::uint32_t>(crc32(0L, bytes, static_cast<uInt>(out.size() - start))));
}

int paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

} // namespace

Raster::Raster(int w, int h, int c, std::uint8_t fill)
    : width(w), height(h), channels(c),
      pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) *
                 static_cast<std::size_t>(c),
             fill) {}

std::string encode_png(const Raster& image) {
  if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3) ||
      image.pixels.size() != static_cast<std::size_t>(image.width) *
                                 static_cast<std::size_t>(image.height) *
                                 static_cast<std::size_t>(image.channels)) {
    throw runtime_error("PNG encoder: empty or inconsistent raster (" +
                        std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
                        std::to_string(image.channels) + ")");
  }
  const std::size_t bpp = static_cast<std::size_t>(image.channels);
  const std::size_t row = static_cast<std::size_t>(image.width) * bpp;
  // Filtered scanlines: for each row the filter (None, Sub, Up, Average, Paeth) with the
  // smallest sum of absolute signed residuals.
  std::string raw;
  raw.reserve((row + 1) * static_cast<std::size_t>(image.height));
  std::array<std::string, 5> cand;
  for (auto& c : cand) c.resize(row);
  const std::vector<std::uint8_t> zero(row, 0);
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t* cur = image.pixels.data() + static_cast<std::size_t>(y) * row;
    const std::uint8_t* up = y > 0 ? cur - row : zero.data();
    long best_cost = -1;
    int best = 0;
    for (int f = 0; f < 5; ++f) {
      long cost = 0;
      for (std::size_t i = 0; i < row; ++i) {
        const int a = i >= bpp ? cur[i - bpp] : 0, b = up[i], c = i >= bpp ? up[i - bpp] : 0;
        const int pred = f == 0   ? 0
                         : f == 1 ? a
                         : f == 2 ? b
                         : f == 3 ? (a + b) / 2
                                  : paeth(a, b, c);
        const auto r = static_cast<std::uint8_t>(cur[i] - pred);
        cand[static_cast<std::size_t>(f)][i] = static_cast<char>(r);
        cost += r < 128 ? r : 256 - r;
      }
      if (best_cost < 0 || cost < best_cost) {
        best_cost = cost;
        best = f;
      }
    }
    raw += static_cast<char>(best);
    raw += cand[static_cast<std::size_t>(best)];
  }
  uLongf zsize = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zsize, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &zsize,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                6) != Z_OK) {
    throw runtime_error("PNG encoder: zlib compression failed");
  }
  z.resize(zsize);

  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_u32(ihdr, static_cast<std::uint32_t>(image.width));
  put_u32(ihdr, static_cast<std::uint32_t>(image.height));
  ihdr += static_cast<char>(8);                           // bit depth
  ihdr += static_cast<char>(image.channels == 3 ? 2 : 0); // colour type: RGB or grey
  ihdr += std::string(3, '\0');                           // deflate, adaptive filter, no interlace
  put_chunk(out, "IHDR", ihdr);
  put_chunk(out, "IDAT", z);
  put_chunk(out, "IEND", "");
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (static_cast<std::uint8_t>(bytes[i]) << 16) |
                            (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                            static_cast<std::uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i]) << 16);
    if (i + 1 < bytes.size())
      v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string png_data_uri(const Raster& image) {
  return "data:image/png;base64," + base64(encode_png(image));
}

} // namespace dcae::report
