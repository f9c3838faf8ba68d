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
  bool reconstructions = false; ///< also write <name>_desc-reconstruction shards
  std::string device = "cpu";
};

/// Encodes `shard` with the checkpoint's model into `out_dir`: `<stem>_desc-features.npy`
/// ([n_voxels, F]) and optionally `<stem>_desc-reconstruction.npy` ([n_voxels, T]). Voxel
/// indices and provenance are carried over. Throws input_error when T differs from the model's.
void encode_shard(const std::filesystem::path& checkpoint, const std::filesystem::path& shard,
                  const std::filesystem::path& out_dir, const EncodeOptions& options);

/// Feature-space atoms brought to time by the decoder alone, without any voxel's switches
/// (Autoencoder::decode_upsampled): atom k is decoded from the feature vector
/// offsets[k] + scales[k] · atom_k (a typical voxel's mean and norm, undoing the centring and
/// normalisation before dictionary learning). `atoms`: F × K, column-major. Returns T × K,
/// column-major. Throws input_error when F does not match the model.
std::vector<float> decode_atoms_upsampled(const std::filesystem::path& checkpoint,
                                          const std::vector<float>& atoms, std::int64_t n_atoms,
                                          const std::vector<float>& offsets,
                                          const std::vector<float>& scales,
                                          const std::string& device = "cpu");

/// One voxel in an ablation readout: its row in the run's shards, atom k's part of its
/// feature vector (scale · atom_k, in the feature's own units) and its weight in the sum.
struct AblationVoxel {
  std::int64_t row = 0;
  float scale = 0.0f;
  float weight = 0.0f;
};

/// The ablation readout of one run: the time course of atom k is
/// Σ_v weight_v · [dec(h_v) − dec(h_v − scale_v · atom_k)], over the voxels `voxels[k]`, where
/// h_v is the voxel's encoded feature (row of `feature_shard`) and dec decodes with the
/// voxel's own switches (from its series in `raw_shard`): what the atom adds to each voxel's
/// reconstruction. `atoms`: F × K, column-major. Returns T × K, column-major.
std::vector<float> ablation_readout(const std::filesystem::path& checkpoint,
                                    const std::filesystem::path& raw_shard,
                                    const std::filesystem::path& feature_shard,
                                    const std::vector<float>& atoms, std::int64_t n_atoms,
                                    const std::vector<std::vector<AblationVoxel>>& voxels,
                                    const std::string& device = "cpu");

} // namespace dcae::model
