#pragma once
/// \file trainer.h
/// Single-machine training of the autoencoder on time-series shards, with atomic checkpoints
/// that resume exactly (on the CPU, a resumed run ends with the same parameters as an
/// uninterrupted one). Includes LibTorch.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/autoencoder.h"
#include "model/shard_sampler.h"

namespace dcae::model {

/// The checkpoint's format version.
inline constexpr std::int64_t kCheckpointFormat = 1;

struct TrainOptions {
  std::filesystem::path checkpoint; ///< written every config.checkpoint_every steps and at the end
  std::filesystem::path
      loss_log; ///< tsv: step, epoch, loss, mse (the reconstruction part; appended on resume)
  /// tsv: epoch, step, train_loss, validation_loss, validation_mse after every epoch (when the
  /// configuration holds voxels out for validation)
  std::filesystem::path validation_log;
  bool resume = false;        ///< continue from `checkpoint` if it exists
  std::string device = "cpu"; ///< "cpu" or "cuda:N"
  std::int64_t stop_after_steps =
      0; ///< stop (and checkpoint) after this many steps of this call; tests use it
};

struct TrainResult {
  std::int64_t steps = 0;       ///< total steps (including resumed ones)
  std::int64_t epochs = 0;      ///< completed epochs
  double last_loss = 0.0;       ///< loss of the last step
  double last_epoch_loss = 0.0; ///< mean loss of the last completed epoch
  double validation_loss = 0.0; ///< on the held-out voxels after the last completed epoch
  std::string stop_reason;      ///< max_steps, epochs, target_loss, plateau or interrupted
};

/// Keeps glibc's allocator from returning the multi-megabyte tensors of every training step to
/// the system and faulting them back in on the next (fixed mmap threshold of 32 MiB, heap
/// trimming above 1 GiB only): about 2x training throughput on one thread here.
void configure_allocator();

/// Adagrad's options for `config` (learning rate, initial accumulator, eps): every trainer's.
torch::optim::AdagradOptions adagrad_options(const ModelConfig& config);
/// Adagrad's accumulated squared gradients, one tensor per entry of `params`, in order.
std::vector<torch::Tensor> adagrad_sums(torch::optim::Adagrad& optimizer,
                                        const std::vector<torch::Tensor>& params);

/// The parsed device; throws usage_error when CUDA is asked for and LibTorch has none.
torch::Device parse_device(const std::string& name);

/// Trains on `shards`. Throws input_error for unreadable shards, usage_error for a bad config.
TrainResult train(const ModelConfig& config, const std::vector<std::filesystem::path>& shards,
                  const TrainOptions& options);

/// Writes `model` as a checkpoint in the format train() writes (dcae-encode and --resume read
/// it), atomically: `adagrad_sums` are Adagrad's accumulators, one per tensor of
/// model->parameters() in order (empty: the initial value), `step` the steps trained. Used for
/// the model that distributed training assembles from its parameter servers.
void save_model_checkpoint(const std::filesystem::path& path, const ModelConfig& config,
                           std::int64_t input_length, Autoencoder& model,
                           const std::vector<torch::Tensor>& adagrad_sums, std::int64_t step,
                           double last_epoch_loss);

/// A loaded checkpoint.
struct Checkpoint {
  ModelConfig config;
  std::int64_t input_length = 0;
  std::int64_t step = 0;
  Autoencoder model{nullptr};
};

/// Loads a checkpoint (model in eval mode). Throws input_error naming the file when it is not
/// a dcae checkpoint or its format is newer.
Checkpoint load_checkpoint(const std::filesystem::path& path, const std::string& device = "cpu");

} // namespace dcae::model
