#pragma once
/// \file nifti.h
/// NIfTI-1/-2 images (.nii, .nii.gz) through nifti_clib, held as float32 in memory.
/// Every stored data type is converted to float32 with scl_slope/scl_inter applied;
/// qform/sform, units and header extensions are kept and written back.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dcae::io {

/// 4x4 affine, row-major: world (mm) = M · [i j k 1]ᵀ.
using Matrix4 = std::array<std::array<double, 4>, 4>;

/// Identity matrix.
Matrix4 identity4();
/// Inverse of an affine (throws runtime_error if singular).
Matrix4 inverse4(const Matrix4& m);
/// Product a·b.
Matrix4 multiply4(const Matrix4& a, const Matrix4& b);

/// A NIfTI header extension (ecode and raw bytes).
struct NiftiExtension {
  int code = 0;
  std::string data;
};

/// The header fields dcae uses.
struct ImageHeader {
  std::array<std::int64_t, 4> dim{1, 1, 1, 1}; ///< nx, ny, nz, nt (voxels, volumes)
  std::array<double, 3> spacing_mm{1, 1, 1};   ///< voxel size (mm)
  double tr_s = 0.0;                           ///< repetition time (s); 0 = unknown / 3-D
  double toffset_s = 0.0;
  int qform_code = 0;
  int sform_code = 0;
  Matrix4 qform = identity4(); ///< qto_xyz
  Matrix4 sform = identity4(); ///< sto_xyz
  int slice_dim = 0;           ///< 1..3 or 0 (unknown)
  double slice_duration_s = 0.0;
  std::string description;
  std::string intent_name;
  int nifti_version = 1;                   ///< of the file read (1 or 2)
  std::string stored_datatype = "FLOAT32"; ///< of the file read
  std::vector<NiftiExtension> extensions;

  std::int64_t voxels_per_volume() const { return dim[0] * dim[1] * dim[2]; }
  std::int64_t volumes() const { return dim[3]; }
  /// Number of dimensions with size > 1 among x,y,z,t counting x,y,z always (3 or 4).
  int ndim() const { return dim[3] > 1 ? 4 : 3; }
  /// voxel → world: sform if set, else qform if set, else the voxel size on the diagonal.
  Matrix4 voxel_to_world() const;
};

/// What a reader requires of an image; violations are input errors naming the file.
struct ImageRequirements {
  int min_ndim = 3; ///< 3 or 4
  int max_ndim = 4;
  std::int64_t min_volumes = 1;
  bool require_tr = false; ///< pixdim[4] must be > 0
  bool reject_all_nan = true;
};

/// Stored data type when writing.
/// kUInt8 is for masks and labels (values rounded and clamped to 0..255, no scaling).
enum class StoredType { kFloat32, kInt16Scaled, kUInt8 };

struct WriteOptions {
  StoredType type = StoredType::kFloat32;
  int nifti_version = 1; ///< 1 or 2
};

/// A 3-D or 4-D image, data in NIfTI order (x fastest, then y, z, t).
/// Not thread-safe for concurrent writes; concurrent reads are fine.
class Image {
public:
  Image() = default;
  /// Zero-filled image with this header.
  explicit Image(ImageHeader header);

  /// Reads header and data. Throws input_error "<path>: <problem>" for a missing, truncated,
  /// corrupt or unsupported file, or one that breaks `req`.
  static Image read(const std::filesystem::path& path, const ImageRequirements& req = {});
  /// Reads only the header (no data).
  static ImageHeader read_header(const std::filesystem::path& path);

  /// Writes atomically (.nii or .nii.gz chosen by the extension).
  void write(const std::filesystem::path& path, const WriteOptions& opt = {}) const;

  const ImageHeader& header() const { return header_; }
  ImageHeader& header() { return header_; }
  std::int64_t nx() const { return header_.dim[0]; }
  std::int64_t ny() const { return header_.dim[1]; }
  std::int64_t nz() const { return header_.dim[2]; }
  std::int64_t nt() const { return header_.dim[3]; }

  std::vector<float>& data() { return data_; }
  const std::vector<float>& data() const { return data_; }
  /// Linear index of voxel (i,j,k) in volume t.
  std::int64_t index(std::int64_t i, std::int64_t j, std::int64_t k, std::int64_t t = 0) const {
    return i + nx() * (j + ny() * (k + nz() * t));
  }
  float& at(std::int64_t i, std::int64_t j, std::int64_t k, std::int64_t t = 0) {
    return data_[static_cast<std::size_t>(index(i, j, k, t))];
  }
  float at(std::int64_t i, std::int64_t j, std::int64_t k, std::int64_t t = 0) const {
    return data_[static_cast<std::size_t>(index(i, j, k, t))];
  }
  float* volume(std::int64_t t) {
    return data_.data() + static_cast<std::size_t>(t * header_.voxels_per_volume());
  }
  const float* volume(std::int64_t t) const {
    return data_.data() + static_cast<std::size_t>(t * header_.voxels_per_volume());
  }
  /// Number of NaN/Inf values.
  std::int64_t count_nonfinite() const;

private:
  ImageHeader header_;
  std::vector<float> data_;
};

} // namespace dcae::io
