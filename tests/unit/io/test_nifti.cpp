#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include <gtest/gtest.h>
#include <zlib.h>

#include "core/error.h"
#include "io/nifti.h"
#include "test_data.h"

namespace fs = std::filesystem;

namespace dcae::io {
namespace {

Image small_image(std::int64_t nt = 3, double tr = 2.0) {
  ImageHeader h;
  h.dim = {4, 5, 6, nt};
  h.spacing_mm = {2.0, 2.5, 3.0};
  h.tr_s = tr;
  h.qform_code = 1;
  h.sform_code = 2;
  h.qform = identity4();
  for (int i = 0; i < 3; ++i) h.qform[i][i] = h.spacing_mm[i];
  h.qform[0][3] = -10;
  h.qform[1][3] = 20;
  h.qform[2][3] = 5;
  h.sform = h.qform;
  h.sform[0][1] = 0.25; // shear only the sform can hold
  Image img(h);
  for (std::size_t i = 0; i < img.data().size(); ++i)
    img.data()[i] = static_cast<float>(i) * 0.5f - 7.f;
  return img;
}

/// Expects `fn` to throw an input error whose message contains `needle`.
template <typename Fn> void expect_input_error(Fn fn, const std::string& needle) {
  test::expect_error(fn, ExitCode::kBadInput, {needle});
}

} // namespace

TEST(Nifti, ReadsFunctionalInt16WithScaling) {
  const fs::path f = test::nibabel_data() / "functional.nii";
  DCAE_REQUIRE_DATA(f);
  const Image img = Image::read(f);
  EXPECT_EQ(img.header().dim, (std::array<std::int64_t, 4>{17, 21, 3, 20}));
  EXPECT_DOUBLE_EQ(img.header().tr_s, 2.0);
  EXPECT_EQ(img.header().stored_datatype, "INT16");
  EXPECT_NEAR(img.data()[0], 4004.137202501297, 1e-2); // nibabel: scl_slope/inter applied
  double sum = 0;
  for (float v : img.data()) sum += v;
  EXPECT_NEAR(sum, 77913290.36, 77913290.36 * 1e-6);
  const Matrix4 m = img.header().voxel_to_world();
  EXPECT_DOUBLE_EQ(m[0][0], -4.0);
  EXPECT_DOUBLE_EQ(m[0][3], 32.0);
  EXPECT_DOUBLE_EQ(m[2][2], 8.0);
}

TEST(Nifti, ReadsBigEndian) {
  const fs::path f = test::nibabel_data() / "anatomical.nii";
  DCAE_REQUIRE_DATA(f);
  const Image img = Image::read(f);
  EXPECT_EQ(img.header().dim, (std::array<std::int64_t, 4>{33, 41, 25, 1}));
  EXPECT_EQ(img.header().ndim(), 3);
  EXPECT_FLOAT_EQ(img.data()[0], 10712.f); // swapped correctly (nibabel's value)
  EXPECT_FLOAT_EQ(*std::max_element(img.data().begin(), img.data().end()), 30393.f);
}

TEST(Nifti, ReadsNifti2AndExtensions) {
  const fs::path f = test::nibabel_data() / "example_nifti2.nii.gz";
  DCAE_REQUIRE_DATA(f);
  const Image img = Image::read(f);
  EXPECT_EQ(img.header().nifti_version, 2);
  EXPECT_EQ(img.header().dim, (std::array<std::int64_t, 4>{32, 20, 12, 2}));
  EXPECT_FLOAT_EQ(img.data()[0], 424.f);
  double sum = 0;
  for (float v : img.data()) sum += v;
  EXPECT_DOUBLE_EQ(sum, 6926802.0);
  EXPECT_EQ(img.header().extensions.size(), 2u);
  EXPECT_NEAR(img.header().voxel_to_world()[1][2], -0.3555, 1e-4);

  const fs::path f1 = test::nibabel_data() / "example4d.nii.gz";
  DCAE_REQUIRE_DATA(f1);
  const Image img1 = Image::read(f1);
  EXPECT_EQ(img1.header().nifti_version, 1);
  EXPECT_EQ(img1.header().extensions.size(), 2u);
  EXPECT_EQ(img1.header().dim, (std::array<std::int64_t, 4>{128, 96, 24, 2}));
}

TEST(Nifti, RoundTripKeepsHeaderAndDataInAllFormats) {
  test::TempDir dir;
  Image img = small_image();
  img.header().extensions.push_back({6, "a comment extension"});
  for (const std::string name : {"a.nii", "b.nii.gz"}) {
    for (int version : {1, 2}) {
      const fs::path p = dir / (std::to_string(version) + name);
      img.write(p, {StoredType::kFloat32, version});
      const Image back = Image::read(p);
      EXPECT_EQ(back.header().nifti_version, version);
      EXPECT_EQ(back.header().dim, img.header().dim);
      EXPECT_DOUBLE_EQ(back.header().tr_s, 2.0);
      EXPECT_EQ(back.header().qform_code, 1);
      EXPECT_EQ(back.header().sform_code, 2);
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) {
          EXPECT_NEAR(back.header().sform[r][c], img.header().sform[r][c], 1e-5);
          EXPECT_NEAR(back.header().qform[r][c], img.header().qform[r][c], 1e-5);
        }
      EXPECT_EQ(back.data(), img.data());
      ASSERT_EQ(back.header().extensions.size(), 1u);
      EXPECT_EQ(back.header().extensions[0].code, 6);
      EXPECT_EQ(back.header().extensions[0].data.substr(0, 19), "a comment extension");
    }
  }
}

