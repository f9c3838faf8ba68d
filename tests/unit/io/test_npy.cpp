#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/npy.h"
#include "test_data.h"

namespace dcae::io {

TEST(Npy, HeaderIsAlignedAndRoundTrips) {
  test::TempDir dir;
  std::vector<float> a(6 * 7);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) - 3.5f;
  write_npy(dir / "a.npy", a.data(), {6, 7});
  NpyHeader h;
  EXPECT_EQ(read_npy(dir / "a.npy", &h), a);
  EXPECT_EQ(h.shape, (std::vector<std::uint64_t>{6, 7}));
  EXPECT_EQ(h.data_offset % 64, 0u);
  EXPECT_EQ(npy_header_bytes({5}).find("(5,)") != std::string::npos, true);
}

TEST(Npy, ReadsFloat64AndRejectsOtherDtypes) {
  test::TempDir dir;
  auto write_raw = [&](const std::string& name, const std::string& descr,
                       const std::string& payload) {
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }";
    dict.append(64 - (10 + dict.size() + 1) % 64, ' ');
    dict += '\n';
    std::ofstream f(dir / name, std::ios::binary);
    f.write("\x93NUMPY\x01\x00", 8);
    const char len[2] = {static_cast<char>(dict.size() & 0xff),
                         static_cast<char>(dict.size() >> 8)};
    f.write(len, 2);
    f << dict << payload;
  };
  const double d[2] = {1.25, -2.5};
  write_raw("d.npy", "<f8", std::string(reinterpret_cast<const char*>(d), 16));
  EXPECT_EQ(read_npy(dir / "d.npy"), (std::vector<float>{1.25f, -2.5f}));
  write_raw("i.npy", "<i4", std::string(8, '\0'));
  EXPECT_THROW(read_npy(dir / "i.npy"), Error);
  write_raw("short.npy", "<f4", std::string(4, '\0'));
  try {
    read_npy(dir / "short.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("short.npy: truncated .npy data"), std::string::npos)
        << e.what();
  }
  std::ofstream(dir / "text.npy") << "not numpy";
  EXPECT_THROW(read_npy_header(dir / "text.npy"), Error);
}

} // namespace dcae::io
