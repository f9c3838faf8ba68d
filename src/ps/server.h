#pragma once
/// \file server.h
/// The parameter-server service: hosts one shard or several of the flat parameter vector,
/// applies the update rule (Adagrad) to the gradients pushed to it, serves fetches, and — on
/// the server hosting shard 0 — coordinates data partitions. Checks the token on every call,
/// refuses bad pushes (wrong length, NaN/Inf) with an error status, drops pushes staler than
/// max_staleness, and checkpoints atomically every N seconds. Never aborts on bad input.
/// Does not expose gRPC types.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ps/security.h"

namespace dcae::ps {

struct ServerOptions {
  std::string listen = "127.0.0.1:0"; ///< host:port; port 0 picks a free one
  int num_shards = 1;                 ///< S of the layout
  std::vector<int> hosted;            ///< shards served here; empty = all
  std::string token;                  ///< required on every call (not empty)
  TlsFiles tls;                       ///< cert + key for TLS; empty = plain TCP
  std::int64_t max_staleness = -1;    ///< drop pushes staler than this (versions); < 0: never
  std::filesystem::path checkpoint;   ///< server checkpoint file; empty = none
  double checkpoint_every_s = 30.0;   ///< seconds between checkpoints (0 = only on shutdown)
  bool resume = true;                 ///< start from `checkpoint` when it exists
  double lease_timeout_s = 10.0;      ///< coordinator: a silent worker loses its leases after this
  std::int64_t chunk_values = 65536;  ///< values per streamed chunk (256 kB of float32)
};

/// Counters, as Status reports them.
struct ServerCounters {
  std::int64_t pushes_applied = 0;
  std::int64_t pushes_stale = 0;
  std::int64_t pushes_refused = 0;
  std::int64_t calls_unauthenticated = 0;
  std::int64_t bytes_received = 0;
  std::int64_t bytes_sent = 0;
  std::int64_t checkpoints_written = 0;
};

class ParameterServer {
public:
  /// Checks the options (usage_error) and, with `resume`, loads the checkpoint (input_error
  /// naming the file when it is corrupt or of another layout).
  explicit ParameterServer(ServerOptions options);
  ~ParameterServer();
  ParameterServer(const ParameterServer&) = delete;
  ParameterServer& operator=(const ParameterServer&) = delete;

  /// Binds and starts serving; throws runtime_error naming the address when it cannot bind.
  void start();
  /// The bound port (after start).
  int port() const;
  /// Blocks until shutdown() or a Shutdown call with stop.
  void wait();
  /// Writes a last checkpoint and stops serving. Idempotent; thread-safe.
  void shutdown();
  /// Writes the checkpoint now (no-op without a checkpoint path). Thread-safe.
  void write_checkpoint();

  ServerCounters counters() const;
  /// Whether the server started from a checkpoint.
  bool resumed() const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace dcae::ps
