#pragma once
/// \file encoder.h
/// Encoding shards with a trained model: the high-level features H of every voxel (and, on
/// request, the reconstructions), streamed in batches and written as shards. No LibTorch in
/// this header.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dcae::model {

struct EncodeOptions {
  std::int64_t batch_size = 1024;
  bool reconstructions = false;  ///< also write <name>_desc-reconstruction shards
  std::string device = "cpu";
};

/// Encodes `shard` with the checkpoint's model into `out_dir`: `<stem>_desc-features.npy`
/// ([n_voxels, F]) and optionally `<stem>_desc-reconstruction.npy` ([n_voxels, T]). Voxel
/// indices and provenance are carried over. Throws input_error when T differs from the model's.
void encode_shard(const std::filesystem::path& checkpoint, const std::filesystem::path& shard,
                  const std::filesystem::path& out_dir, const EncodeOptions& options);

/// One voxel that expresses a feature-space atom: its row in a raw time-series shard and how
/// its feature vector is rebuilt from the atom alone: ĥ = offset + scale · atom.
struct AtomVoxel {
  std::size_t shard = 0;     ///< index into the raw shards
  std::int64_t row = 0;      ///< row (voxel) in that shard
  float scale = 1.0f;
  float offset = 0.0f;
  float weight = 1.0f;       ///< weight in the average over voxels
};

/// Brings feature-space atoms back to time through the checkpoint's decoder. The decoder
/// unpools with switches, which belong to an input, so atom k is decoded once per voxel in
/// `voxels[k]` (each voxel's raw series gives the switches, its ĥ the features) and the
/// decoded series are averaged with the voxels' weights. `atoms`: F × K, column-major.
/// Returns T × K, column-major. Throws input_error when F or T do not match the model.
std::vector<float> decode_feature_atoms(const std::filesystem::path& checkpoint,
                                        const std::vector<std::filesystem::path>& raw_shards,
                                        const std::vector<float>& atoms, std::int64_t n_atoms,
                                        const std::vector<std::vector<AtomVoxel>>& voxels,
                                        const std::string& device = "cpu");

}  // namespace dcae::model
