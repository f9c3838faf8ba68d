#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "report/png.h"
#include "report_test_util.h"
#include "test_data.h"

namespace dcae::report {
namespace {

// An independent decoder: chunk CRCs, IHDR, zlib, and the five scanline filters.
const char* kPngCheck = R"(import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'signature'
pos, chunks = 8, []
while pos < len(data):
    n, = struct.unpack('>I', data[pos:pos + 4]); kind = data[pos + 4:pos + 8]; body = data[pos + 8:pos + 8 + n]
    crc, = struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])
    assert zlib.crc32(kind + body) & 0xffffffff == crc, 'crc of ' + kind.decode()
    chunks.append((kind, body)); pos += 12 + n
assert chunks[0][0] == b'IHDR' and chunks[-1][0] == b'IEND'
w, h, depth, ctype, comp, filt, inter = struct.unpack('>IIBBBBB', chunks[0][1])
assert depth == 8 and comp == 0 and filt == 0 and inter == 0
bpp = {0: 1, 2: 3}[ctype]
raw = zlib.decompress(b''.join(b for k, b in chunks if k == b'IDAT'))
stride = w * bpp
assert len(raw) == h * (stride + 1), 'size'
prev, rows = bytearray(stride), []
for y in range(h):
    f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 0: p = 0
        elif f == 1: p = a
        elif f == 2: p = b
        elif f == 3: p = (a + b) // 2
        else:
            q = a + b - c; pa, pb, pc = abs(q - a), abs(q - b), abs(q - c)
            p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        line[i] = (line[i] + p) & 255
    rows.append(line); prev = line
expected = open(sys.argv[2], 'rb').read()
assert (w, h, bpp) == tuple(int(v) for v in sys.argv[3:6]), (w, h, bpp)
assert b''.join(rows) == expected, 'pixels differ'
)";

Raster pattern(int w, int h, int channels) {
  Raster r(w, h, channels);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = r.at(x, y);
      for (int c = 0; c < channels; ++c) {
        // Smooth ramps, a sharp edge and noise-like bits exercise every filter.
        p[c] = static_cast<std::uint8_t>(c == 0   ? x * 7 + y
                                         : c == 1 ? (x > w / 2 ? 250 : 3)
                                                  : (x * 31 + y * 17 + c) % 251);
      }
    }
  }
  return r;
}

TEST(Png, Base64KnownVectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("M"), "TQ==");
  EXPECT_EQ(base64("Ma"), "TWE=");
  EXPECT_EQ(base64("Man"), "TWFu");
  EXPECT_EQ(base64(std::string("\xff\x00\x10", 3)), "/wAQ");
}

TEST(Png, StartsWithTheSignatureAndHeader) {
  const std::string png = encode_png(pattern(5, 3, 3));
  ASSERT_GT(png.size(), 33u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(static_cast<unsigned char>(png[19]), 5u); // width, big-endian
  EXPECT_EQ(static_cast<unsigned char>(png[23]), 3u); // height
  EXPECT_EQ(png.substr(png.size() - 8, 4), "IEND");
  EXPECT_EQ(png_data_uri(pattern(2, 2, 1)).rfind("data:image/png;base64,", 0), 0u);
}

TEST(Png, RefusesAnInconsistentRaster) {
  Raster r(4, 4, 3);
  r.pixels.pop_back();
  test::expect_error([&] { encode_png(r); }, ExitCode::kRuntime, {"inconsistent raster"});
  test::expect_error([&] { encode_png(Raster(0, 4, 3)); }, ExitCode::kRuntime, {"raster"});
}

TEST(Png, DecodesBackToTheSamePixels) {
  if (!test_util::have_python()) GTEST_SKIP() << "/usr/bin/python3 not available";
  test::TempDir dir;
  for (int channels : {1, 3}) {
    const Raster r = pattern(37, 23, channels);
    test_util::write_text(dir / "a.png", encode_png(r));
    test_util::write_text(dir / "a.raw", std::string(r.pixels.begin(), r.pixels.end()));
    const std::string args = (dir / "a.png").string() + " " + (dir / "a.raw").string() + " 37 23 " +
                             std::to_string(channels);
    EXPECT_EQ(test_util::run_python(dir.path(), kPngCheck, args), 0) << channels << " channel(s)";
    // The check can fail: other pixels are told apart.
    Raster other = r;
    other.pixels[100] ^= 1;
    test_util::write_text(dir / "a.raw", std::string(other.pixels.begin(), other.pixels.end()));
    EXPECT_NE(test_util::run_python(dir.path(), kPngCheck, args), 0);
  }
}

} // namespace
} // namespace dcae::report
