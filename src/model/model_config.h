#pragma once
/// \file model_config.h
/// The autoencoder's and the trainer's settings: every number is a YAML key. This header does
/// not include LibTorch, so commands and other modules can read and check a configuration.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"

namespace dcae::model {

struct ModelConfig {
  // Architecture (DESIGN.md "Model").
  std::vector<std::int64_t> channels{16, 16}; ///< output channels of each encoder conv layer
  std::int64_t kernel_size = 9;               ///< conv kernel (odd; "same" padding)
  std::int64_t pool = 2;                      ///< max-pool factor after each conv layer
  /// Length F of the high-level feature H. 0: the input length T, as the paper has it (the
  /// feature keeps the series' length and, with the consistency term, its time order).
  /// Earlier dcae used channels.back()·T'/pool^layers (4544 for T 284): set that number here.
  std::int64_t features = 0;
  // Loss and optimiser.
  double l1_lambda = 1e-3; ///< λ of the L1 penalty on feature maps
  /// γ of the consistency term γ·MSE(encoder's last maps, decoder's bottom maps), which ties
  /// the two fully connected layers into a round trip that keeps each map's time order. At
  /// γ = 1 the encoder shrinks its maps to meet it (reconstruction MSE 0.49 against 0.32
  /// without the term, 5 epochs on the quickstart's data); γ = 0.1 ties them without that
  /// (0.147 against 0.112 after 20 epochs), and Downpour SGD still reaches the single-machine
  /// loss with it.
  double consistency = 0.1;
  double learning_rate = 0.01;      ///< Adagrad
  double initial_accumulator = 0.1; ///< Adagrad
  double eps = 1e-10;               ///< Adagrad
  // Training.
  std::int64_t batch_size = 256;
  std::int64_t epochs = 10;   ///< stop after this many passes (0 = no limit)
  std::int64_t max_steps = 0; ///< stop after this many steps (0 = no limit)
  double target_loss = 0.0;   ///< stop when the mean loss of an epoch is below
  std::uint64_t seed = 1;
  double voxel_fraction = 1.0; ///< random subset of each run's voxels (0..1]
  /// Single-machine training: the share of each run's voxels held out to measure the
  /// validation loss after every epoch (0: none); training stops when that loss has not
  /// improved by more than `min_delta` (relative) for `patience` epochs (0: never early).
  double validation_fraction = 0.1;
  std::int64_t patience = 3;
  double min_delta = 0.005;
  std::int64_t checkpoint_every = 500; ///< steps between checkpoints (0 = only at the end)
  std::int64_t cache_mb = 256;         ///< memory for cached shard rows

  /// Total pooling factor pool^layers.
  std::int64_t total_pool() const;
  /// Input length after padding T up to a multiple of the total pooling factor.
  std::int64_t padded_length(std::int64_t t) const;
  /// Size of the encoder's last maps (and the decoder's bottom maps), flattened:
  /// channels.back() · padded(T)/total_pool.
  std::int64_t bottom_size(std::int64_t t) const;
  /// Size F of the high-level feature H for input length T: `features`, or T when it is 0.
  std::int64_t feature_size(std::int64_t t) const;
};

/// The YAML schema (keys: model.channels, model.kernel_size, model.pool, loss.l1_lambda,
/// optimizer.learning_rate, ..., train.batch_size, train.epochs, ...).
const std::vector<config::Key>& model_config_keys();

/// Reads a YAML configuration (unknown keys, wrong types, out-of-range values are usage errors
/// naming file:line); keys absent keep their defaults.
ModelConfig load_model_config(const std::filesystem::path& yaml);
ModelConfig model_config_from(const config::Values& values);

/// Canonical YAML of the architecture and training settings (written beside checkpoints).
std::string to_yaml(const ModelConfig& c);
/// Hash (hex) of the architecture only: checkpoints of the same architecture share it.
std::string architecture_hash(const ModelConfig& c, std::int64_t input_length);

/// Checks the configuration for input length T (kernel larger than the pooled input, empty
/// layers...). Throws usage_error.
void validate(const ModelConfig& c, std::int64_t input_length);

} // namespace dcae::model
