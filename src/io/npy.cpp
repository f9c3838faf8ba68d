#include "io/npy.h"

#include <cstring>
#include <fstream>
#include <regex>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"

namespace fs = std::filesystem;

namespace dcae::io {

std::uint64_t NpyHeader::count() const {
  std::uint64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

std::string npy_header_bytes(const std::vector<std::uint64_t>& shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  // magic(6) + version(2) + len(2) + dict + padding + '\n' must be a multiple of 64.
  const std::size_t unpadded = 10 + dict.size() + 1;
  const std::size_t total = (unpadded + 63) / 64 * 64;
  dict.append(total - unpadded, ' ');
  dict += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(dict.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += dict;
  return out;
}

NpyHeader read_npy_header(const fs::path& path) {
  const std::string name = path.string();
  std::ifstream f(path, std::ios::binary);
  if (!f) throw input_error(name + ": cannot open");
  char pre[10];
  if (!f.read(pre, 10) || std::memcmp(pre, "\x93NUMPY", 6) != 0) {
    throw input_error(name + ": not a .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(pre[6]);
  std::uint64_t hlen = 0, offset = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(pre[8]) | (static_cast<unsigned char>(pre[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    char more[2];
    if (!f.read(more, 2)) throw input_error(name + ": truncated .npy header");
    hlen = static_cast<std::uint64_t>(static_cast<unsigned char>(pre[8])) |
           static_cast<std::uint64_t>(static_cast<unsigned char>(pre[9])) << 8 |
           static_cast<std::uint64_t>(static_cast<unsigned char>(more[0])) << 16 |
           static_cast<std::uint64_t>(static_cast<unsigned char>(more[1])) << 24;
    offset = 12;
  } else {
    throw input_error(name + ": unsupported .npy format version " + std::to_string(major));
  }
  if (hlen > 1 << 20) throw input_error(name + ": implausible .npy header length");
  std::string dict(hlen, '\0');
  if (!f.read(dict.data(), static_cast<std::streamsize>(hlen))) {
    throw input_error(name + ": truncated .npy header");
  }
  NpyHeader h;
  h.data_offset = offset + hlen;
  std::smatch m;
  static const std::regex descr_re(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex fortran_re(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex shape_re(R"('shape'\s*:\s*\(([^)]*)\))");
  if (!std::regex_search(dict, m, descr_re))
    throw input_error(name + ": .npy header lacks 'descr'");
  h.descr = m[1];
  if (h.descr != "<f4" && h.descr != "<f8") {
    throw input_error(name + ": unsupported .npy dtype '" + h.descr +
                      "' (little-endian float32 or float64 expected)");
  }
  if (!std::regex_search(dict, m, fortran_re))
    throw input_error(name + ": .npy header lacks 'fortran_order'");
  h.fortran_order = m[1] == "True";
  if (h.fortran_order) throw input_error(name + ": Fortran-order .npy arrays are not supported");
  if (!std::regex_search(dict, m, shape_re))
    throw input_error(name + ": .npy header lacks 'shape'");
  for (const auto& part : split(m[1].str(), ',')) {
    const std::string t = trim(part);
    if (t.empty()) continue;
    const auto v = parse_int(t);
    if (!v || *v < 0) throw input_error(name + ": bad .npy shape '" + m[1].str() + "'");
    h.shape.push_back(static_cast<std::uint64_t>(*v));
  }
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec || size < h.data_offset + h.count() * h.item_size()) {
    throw input_error(name + ": truncated .npy data (expected " +
                      std::to_string(h.count() * h.item_size()) + " bytes)");
  }
  return h;
}

std::vector<float> read_npy(const fs::path& path, NpyHeader* header_out) {
  const NpyHeader h = read_npy_header(path);
  std::ifstream f(path, std::ios::binary);
  f.seekg(static_cast<std::streamoff>(h.data_offset));
  std::vector<float> out(static_cast<std::size_t>(h.count()));
  if (h.descr == "<f4") {
    f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size() * 4));
  } else {
    std::vector<double> tmp(out.size());
    f.read(reinterpret_cast<char*>(tmp.data()), static_cast<std::streamsize>(tmp.size() * 8));
    for (std::size_t i = 0; i < tmp.size(); ++i) out[i] = static_cast<float>(tmp[i]);
  }
  if (!f) throw input_error(path.string() + ": error reading .npy data");
  if (header_out) *header_out = h;
  return out;
}

void write_npy(const fs::path& path, const float* data, const std::vector<std::uint64_t>& shape) {
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    if (!f) throw runtime_error("cannot write '" + path.string() + "'");
    const std::string head = npy_header_bytes(shape);
    f.write(head.data(), static_cast<std::streamsize>(head.size()));
    std::uint64_t n = 1;
    for (auto s : shape) n *= s;
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(float)));
    f.flush();
    if (!f) throw runtime_error("error writing '" + path.string() + "' (disk full?)");
  }
  out.commit();
}

} // namespace dcae::io
