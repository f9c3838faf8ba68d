#include "io/nifti.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>

#include <nifti2_io.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace dcae::io {
namespace {

struct NimDeleter {
  void operator()(nifti_image* p) const { nifti_image_free(p); }
};
using NimPtr = std::unique_ptr<nifti_image, NimDeleter>;

/// nifti_clib keeps global settings; silence its own stderr chatter once.
void init_nifti() {
  static std::once_flag once;
  std::call_once(once, [] { nifti_set_debug_level(0); });
}

Matrix4 from_dmat(const nifti_dmat44& d) {
  Matrix4 m{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) m[r][c] = d.m[r][c];
  return m;
}

nifti_dmat44 to_dmat(const Matrix4& m) {
  nifti_dmat44 d{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) d.m[r][c] = m[r][c];
  return d;
}

double time_scale_to_seconds(int units) {
  switch (units) {
  case NIFTI_UNITS_MSEC:
    return 1e-3;
  case NIFTI_UNITS_USEC:
    return 1e-6;
  default:
    return 1.0; // seconds, or unknown (read as seconds, as FSL and nibabel do)
  }
}

template <typename T>
void convert(const void* raw, std::size_t n, double slope, double inter, float* out) {
  const T* src = static_cast<const T*>(raw);
  if (slope != 1.0 || inter != 0.0) {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<float>(static_cast<double>(src[i]) * slope + inter);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(src[i]);
  }
}

ImageHeader header_from(const nifti_image& nim) {
  ImageHeader h;
  h.dim = {nim.nx, std::max<int64_t>(nim.ny, 1), std::max<int64_t>(nim.nz, 1),
           std::max<int64_t>(nim.nt, 1)};
  if (nim.ndim < 2) h.dim[1] = 1;
  if (nim.ndim < 3) h.dim[2] = 1;
  if (nim.ndim < 4) h.dim[3] = 1;
  const double xyz_scale = nim.xyz_units == NIFTI_UNITS_METER    ? 1000.0
                           : nim.xyz_units == NIFTI_UNITS_MICRON ? 1e-3
                                                                 : 1.0;
  h.spacing_mm = {std::fabs(nim.dx) * xyz_scale, std::fabs(nim.dy) * xyz_scale,
                  std::fabs(nim.dz) * xyz_scale};
  h.tr_s = nim.ndim >= 4 ? nim.dt * time_scale_to_seconds(nim.time_units) : 0.0;
  h.toffset_s = nim.toffset * time_scale_to_seconds(nim.time_units);
  h.qform_code = nim.qform_code;
  h.sform_code = nim.sform_code;
  h.qform = from_dmat(nim.qto_xyz);
  h.sform = from_dmat(nim.sto_xyz);
  h.slice_dim = nim.slice_dim;
  h.slice_duration_s = nim.slice_duration * time_scale_to_seconds(nim.time_units);
  h.description = std::string(nim.descrip, strnlen(nim.descrip, sizeof nim.descrip));
  h.intent_name = std::string(nim.intent_name, strnlen(nim.intent_name, sizeof nim.intent_name));
  h.stored_datatype = nifti_datatype_string(nim.datatype);
  for (int e = 0; e < nim.num_ext; ++e) {
    const nifti1_extension& x = nim.ext_list[e];
    const int payload = std::max(0, x.esize - 8);
    h.extensions.push_back({x.ecode, std::string(x.edata, static_cast<std::size_t>(payload))});
  }
  return h;
}

/// The file's NIfTI version and its raw pixdim[4] (nifti_clib replaces a zero pixdim by 1).
struct RawHeaderFacts {
  int version = 1;
  double pixdim4 = 0.0;
};

RawHeaderFacts raw_header_facts(const fs::path& path) {
  RawHeaderFacts f;
  int nver = 0;
  void* raw = nifti_read_header(path.c_str(), &nver, 1);
  if (!raw) return f;
  if (nver == 2) {
    f.version = 2;
    f.pixdim4 = static_cast<nifti_2_header*>(raw)->pixdim[4];
  } else {
    f.pixdim4 = static_cast<nifti_1_header*>(raw)->pixdim[4];
  }
  std::free(raw);
  return f;
}

/// The uncompressed size modulo 2^32 that a gzip file records in its last 4 bytes (ISIZE);
/// nullopt when it cannot be read.
std::optional<std::uint32_t> gzip_isize(const char* file) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in || in.tellg() < 18) return std::nullopt;
  in.seekg(-4, std::ios::end);
  unsigned char b[4];
  if (!in.read(reinterpret_cast<char*>(b), 4)) return std::nullopt;
  return static_cast<std::uint32_t>(b[0] | (b[1] << 8) | (b[2] << 16) |
                                    (static_cast<std::uint32_t>(b[3]) << 24));
}

