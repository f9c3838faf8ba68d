#pragma once
/// \file sync.h
/// The synchronous baseline of distributed training (--sync): data-parallel training where
/// every step's gradients are averaged across the workers with an all-reduce through LibTorch's
/// own c10d Gloo process group (the engine under PyTorch DDP), then every worker applies the
/// same Adagrad step. Rank r trains on global batches r, r + N, r + 2N, ... of each epoch's
/// seeded order. No fault tolerance: a worker that dies stops the job. No LibTorch in this
/// header.

#include <filesystem>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace dcae::train {

struct SyncWorkerSettings {
  model::ModelConfig config;
  std::vector<std::filesystem::path> shards;
  int rank = 0;
  int world_size = 1;
  std::filesystem::path rendezvous; ///< c10d::FileStore file shared by the workers
  std::filesystem::path output_dir; ///< rank 0 writes model.pt and loss.tsv here
  std::string host = "127.0.0.1";   ///< address Gloo binds to
  std::string device = "cpu";
};

/// Runs one rank to the end of training (train.epochs or train.target_loss, or train.max_steps).
void run_sync_worker(const SyncWorkerSettings& settings);

} // namespace dcae::train
