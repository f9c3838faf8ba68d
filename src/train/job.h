#pragma once
/// \file job.h
/// A distributed training job as the launchers run it, and the settings its parts share: how a
/// worker exchanges with the servers, the servers' own settings, and the one mapping from a job
/// to what each worker runs. The options of dcae-train, dcae-worker and dcae-ps that carry
/// these settings are declared once here (OptionSpec tables): app builds the commands' usage
/// from them and the launchers build the children's command lines from them. No LibTorch.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "ps/client.h"
#include "ps/coordinator.h"
#include "ps/security.h"

namespace dcae::train {

/// Steps the first worker trains alone before the others join (Downpour's warm-up, as the
/// paper starts distributed training from a model one worker has begun).
inline constexpr std::int64_t kDefaultWarmupSteps = 50;

/// How a worker exchanges with the servers and how the data are split into partitions.
struct ExchangeSettings {
  std::int64_t n_fetch = 1;                        ///< steps between fetches
  std::int64_t n_push = 1;                         ///< steps between pushes
  std::int64_t block_rows = 2048;                  ///< voxels per data partition
  std::int64_t warmup_steps = kDefaultWarmupSteps; ///< steps the first worker trains alone
  bool fp16 = false;                               ///< transfer parameters and gradients as fp16
  bool overlap = false;                            ///< push and fetch while computing
};

/// The servers' settings a launcher passes on to dcae-ps.
struct ServerSettings {
  std::int64_t max_staleness = -1; ///< drop pushes more than this many updates old (-1: never)
  double lease_timeout_s = 10.0;   ///< a silent worker's partitions go back to the queue after this
};

/// One option of a shared group: its declaration and how it reads and writes the settings.
template <typename Settings> struct OptionSpec {
  enum class Kind { kInt, kFloat, kFlag };
  std::string name; ///< without "--"
  std::string help;
  Kind kind = Kind::kInt;
  std::optional<double> min;                              ///< for numbers
  std::function<std::string(const Settings&)> get;        ///< the value as text ("1"/"0" for flags)
  std::function<void(Settings&, const std::string&)> set; ///< from text
};

/// --n-fetch, --n-push, --block-rows, --warmup-steps, --fp16, --overlap.
const std::vector<OptionSpec<ExchangeSettings>>& exchange_options();
/// --max-staleness, --lease-timeout.
const std::vector<OptionSpec<ServerSettings>>& server_options();

/// The options of `specs` as command-line arguments for `s` ("--n-fetch", "2", ..., flags only
/// when set).
template <typename Settings>
std::vector<std::string> to_argv(const std::vector<OptionSpec<Settings>>& specs,
                                 const Settings& s) {
  std::vector<std::string> a;
  for (const auto& o : specs) {
    const std::string v = o.get(s);
    if (o.kind == OptionSpec<Settings>::Kind::kFlag) {
      if (v == "1") a.push_back("--" + o.name);
    } else {
      a.push_back("--" + o.name);
      a.push_back(v);
    }
  }
  return a;
}

/// TLS between the job's processes (all empty: plain TCP, the job's token still required).
struct TlsSettings {
  ps::TlsFiles files; ///< servers: cert + key; workers and the launcher: ca
  std::string name;   ///< the name to check in the servers' certificates (default: the host)
};

/// A distributed training job.
struct Job {
  std::vector<std::filesystem::path> shards; ///< time-series shards
  std::filesystem::path output_dir;          ///< model.pt, model.yaml, loss.tsv, dist.json, dist/
  int workers = 2;
  int servers = 1;    ///< server processes
  int num_shards = 0; ///< parameter shards (0 = one per server)
  ExchangeSettings exchange;
  ServerSettings server;
  double ps_checkpoint_every_s = 5.0;
  int worker_threads = 1; ///< LibTorch threads per worker
  std::string device = "cpu";
  std::string host = "127.0.0.1"; ///< where servers listen
  int max_server_restarts = 5;
  std::filesystem::path bin_dir; ///< dcae-ps, dcae-worker (default: beside this executable)
  bool resume = false;           ///< continue from the servers' checkpoints in output-dir/dist
  TlsSettings tls;

  int shard_count() const { return num_shards > 0 ? num_shards : servers; }
};

/// Throws usage_error for a job that cannot run (no workers or shards, fewer parameter shards
/// than servers).
void check(const Job& job);

/// Options of a client of the job's servers at `servers`: the token and the job's TLS.
ps::ClientOptions job_client(const Job& job, std::vector<std::string> servers, std::string token);

/// What one worker runs with.
struct WorkerSettings {
  ps::ClientOptions client;  ///< servers, token, TLS, fp16, backoff
  model::ModelConfig config; ///< model, Adagrad and train.* settings
  std::vector<std::filesystem::path> shards;
  ExchangeSettings exchange;
  std::string device = "cpu";
};

/// A worker of `job`, connecting with `client` (the job's fp16 setting is applied to it).
WorkerSettings worker_settings(const model::ModelConfig& config, const Job& job,
                               ps::ClientOptions client);

/// The partition plan every worker proposes for `shards` (the same one). Throws usage_error
/// when the configuration has no stop (train.epochs, train.target_loss or train.max_steps).
ps::PartitionPlan partition_plan(const model::ModelConfig& config,
                                 const std::vector<std::filesystem::path>& shards,
                                 const ExchangeSettings& exchange);

} // namespace dcae::train
