#pragma once
/// \file task_client.h
/// The worker's calls to the coordinator (on the server hosting shard 0): leasing data
/// partitions, reporting them complete, heart-beating to keep a lease, and the job's status.
/// Shares its Client's connections and registration (worker id), so it is cheap; thread-safe
/// (a heartbeat thread beside the training loop).

#include <cstdint>
#include <utility>

#include "ps/client.h"

namespace dcae::ps {

class TaskClient {
public:
  /// Uses `client`'s connections (connect() it first for a worker id); must not outlive it.
  explicit TaskClient(Client& client) : client_(client) {}
  /// This worker's id from the coordinator.
  std::int64_t worker_id() const;
  /// The next partition to train, or wait, or done (see Coordinator::lease).
  LeaseAnswer lease(std::int64_t steps);
  /// Reports lease `lease_id` complete; false when the lease had expired.
  bool complete(std::int64_t lease_id, double mean_loss, std::int64_t steps);
  /// Keeps this worker's lease; returns {finished, warmup_done}.
  std::pair<bool, bool> heartbeat(std::int64_t steps);
  /// The coordinator's status.
  ServerStatus status();

private:
  Client& client_;
};

} // namespace dcae::ps
