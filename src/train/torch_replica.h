#pragma once
/// \file torch_replica.h
/// The autoencoder as a Downpour replica: the model built from the configuration and seed (the
/// same initial values in every process), its parameters bound to the flat vector, batches read
/// from the shards. No LibTorch in this header.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "train/replica.h"

namespace dcae::train {

/// A replica of the model `config` describes for the series in `shards`, on `device`. Throws
/// input_error for bad shards, usage_error for a configuration that does not fit them.
std::unique_ptr<Replica> make_torch_replica(const model::ModelConfig& config,
                                            const std::vector<std::filesystem::path>& shards,
                                            const std::string& device);

} // namespace dcae::train