/// Reads the raw voxel bytes itself (nifti_image_load would silently turn NaN into 0),
/// swapping to the CPU's byte order. Throws on a short read (truncated file). Never allocates
/// more than the file can hold: a header that claims more voxels than the data (found by
/// tests/fuzz: a few bytes claiming 37 GB) is a truncated file, not an out-of-memory crash.
std::vector<char> read_raw_data(const nifti_image& nim, const fs::path& path) {
  const auto bytes = static_cast<std::size_t>(nim.nvox) * static_cast<std::size_t>(nim.nbyper);
  const char* iname = nim.iname ? nim.iname : path.c_str();
  const bool gz = nifti_is_gzfile(iname) != 0;
  const auto offset = static_cast<std::size_t>(std::max<std::int64_t>(nim.iname_offset, 0));
  auto truncated = [&](std::size_t got) {
    return input_error(path.string() + ": truncated or corrupt image data (expected " +
                       std::to_string(bytes) + " bytes, read " + std::to_string(got) + ")");
  };
  std::error_code ec;
  const auto file_bytes = static_cast<std::size_t>(fs::file_size(iname, ec));
  if (!gz && !ec && file_bytes < offset + bytes)
    throw truncated(file_bytes > offset ? file_bytes - offset : 0);
  // A gzip file whose recorded size matches is read in one piece; any other grows its buffer
  // only as data arrives.
  const auto isize = gz ? gzip_isize(iname) : std::nullopt;
  const bool known = !gz || (isize && *isize == static_cast<std::uint32_t>(offset + bytes));
  znzFile fp = znzopen(iname, "rb", gz);
  if (znz_isnull(fp)) throw input_error(path.string() + ": cannot open image data");
  // znzseek returns the new offset for gzip files and 0 for plain ones; < 0 is failure.
  const bool ok = znzseek(fp, static_cast<znz_off_t>(nim.iname_offset), SEEK_SET) >= 0;
  std::vector<char> buf;
  std::size_t got = 0;
  bool corrupt = false;
  if (ok) {
    constexpr std::size_t kStep = std::size_t{64} << 20;
    buf.resize(known ? bytes : std::min(bytes, kStep));
    for (;;) {
      const std::size_t want = buf.size() - got;
      const std::size_t n = znzread(buf.data() + got, 1, want, fp);
      // On corrupt gzip data znzread passes gzread's -1 on, as a size_t (found by
      // tests/fuzz: added to the count, it pointed the next read before the buffer).
      if (n > want) {
        corrupt = true;
        break;
      }
      got += n;
      if (got < buf.size() || buf.size() == bytes) break;
      buf.resize(std::min(bytes, buf.size() * 2));
    }
  }
  znzclose(fp);
  if (corrupt)
    throw input_error(path.string() + ": corrupt compressed image data (gzip stream error after " +
                      std::to_string(got) + " of " + std::to_string(bytes) + " bytes)");
  if (!ok || got != bytes) throw truncated(got);
  if (nim.byteorder != nifti_short_order() && nim.swapsize > 1) {
    nifti_swap_Nbytes(static_cast<int64_t>(nim.nvox), nim.swapsize, buf.data());
  }
  return buf;
}

