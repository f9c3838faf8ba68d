#pragma once
/// \file client.h
/// A worker's side of the parameter-server protocol: registers with every server, fetches all
/// shards in parallel (one stream per shard) and pushes gradients in parallel, either blocking
/// or asynchronously (as ps-lite's KVWorker: push_async/fetch_async return a ticket, wait(t)
/// waits for it). Every call carries the token; a server that is unavailable (not yet started,
/// restarting) is retried with exponential backoff until the retry budget is spent. The
/// coordinator's calls (leases, heartbeats) are the TaskClient's (task_client.h). Thread-safe:
/// calls may come from several threads; buffers passed to a blocking call may be reused when
/// it returns. Does not expose gRPC types.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ps/coordinator.h"
#include "ps/security.h"
#include "ps/update_rule.h"

namespace dcae::ps {

struct ClientOptions {
  std::vector<std::string> servers; ///< host:port of each server process (any order)
  std::string token;                ///< the job's token
  std::filesystem::path tls_ca; ///< TLS when set: the root certificate of the servers' certificates
  std::string tls_target_name;  ///< name to check in the servers' certificates (default: the host)
  bool fp16 = false;            ///< transfer parameters and gradients as fp16
  double retry_budget_s = 60.0; ///< how long to keep retrying an unavailable server (s)
  double backoff_initial_s = 0.05; ///< first pause between retries (s), doubled up to backoff_max_s
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
  CoordinatorStatus coordination; ///< meaningful on the coordinator
};

/// The outcome of a push over all shards.
struct PushOutcome {
  int applied = 0;      ///< shards that applied the gradient
  int stale = 0;        ///< shards that dropped it as too stale
  double seconds = 0.0; ///< how long the push took
};

/// A failed call: the server's status code (gRPC's numbering) and message, as a dcae::Error.
class Client {
public:
  /// Checks the options (usage_error); connects lazily.
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Registers with every server, retrying while they start; learns which server hosts which
  /// shard. Throws runtime_error when a server stays unreachable, usage_error when the token is
  /// refused or the servers disagree on the number of shards or leave shards uncovered.
  void connect();

  int num_shards() const;
  /// The flat vector's length (0 while the servers are not initialized).
  std::int64_t total_size() const;
  bool initialized() const;

  /// Initializes every server that is not yet: layout, update rule, initial values (the whole
  /// flat vector) and the partition plan for the coordinator. A server initialized meanwhile
  /// by another worker is left as it is. Afterwards total_size() is params.size().
  void initialize(const std::vector<float>& params, const AdagradSettings& rule,
                  const PartitionPlan& plan);

  /// Fetches every shard in parallel into `params` (total_size() values); returns each shard's
  /// version. With `accumulator` (total_size() values), also Adagrad's state.
  std::vector<std::int64_t> fetch(float* params, float* accumulator = nullptr);

  /// Pushes `grad` (total_size() values), each shard with the version it was fetched at.
  PushOutcome push(const float* grad, const std::vector<std::int64_t>& versions);

  /// An asynchronous operation, in the order started; wait() for it.
  using Ticket = std::int64_t;
  /// Starts pushing `grad` (which must stay unchanged until the ticket is waited for); the
  /// outcome goes to `outcome` when given. Operations run one at a time, in order.
  Ticket push_async(const float* grad, std::vector<std::int64_t> versions,
                    PushOutcome* outcome = nullptr);
  /// Starts fetching into `params` (total_size() values, untouched by the caller until the
  /// ticket is waited for); each shard's version goes to `versions`, the time it took to
  /// `seconds` when given.
  Ticket fetch_async(float* params, std::vector<std::int64_t>* versions, double* seconds = nullptr);
  /// Waits until every operation up to `ticket` is done; rethrows the first failure among them
  /// not rethrown yet.
  void wait(Ticket ticket);

  /// Status of server `i` (index into options.servers).
  ServerStatus status(std::size_t i);
  /// Asks every server to checkpoint and, with `stop`, to stop serving.
  void shutdown_servers(bool stop);

  struct Impl;

private:
  friend class TaskClient;
  PushOutcome push_all(const float* grad, const std::vector<std::int64_t>& versions);
  std::unique_ptr<Impl> impl_;
};

} // namespace dcae::ps
