#pragma once
/// \file encoder.h
/// Encoding shards with a trained model: the high-level features H of every voxel (and, on
/// request, the reconstructions), streamed in batches and written as shards. No LibTorch in
/// this header.

#include <filesystem>
#include <string>

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

}  // namespace dcae::model
