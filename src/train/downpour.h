#pragma once
/// \file downpour.h
/// One Downpour SGD worker: a model replica that leases data partitions from the coordinator,
/// fetches the parameters every n_fetch steps, accumulates the gradients of its own
/// mini-batches and pushes their mean every n_push steps, heart-beating in the background so
/// it keeps its lease. With overlap the push and fetch run asynchronously (the client's
/// tickets) while the replica computes its next steps. The first worker to connect initializes
/// the servers (layout, Adagrad settings, initial parameters from its replica, partition plan).
/// No LibTorch in this header.

#include <cstdint>

#include "ps/client.h"
#include "train/job.h"
#include "train/replica.h"

namespace dcae::train {

struct WorkerSummary {
  std::int64_t steps = 0;
  std::int64_t partitions = 0; ///< partitions completed and accepted
  std::int64_t pushes = 0;
  std::int64_t stale_pushes = 0; ///< shard pushes the servers dropped as too stale
  double mean_loss = 0.0;        ///< over this worker's steps
  // Where the worker's wall time went, in seconds.
  double compute_s = 0.0;      ///< reading batches, forward, backward, accumulating
  double fetch_s = 0.0;        ///< fetching parameters (in the background with overlap)
  double push_s = 0.0;         ///< pushing gradients (likewise)
  double wait_s = 0.0;         ///< the replica waiting for exchanges to finish
  double coordination_s = 0.0; ///< leasing and completing partitions, waiting for one
};

/// Runs the Downpour loop of `replica` against the servers of `client` (connected in here)
/// until the coordinator says the job is done. `config` gives the batch size, seed and Adagrad
/// settings, `plan` the partitions this worker proposes when it initializes the servers.
/// Throws usage_error for settings that do not fit the servers, runtime_error when they stay
/// unreachable or hand out partitions outside the replica's data.
WorkerSummary run_downpour(Replica& replica, ps::Client& client, const model::ModelConfig& config,
                           const ExchangeSettings& exchange, const ps::PartitionPlan& plan);

/// A worker of the autoencoder: its replica (torch_replica.h), its client, run_downpour.
WorkerSummary run_worker(const WorkerSettings& settings);

} // namespace dcae::train