TEST(Nifti, NibabelReadsWhatWeWrite) {
  test::TempDir dir;
  const Image img = small_image();
  img.write(dir / "n1.nii.gz", {StoredType::kInt16Scaled, 1});
  img.write(dir / "n2.nii", {StoredType::kFloat32, 2});
  const int rc = test::run_debian_python(
      "import nibabel as nib, numpy as np, sys; "
      "a = nib.load('" +
      (dir / "n1.nii.gz").string() + "'); b = nib.load('" + (dir / "n2.nii").string() +
      "'); "
      "ok = type(b.header).__name__ == 'Nifti2Header' and b.shape == (4, 5, 6, 3) and a.shape == "
      "b.shape; "
      "ok = ok and abs(b.header.get_zooms()[3] - 2.0) < 1e-9 and abs(b.affine[0, 1] - 0.25) < "
      "1e-6; "
      "ok = ok and np.allclose(a.get_fdata(), b.get_fdata(), atol=0.01) and b.get_fdata()[3, 4, 5, "
      "2] == " +
      std::to_string(img.at(3, 4, 5, 2)) + "; sys.exit(0 if ok else 1)");
  if (rc < 0) GTEST_SKIP() << "/usr/bin/python3 with nibabel not available";
  EXPECT_EQ(rc, 0);
}

TEST(Nifti, Int16ScaledKeepsValuesWithinOneStep) {
  test::TempDir dir;
  const Image img = small_image();
  img.write(dir / "s.nii.gz", {StoredType::kInt16Scaled, 1});
  const Image back = Image::read(dir / "s.nii.gz");
  EXPECT_EQ(back.header().stored_datatype, "INT16");
  const float amax = std::max(std::fabs(img.data().front()), std::fabs(img.data().back()));
  for (std::size_t i = 0; i < img.data().size(); ++i) {
    EXPECT_NEAR(back.data()[i], img.data()[i], amax / 32767.0 * 0.51);
  }
}

TEST(Nifti, TimeUnitsInMillisecondsAreConverted) {
  test::TempDir dir;
  small_image().write(dir / "ms.nii");
  // Patch the header: pixdim[4] = 2000 and xyzt_units = mm | ms (NIfTI-1 offsets 92 and 123).
  std::fstream f(dir / "ms.nii", std::ios::in | std::ios::out | std::ios::binary);
  const float tr_ms = 2000.f;
  f.seekp(76 + 4 * 4);
  f.write(reinterpret_cast<const char*>(&tr_ms), 4);
  const char units = 2 | 16;
  f.seekp(123);
  f.write(&units, 1);
  f.close();
  EXPECT_DOUBLE_EQ(Image::read(dir / "ms.nii").header().tr_s, 2.0);
}

