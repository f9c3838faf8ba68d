#pragma once
/// \file dist_worker.h
/// One Downpour worker: a model replica that leases data partitions from the coordinator,
/// fetches the parameters every n_fetch steps, accumulates gradients of its own mini-batches
/// and pushes their mean every n_push steps; heart-beats in the background so it keeps its
/// lease. The first worker to connect initializes the servers (layout, Adagrad settings,
/// initial parameters from the seeded model, partition plan). No LibTorch in this header.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dist/client.h"
#include "model/model_config.h"

namespace dcae::app {

struct WorkerSettings {
  dist::ClientOptions client;               ///< servers, token, TLS, fp16, backoff
  model::ModelConfig config;                ///< model, Adagrad and train.* settings
  std::vector<std::filesystem::path> shards;
  std::int64_t n_fetch = 1;                 ///< steps between fetches
  std::int64_t n_push = 1;                  ///< steps between pushes
  std::int64_t block_rows = 2048;           ///< voxels per data partition
  std::int64_t warmup_steps = 0;            ///< steps the first worker trains alone
  bool overlap = false;                     ///< push and fetch on a background thread while computing
  std::string device = "cpu";
};

struct WorkerSummary {
  std::int64_t steps = 0;
  std::int64_t partitions = 0;              ///< partitions completed and accepted
  std::int64_t pushes = 0;
  std::int64_t stale_pushes = 0;            ///< shard pushes the servers dropped as too stale
  double mean_loss = 0.0;                   ///< over this worker's steps
  // Where the worker's wall time went, in seconds.
  double compute_s = 0.0;                   ///< reading batches, forward, backward, accumulating
  double fetch_s = 0.0;                     ///< fetching parameters (on the exchange thread with overlap)
  double push_s = 0.0;                      ///< pushing gradients (likewise)
  double wait_s = 0.0;                      ///< the model waiting for exchanges to finish
  double coordination_s = 0.0;              ///< leasing and completing partitions, waiting for one
};

/// Runs the worker until the coordinator says the job is done. Throws input_error for bad
/// shards, usage_error for a bad configuration or a refused token, runtime_error when the
/// servers stay unreachable.
WorkerSummary run_worker(const WorkerSettings& settings);

/// The partition plan a worker proposes for `shards` (every worker computes the same one).
dist::PartitionPlan partition_plan(const model::ModelConfig& config, const std::vector<std::filesystem::path>& shards,
                                   std::int64_t block_rows, std::int64_t warmup_steps);

}  // namespace dcae::app
