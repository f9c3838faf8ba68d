#pragma once
/// \file client.h
/// A worker's side of the parameter-server protocol: registers with every server, fetches all
/// shards in parallel (one stream per shard), pushes gradients in parallel, leases and
/// completes partitions on the coordinator. Every call carries the token; a server that is
/// unavailable (not yet started, restarting) is retried with exponential backoff until the
/// retry budget is spent. Thread-safe: calls may come from several threads (e.g. a heartbeat
/// thread beside the training loop); buffers passed in may be reused when a call returns.
/// Does not expose gRPC types.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dist/coordinator.h"
#include "dist/security.h"
#include "dist/update_rule.h"

namespace dcae::dist {

struct ClientOptions {
  std::vector<std::string> servers;  ///< host:port of each server process (any order)
  std::string token;                 ///< the job's token
  std::filesystem::path tls_ca;      ///< TLS when set: the root certificate of the servers' certificates
  std::string tls_target_name;       ///< name to check in the servers' certificates (default: the host)
  bool fp16 = false;                 ///< transfer parameters and gradients as fp16
  double retry_budget_s = 60.0;      ///< how long to keep retrying an unavailable server (s)
  double backoff_initial_s = 0.05;   ///< first pause between retries (s), doubled up to backoff_max_s
  double backoff_max_s = 2.0;
  double call_timeout_s = 120.0;     ///< deadline of one call (s)
  std::int64_t chunk_values = 65536; ///< values per pushed chunk (256 kB as float32)
  std::string worker_name;           ///< for the servers' logs
  bool observer = false;             ///< a monitor, not a worker (registers without a worker id)
};

/// A server's Status, as plain values.
struct ServerStatus {
  std::vector<int> shards;
  std::vector<std::int64_t> versions;
  bool initialized = false;
  std::int64_t pushes_applied = 0, pushes_stale = 0, pushes_refused = 0, calls_unauthenticated = 0;
  std::int64_t bytes_received = 0, bytes_sent = 0, checkpoints_written = 0;
  bool resumed = false;
  bool coordinator = false;
  CoordinatorStatus coordination;  ///< meaningful on the coordinator
};

/// The outcome of a push over all shards.
struct PushOutcome {
  int applied = 0;  ///< shards that applied the gradient
  int stale = 0;    ///< shards that dropped it as too stale
};

/// A failed call: the server's status code (gRPC's numbering) and message, as a dcae::Error.
class PsClient {
 public:
  /// Checks the options (usage_error); connects lazily.
  explicit PsClient(ClientOptions options);
  ~PsClient();
  PsClient(const PsClient&) = delete;
  PsClient& operator=(const PsClient&) = delete;

  /// Registers with every server, retrying while they start; learns which server hosts which
  /// shard. Throws runtime_error when a server stays unreachable, usage_error when the token is
  /// refused or the servers disagree on the number of shards or leave shards uncovered.
  void connect();

  int num_shards() const;
  /// The flat vector's length (0 while the servers are not initialized).
  std::int64_t total_size() const;
  bool initialized() const;
  /// This worker's id from the coordinator.
  std::int64_t worker_id() const;

  /// Initializes every server that is not yet: layout, update rule, initial values (the whole
  /// flat vector) and the partition plan for the coordinator. A server initialized meanwhile
  /// by another worker is left as it is. Afterwards total_size() is params.size().
  void initialize(const std::vector<float>& params, const AdagradSettings& rule, const PartitionPlan& plan);

  /// Fetches every shard in parallel into `params` (total_size() values); returns each shard's
  /// version. With `accumulator` (total_size() values), also Adagrad's state.
  std::vector<std::int64_t> fetch(float* params, float* accumulator = nullptr);

  /// Pushes `grad` (total_size() values), each shard with the version it was fetched at.
  PushOutcome push(const float* grad, const std::vector<std::int64_t>& versions);

  /// Coordinator calls (see Coordinator).
  LeaseAnswer lease(std::int64_t steps);
  bool complete(std::int64_t lease_id, double mean_loss, std::int64_t steps);
  /// Returns {finished, warmup_done}.
  std::pair<bool, bool> heartbeat(std::int64_t steps);

  /// Status of server `i` (index into options.servers).
  ServerStatus status(std::size_t i);
  /// The coordinator's status.
  ServerStatus coordinator_status();
  /// Asks every server to checkpoint and, with `stop`, to stop serving.
  void shutdown_servers(bool stop);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dcae::dist