/// The mode in which NIfTI files are opened for writing: .nii.gz with zlib level 1, as nibabel
/// writes them (on float BOLD data 3-4x faster than zlib's default 6, files about 10% larger).
const char* write_mode(const char* name) {
  return nifti_is_gzfile(name) ? "wb1" : "wb";
}

/// Writes a single-file NIfTI-2 (.nii or .nii.gz) itself: nifti_clib 3.0's nifti_image_write
/// truncates such files to their data. Header, extender, extensions, padding, data.
void write_nifti2(const nifti_image& nim, const fs::path& file) {
  nifti_2_header hdr{};
  if (nifti_convert_nim2n2hdr(&nim, &hdr) != 0)
    throw runtime_error("cannot build the NIfTI-2 header");
  std::memcpy(hdr.magic, "n+2\0\r\n\032\n", 8);
  std::int64_t offset = 540 + 4;
  for (int e = 0; e < nim.num_ext; ++e) offset += nim.ext_list[e].esize;
  offset = (offset + 15) / 16 * 16;
  hdr.vox_offset = offset;
  const char* name = file.c_str();
  znzFile fp = znzopen(name, write_mode(name), nifti_is_gzfile(name));
  if (znz_isnull(fp)) throw runtime_error("cannot open for writing");
  std::size_t written = znzwrite(&hdr, sizeof hdr, 1, fp);
  const char extender[4] = {static_cast<char>(nim.num_ext > 0 ? 1 : 0), 0, 0, 0};
  written += znzwrite(extender, 4, 1, fp);
  std::size_t expected = 2;
  for (int e = 0; e < nim.num_ext; ++e) {
    const nifti1_extension& x = nim.ext_list[e];
    const std::int32_t head[2] = {x.esize, x.ecode};
    written += znzwrite(head, sizeof head, 1, fp);
    written += znzwrite(x.edata, static_cast<std::size_t>(x.esize - 8), 1, fp);
    expected += 2;
  }
  std::int64_t pos = 540 + 4;
  for (int e = 0; e < nim.num_ext; ++e) pos += nim.ext_list[e].esize;
  const std::vector<char> pad(static_cast<std::size_t>(offset - pos), 0);
  if (!pad.empty()) {
    written += znzwrite(pad.data(), pad.size(), 1, fp);
    ++expected;
  }
  const auto bytes = static_cast<std::size_t>(nim.nvox) * static_cast<std::size_t>(nim.nbyper);
  written += znzwrite(nim.data, bytes, 1, fp);
  ++expected;
  znzclose(fp);
  if (written != expected) throw runtime_error("short write (disk full?)");
}

/// Opens the header or throws with the reason.
NimPtr open_header(const fs::path& path) {
  init_nifti();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw input_error(path.string() + ": no such file");
  if (fs::is_directory(path, ec)) throw input_error(path.string() + ": is a folder, not an image");
  if (fs::file_size(path, ec) == 0) throw input_error(path.string() + ": empty file");
  NimPtr nim(nifti_image_read(path.c_str(), 0));
  if (!nim) {
    throw input_error(path.string() + ": not a readable NIfTI-1/NIfTI-2 file (corrupt or "
                                      "truncated header)");
  }
  for (int d = 1; d <= nim->ndim; ++d) {
    if (nim->dim[d] < 1) throw input_error(path.string() + ": invalid dimension in header");
  }
  if (nim->ndim > 4 && nim->nu * nim->nv * nim->nw > 1) {
    throw input_error(path.string() + ": " + std::to_string(nim->ndim) +
                      "-D image; only 3-D and 4-D images are supported");
  }
  return nim;
}

} // namespace

Matrix4 identity4() {
  Matrix4 m{};
  for (int i = 0; i < 4; ++i) m[i][i] = 1.0;
  return m;
}