TEST(Nifti, BadInputsGiveClearErrorsNamingTheFile) {
  test::TempDir dir;
  expect_input_error([&] { Image::read(dir / "missing.nii.gz"); }, "missing.nii.gz: no such file");

  std::ofstream(dir / "empty.nii").close();
  expect_input_error([&] { Image::read(dir / "empty.nii"); }, "empty.nii: empty file");

  std::ofstream(dir / "garbage.nii") << std::string(400, 'x');
  expect_input_error([&] { Image::read(dir / "garbage.nii"); },
                     "garbage.nii: not a readable NIfTI");

  // Truncated data: a valid header followed by too few bytes.
  small_image().write(dir / "full.nii");
  const auto size = fs::file_size(dir / "full.nii");
  fs::copy_file(dir / "full.nii", dir / "cut.nii");
  fs::resize_file(dir / "cut.nii", size - 100);
  expect_input_error([&] { Image::read(dir / "cut.nii"); },
                     "cut.nii: truncated or corrupt image data");

  // Truncated gzip.
  small_image().write(dir / "full.nii.gz");
  fs::copy_file(dir / "full.nii.gz", dir / "cut.nii.gz");
  fs::resize_file(dir / "cut.nii.gz", fs::file_size(dir / "full.nii.gz") / 2);
  expect_input_error([&] { Image::read(dir / "cut.nii.gz"); }, "cut.nii.gz:");

  // Wrong dimensionality, too few volumes, zero TR.
  small_image(1).write(dir / "vol3d.nii");
  ImageRequirements need4d;
  need4d.min_ndim = 4;
  expect_input_error([&] { Image::read(dir / "vol3d.nii", need4d); },
                     "vol3d.nii: expected a 4-D image, got 3-D");
  ImageRequirements two;
  two.min_volumes = 5;
  expect_input_error([&] { Image::read(dir / "full.nii", two); },
                     "has 3 volume(s), at least 5 needed");
  small_image(3, 0.0).write(dir / "notr.nii");
  ImageRequirements tr;
  tr.require_tr = true;
  expect_input_error([&] { Image::read(dir / "notr.nii", tr); },
                     "notr.nii: repetition time (pixdim[4]) is zero");

  // All NaN.
  Image nan = small_image();
  std::fill(nan.data().begin(), nan.data().end(), std::numeric_limits<float>::quiet_NaN());
  nan.write(dir / "nan.nii");
  expect_input_error([&] { Image::read(dir / "nan.nii"); }, "nan.nii: every voxel value is NaN");
}

// Found by tests/fuzz (fuzz_nifti): a 364-byte file whose header claims billions of voxels
// made the reader allocate 37 GB (an out-of-memory crash) before finding the data missing.
// Now it is a truncated file, as .nii and as .nii.gz (whose gzip size field then disagrees).
TEST(Nifti, AHeaderClaimingMoreDataThanTheFileHoldsIsTruncatedNotAnAllocation) {
  test::TempDir dir;
  Image img = small_image();
  img.write(dir / "small.nii");
  std::string bytes;
  {
    std::ifstream in(dir / "small.nii", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // dim[1..4] = 30000 x 30000 x 30000 x 30000 (NIfTI-1 header: dim at byte 40, int16).
  for (int d = 1; d <= 4; ++d) {
    const std::int16_t v = 30000;
    std::memcpy(&bytes[40 + 2 * static_cast<std::size_t>(d)], &v, 2);
  }
  std::ofstream(dir / "huge.nii", std::ios::binary) << bytes;
  expect_input_error([&] { Image::read(dir / "huge.nii"); },
                     "huge.nii: truncated or corrupt image data");
  gzFile gz = gzopen((dir / "huge.nii.gz").c_str(), "wb");
  gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
  expect_input_error([&] { Image::read(dir / "huge.nii.gz"); }, "huge.nii.gz:");
}

TEST(Nifti, WriteFailureLeavesNoFile) {
  test::TempDir dir;
  EXPECT_THROW(small_image().write(dir / "x.img"), Error);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Nifti, AffineHelpers) {
  Matrix4 m = identity4();
  m[0][0] = 2;
  m[1][2] = 1;
  m[0][3] = 5;
  const Matrix4 p = multiply4(m, inverse4(m));
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(p[r][c], r == c ? 1.0 : 0.0, 1e-12);
}

} // namespace dcae::io
