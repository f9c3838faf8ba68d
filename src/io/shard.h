#pragma once
/// \file shard.h
/// Time-series shards, the hand-over format between preprocessing, training and encoding:
/// `X.npy` float32 `[n_voxels, T]` (C order, readable by numpy) + `X.json` sidecar.

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dcae::io {

/// What the sidecar records about a shard.
struct ShardInfo {
  std::int64_t n_voxels = 0;
  std::int64_t n_timepoints = 0;
  double tr_s = 0.0;                                    ///< repetition time (s)
  std::string source;                                   ///< source bold file
  std::string mask;                                     ///< mask file the voxels came from
  std::array<std::int64_t, 3> grid{0, 0, 0};            ///< image grid the ijk refer to
  std::vector<std::array<std::int32_t, 3>> voxel_ijk;   ///< row r ↔ voxel ijk[r] (may be empty)
  nlohmann::json provenance = nlohmann::json::object(); ///< steps, parameters, versions
};

/// The one naming of shards: the series `desc` ("preproc", "features", "reconstruction") of
/// run `run` ("sub-01_task-motor_run-01", io::run_name) is
/// <folder>/<run>_desc-<desc>_timeseries.npy.
std::filesystem::path shard_path(const std::filesystem::path& folder, const std::string& run,
                                 const std::string& desc);
/// The run a shard holds, from its name: "…/sub-01_task-motor_run-01_desc-preproc_timeseries.npy"
/// → "sub-01_task-motor_run-01" (a name without _desc-…_timeseries: its stem).
std::string shard_run(const std::filesystem::path& shard);

/// Sidecar path for a shard: "a/X.npy" → "a/X.json".
std::filesystem::path shard_sidecar(const std::filesystem::path& npy);

/// Writes `data` (`[n_voxels, T]`, row-major) and its sidecar, each atomically.
/// Throws usage_error if `data.size() != n_voxels*T` or voxel_ijk has the wrong length.
void write_shard(const std::filesystem::path& npy, const std::vector<float>& data,
                 const ShardInfo& info);

/// Random access to the rows of a shard without loading it whole. Not thread-safe
/// (one reader per thread).
class ShardReader {
public:
  /// Opens the .npy and its sidecar; throws input_error naming the file on any mismatch.
  explicit ShardReader(const std::filesystem::path& npy);
  const ShardInfo& info() const { return info_; }
  const std::filesystem::path& path() const { return path_; }
  /// Copies rows [first, first+count) into `out` (count·T floats).
  void read_rows(std::int64_t first, std::int64_t count, float* out);
  /// The whole shard (n_voxels·T floats).
  std::vector<float> read_all();

private:
  std::filesystem::path path_;
  ShardInfo info_;
  std::uint64_t data_offset_ = 0;
  std::ifstream file_;
};

/// Reads only the sidecar.
ShardInfo read_shard_info(const std::filesystem::path& npy);

} // namespace dcae::io