Matrix4 inverse4(const Matrix4& m) {
  // Affine inverse: [R t; 0 1]⁻¹ = [R⁻¹ −R⁻¹t; 0 1].
  const auto& a = m;
  const double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                     a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                     a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  if (std::fabs(det) < 1e-12) throw runtime_error("singular affine matrix");
  Matrix4 r = identity4();
  r[0][0] = (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det;
  r[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
  r[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
  r[1][0] = (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det;
  r[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
  r[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
  r[2][0] = (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det;
  r[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
  r[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
  for (int i = 0; i < 3; ++i) {
    r[i][3] = -(r[i][0] * a[0][3] + r[i][1] * a[1][3] + r[i][2] * a[2][3]);
  }
  return r;
}

Matrix4 multiply4(const Matrix4& a, const Matrix4& b) {
  Matrix4 r{};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 4; ++k) r[i][j] += a[i][k] * b[k][j];
  return r;
}

Matrix4 ImageHeader::voxel_to_world() const {
  if (sform_code > 0) return sform;
  if (qform_code > 0) return qform;
  Matrix4 m = identity4();
  for (int i = 0; i < 3; ++i) m[i][i] = spacing_mm[static_cast<std::size_t>(i)];
  return m;
}

Image::Image(ImageHeader header) : header_(std::move(header)) {
  data_.assign(static_cast<std::size_t>(header_.voxels_per_volume() * header_.volumes()), 0.0f);
}

ImageHeader Image::read_header(const fs::path& path) {
  ImageHeader h = header_from(*open_header(path));
  const RawHeaderFacts raw = raw_header_facts(path);
  h.nifti_version = raw.version;
  if (!(raw.pixdim4 > 0)) h.tr_s = 0.0;
  return h;
}

Image Image::read(const fs::path& path, const ImageRequirements& req) {
  NimPtr nim = open_header(path);
  Image img;
  img.header_ = header_from(*nim);
  const RawHeaderFacts raw = raw_header_facts(path);
  img.header_.nifti_version = raw.version;
  if (!(raw.pixdim4 > 0)) img.header_.tr_s = 0.0;
  const ImageHeader& h = img.header_;
  const std::string name = path.string();
  if (h.ndim() < req.min_ndim || h.ndim() > req.max_ndim) {
    throw input_error(name + ": expected a " + std::to_string(req.min_ndim) +
                      (req.min_ndim == req.max_ndim ? "" : "-" + std::to_string(req.max_ndim)) +
                      "-D image, got " + std::to_string(h.ndim()) + "-D (" +
                      std::to_string(h.dim[0]) + "x" + std::to_string(h.dim[1]) + "x" +
                      std::to_string(h.dim[2]) + "x" + std::to_string(h.dim[3]) + ")");
  }
  if (h.volumes() < req.min_volumes) {
    throw input_error(name + ": has " + std::to_string(h.volumes()) + " volume(s), at least " +
                      std::to_string(req.min_volumes) + " needed");
  }
  if (req.require_tr && !(h.tr_s > 0.0 && std::isfinite(h.tr_s))) {
    throw input_error(name + ": repetition time (pixdim[4]) is zero or missing");
  }
  switch (nim->datatype) {
  case DT_INT8:
  case DT_UINT8:
  case DT_INT16:
  case DT_UINT16:
  case DT_INT32:
  case DT_UINT32:
  case DT_INT64:
  case DT_UINT64:
  case DT_FLOAT32:
  case DT_FLOAT64:
    break;
  default:
    throw input_error(name + ": unsupported data type " + h.stored_datatype +
                      " (supported: integers, FLOAT32, FLOAT64)");
  }
  const std::vector<char> bytes = read_raw_data(*nim, path);
  const void* raw_data = bytes.data();
  const std::size_t n = static_cast<std::size_t>(h.voxels_per_volume() * h.volumes());
  if (n != static_cast<std::size_t>(nim->nvox)) {
    throw input_error(name + ": header dimensions disagree with the voxel count");
  }
  double slope = nim->scl_slope, inter = nim->scl_inter;
  if (slope == 0.0 || !std::isfinite(slope)) { // NIfTI: slope 0 means "no scaling"
    slope = 1.0;
    inter = 0.0;
  }
  if (!std::isfinite(inter)) inter = 0.0;
  img.data_.resize(n);
  float* out = img.data_.data();
  switch (nim->datatype) {
  case DT_INT8:
    convert<std::int8_t>(raw_data, n, slope, inter, out);
    break;
  case DT_UINT8:
    convert<std::uint8_t>(raw_data, n, slope, inter, out);
    break;
  case DT_INT16:
    convert<std::int16_t>(raw_data, n, slope, inter, out);
    break;
  case DT_UINT16:
    convert<std::uint16_t>(raw_data, n, slope, inter, out);
    break;
  case DT_INT32:
    convert<std::int32_t>(raw_data, n, slope, inter, out);
    break;
  case DT_UINT32:
    convert<std::uint32_t>(raw_data, n, slope, inter, out);
    break;
  case DT_INT64:
    convert<std::int64_t>(raw_data, n, slope, inter, out);
    break;
  case DT_UINT64:
    convert<std::uint64_t>(raw_data, n, slope, inter, out);
    break;
  case DT_FLOAT32:
    convert<float>(raw_data, n, slope, inter, out);
    break;
  case DT_FLOAT64:
    convert<double>(raw_data, n, slope, inter, out);
    break;
  default:
    break;
  }
  nim.reset();
  if (req.reject_all_nan && n > 0) {
    const bool any_finite =
        std::any_of(img.data_.begin(), img.data_.end(), [](float v) { return std::isfinite(v); });
    if (!any_finite) throw input_error(name + ": every voxel value is NaN or infinite");
  }
  return img;
}

std::int64_t Image::count_nonfinite() const {
  return std::count_if(data_.begin(), data_.end(), [](float v) { return !std::isfinite(v); });
}

void Image::write(const fs::path& path, const WriteOptions& opt) const {
  init_nifti();
  const ImageHeader& h = header_;
  const std::int64_t n = h.voxels_per_volume() * h.volumes();
  if (static_cast<std::int64_t>(data_.size()) != n) {
    throw runtime_error("writing " + path.string() + ": data size does not match the header");
  }
  const std::string p = path.string();
  if (!(p.size() > 4 && (p.substr(p.size() - 4) == ".nii" ||
                         (p.size() > 7 && p.substr(p.size() - 7) == ".nii.gz")))) {
    throw usage_error("writing " + p + ": image file names must end in .nii or .nii.gz");
  }
  const int ndim = h.ndim();
  const std::int64_t dims[8] = {ndim, h.dim[0], h.dim[1], h.dim[2], h.dim[3], 1, 1, 1};
  const int dtype = opt.type == StoredType::kInt16Scaled ? DT_INT16
                    : opt.type == StoredType::kUInt8     ? DT_UINT8
                                                         : DT_FLOAT32;
  NimPtr nim(nifti_make_new_nim(dims, dtype, 1));
  if (!nim) throw runtime_error("writing " + p + ": cannot allocate the NIfTI header");

  nim->dx = nim->pixdim[1] = h.spacing_mm[0];
  nim->dy = nim->pixdim[2] = h.spacing_mm[1];
  nim->dz = nim->pixdim[3] = h.spacing_mm[2];
  nim->dt = nim->pixdim[4] = ndim == 4 ? h.tr_s : 0.0;
  nim->xyz_units = NIFTI_UNITS_MM;
  nim->time_units = NIFTI_UNITS_SEC;
  nim->toffset = h.toffset_s;
  nim->slice_dim = h.slice_dim;
  nim->slice_duration = h.slice_duration_s;

  nim->qform_code = h.qform_code;
  nim->sform_code = h.sform_code;
  Matrix4 q = h.qform_code > 0 ? h.qform : h.voxel_to_world();
  nim->qto_xyz = to_dmat(q);
  double dx = 0, dy = 0, dz = 0;
  nifti_dmat44_to_quatern(nim->qto_xyz, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d,
                          &nim->qoffset_x, &nim->qoffset_y, &nim->qoffset_z, &dx, &dy, &dz,
                          &nim->qfac);
  nim->qto_ijk = nifti_dmat44_inverse(nim->qto_xyz);
  nim->sto_xyz = to_dmat(h.sform_code > 0 ? h.sform : q);
  nim->sto_ijk = nifti_dmat44_inverse(nim->sto_xyz);
  std::strncpy(nim->descrip, h.description.c_str(), sizeof nim->descrip - 1);
  std::strncpy(nim->intent_name, h.intent_name.c_str(), sizeof nim->intent_name - 1);

  if (dtype == DT_FLOAT32) {
    std::memcpy(nim->data, data_.data(), static_cast<std::size_t>(n) * sizeof(float));
    nim->scl_slope = 1.0;
    nim->scl_inter = 0.0;
  } else if (dtype == DT_UINT8) {
    auto* dst = static_cast<std::uint8_t*>(nim->data);
    for (std::int64_t i = 0; i < n; ++i) {
      const float v = data_[static_cast<std::size_t>(i)];
      dst[i] = static_cast<std::uint8_t>(std::isfinite(v) ? std::clamp(std::round(v), 0.0f, 255.0f)
                                                          : 0.0f);
    }
    nim->scl_slope = 1.0;
    nim->scl_inter = 0.0;
  } else {
    float lo = 0, hi = 0;
    for (float v : data_) {
      if (!std::isfinite(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    const double amax = std::max(std::fabs(lo), std::fabs(hi));
    const double slope = amax > 0 ? amax / 32767.0 : 1.0;
    auto* dst = static_cast<std::int16_t*>(nim->data);
    for (std::int64_t i = 0; i < n; ++i) {
      const float v = data_[static_cast<std::size_t>(i)];
      const double s = std::isfinite(v) ? std::round(v / slope) : 0.0;
      dst[i] = static_cast<std::int16_t>(std::clamp(s, -32768.0, 32767.0));
    }
    nim->scl_slope = slope;
    nim->scl_inter = 0.0;
  }
  for (const auto& e : h.extensions) {
    nifti_add_extension(nim.get(), e.data.data(), static_cast<int>(e.data.size()), e.code);
  }

  AtomicOutput out(path);
  nim->nifti_type = opt.nifti_version == 2 ? NIFTI_FTYPE_NIFTI2_1 : NIFTI_FTYPE_NIFTI1_1;
  if (nifti_set_filenames(nim.get(), out.temp_path().c_str(), 0, 1) != 0) {
    throw runtime_error("writing " + p + ": cannot set the output file name");
  }
  nim->nifti_type = opt.nifti_version == 2 ? NIFTI_FTYPE_NIFTI2_1 : NIFTI_FTYPE_NIFTI1_1;
  if (opt.nifti_version == 2) {
    with_context("writing " + p, [&] { write_nifti2(*nim, out.temp_path()); });
  } else {
    // nifti_image_write with our gzip level; it closes the file itself.
    znzFile fp = nifti_image_write_hdr_img(nim.get(), 1, write_mode(out.temp_path().c_str()));
    if (fp != nullptr) free(fp);
  }
  // nifti_image_write reports no status: read the header back to confirm the write.
  std::error_code ec;
  if (!fs::exists(out.temp_path(), ec) || fs::file_size(out.temp_path(), ec) == 0) {
    throw runtime_error("writing " + p + ": the file could not be written (permissions, disk?)");
  }
  NimPtr check(nifti_image_read(out.temp_path().c_str(), 0));
  if (!check || check->nvox != nim->nvox) {
    throw runtime_error("writing " + p + ": the written file does not read back");
  }
  out.commit();
}

} // namespace dcae::io
