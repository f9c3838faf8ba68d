#include "io/shard.h"

#include "core/error.h"
#include "io/json.h"
#include "io/npy.h"

namespace fs = std::filesystem;

namespace dcae::io {

std::filesystem::path shard_path(const std::filesystem::path& folder, const std::string& run,
                                 const std::string& desc) {
  return folder / (run + "_desc-" + desc + "_timeseries.npy");
}

std::string shard_run(const std::filesystem::path& shard) {
  std::string stem = shard.stem().string();
  const std::string tail = "_timeseries";
  if (stem.size() > tail.size() &&
      stem.compare(stem.size() - tail.size(), tail.size(), tail) == 0) {
    stem.resize(stem.size() - tail.size());
    const auto desc = stem.rfind("_desc-");
    if (desc != std::string::npos) stem.resize(desc);
  }
  return stem;
}

fs::path shard_sidecar(const fs::path& npy) {
  fs::path p = npy;
  return p.replace_extension(".json");
}

void write_shard(const fs::path& npy, const std::vector<float>& data, const ShardInfo& info) {
  if (static_cast<std::int64_t>(data.size()) != info.n_voxels * info.n_timepoints) {
    throw usage_error(
        "writing " + npy.string() + ": data holds " + std::to_string(data.size()) +
        " values, expected n_voxels*T = " + std::to_string(info.n_voxels * info.n_timepoints));
  }
  if (!info.voxel_ijk.empty() &&
      static_cast<std::int64_t>(info.voxel_ijk.size()) != info.n_voxels) {
    throw usage_error("writing " + npy.string() + ": voxel_ijk has the wrong length");
  }
  nlohmann::json j;
  j["Format"] = "dcae time-series shard";
  j["FormatVersion"] = 1;
  j["Shape"] = {info.n_voxels, info.n_timepoints};
  j["RepetitionTime"] = info.tr_s;
  j["Source"] = info.source;
  j["Mask"] = info.mask;
  j["Grid"] = info.grid;
  j["VoxelIndices"] = info.voxel_ijk;
  j["Provenance"] = info.provenance;
  write_npy(
      npy, data.data(),
      {static_cast<std::uint64_t>(info.n_voxels), static_cast<std::uint64_t>(info.n_timepoints)});
  write_json(shard_sidecar(npy), j);
}

ShardInfo read_shard_info(const fs::path& npy) {
  const fs::path side = shard_sidecar(npy);
  const nlohmann::json j = read_json(side);
  ShardInfo info;
  try {
    const auto shape = j.at("Shape").get<std::vector<std::int64_t>>();
    if (shape.size() != 2) throw input_error(side.string() + ": Shape must have two entries");
    info.n_voxels = shape[0];
    info.n_timepoints = shape[1];
    info.tr_s = j.at("RepetitionTime").get<double>();
    info.source = j.value("Source", "");
    info.mask = j.value("Mask", "");
    if (j.contains("Grid")) info.grid = j["Grid"].get<std::array<std::int64_t, 3>>();
    if (j.contains("VoxelIndices")) {
      info.voxel_ijk = j["VoxelIndices"].get<std::vector<std::array<std::int32_t, 3>>>();
    }
    info.provenance = j.value("Provenance", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw input_error(side.string() + ": not a shard sidecar (" + e.what() + ")");
  }
  return info;
}

ShardReader::ShardReader(const fs::path& npy) : path_(npy), info_(read_shard_info(npy)) {
  const NpyHeader h = read_npy_header(npy);
  if (h.descr != "<f4") throw input_error(npy.string() + ": shard data must be float32");
  if (h.shape.size() != 2 || static_cast<std::int64_t>(h.shape[0]) != info_.n_voxels ||
      static_cast<std::int64_t>(h.shape[1]) != info_.n_timepoints) {
    throw input_error(npy.string() + ": array shape disagrees with its sidecar " +
                      shard_sidecar(npy).string());
  }
  data_offset_ = h.data_offset;
  file_.open(npy, std::ios::binary);
  if (!file_) throw input_error(npy.string() + ": cannot open");
}

void ShardReader::read_rows(std::int64_t first, std::int64_t count, float* out) {
  if (first < 0 || count < 0 || first + count > info_.n_voxels) {
    throw usage_error(path_.string() + ": rows [" + std::to_string(first) + ", " +
                      std::to_string(first + count) + ") out of range");
  }
  const auto row_bytes = static_cast<std::uint64_t>(info_.n_timepoints) * sizeof(float);
  file_.clear();
  file_.seekg(
      static_cast<std::streamoff>(data_offset_ + static_cast<std::uint64_t>(first) * row_bytes));
  file_.read(reinterpret_cast<char*>(out),
             static_cast<std::streamsize>(row_bytes * static_cast<std::uint64_t>(count)));
  if (!file_) throw input_error(path_.string() + ": read error");
}

std::vector<float> ShardReader::read_all() {
  std::vector<float> out(static_cast<std::size_t>(info_.n_voxels * info_.n_timepoints));
  read_rows(0, info_.n_voxels, out.data());
  return out;
}

} // namespace dcae::io
