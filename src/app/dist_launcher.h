#pragma once
/// \file dist_launcher.h
/// Runs a distributed training job: the `local` launcher starts the parameter servers and N
/// worker processes (dcae-ps, dcae-worker, found beside the running executable) on this
/// machine over loopback, restarts a server that dies (it resumes from its checkpoint), lets
/// the job carry on when a worker dies (its partitions go to the others), and at the end
/// writes the servers' parameters once, atomically, as the standard checkpoint (model.pt) with
/// loss.tsv and dist.json beside it. No LibTorch in this header.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace dcae::app {

struct DistJob {
  std::vector<std::filesystem::path> shards;  ///< time-series shards
  std::filesystem::path output_dir;           ///< model.pt, model.yaml, loss.tsv, dist.json, dist/
  int workers = 2;
  int servers = 1;                            ///< server processes
  int num_shards = 0;                         ///< parameter shards (0 = one per server)
  std::int64_t n_fetch = 1;
  std::int64_t n_push = 1;
  std::int64_t block_rows = 2048;
  std::int64_t warmup_steps = 0;
  std::int64_t max_staleness = -1;
  double lease_timeout_s = 10.0;
  double ps_checkpoint_every_s = 5.0;
  bool fp16 = false;
  int worker_threads = 1;                     ///< LibTorch threads per worker
  std::string device = "cpu";
  std::string host = "127.0.0.1";             ///< where servers listen
  int max_server_restarts = 5;
  std::filesystem::path bin_dir;              ///< dcae-ps, dcae-worker (default: beside this executable)
};

/// Runs `job` with the local launcher. Throws usage_error for a bad job, runtime_error when the
/// job cannot complete (every worker died, a server keeps dying).
void train_distributed_local(const model::ModelConfig& config, const DistJob& job);

/// The command lines the local launcher would run, for starting the roles by hand (the
/// `manual` launcher prints them). Writes a fresh token to `token_file` (readable by this user
/// only); the commands name that file, never the token.
std::vector<std::string> manual_commands(const model::ModelConfig& config, const DistJob& job,
                                         const std::filesystem::path& model_yaml, const std::filesystem::path& token_file);

/// Connects to the servers at `servers` (host:port), waits for the coordinator to finish, and
/// writes model.pt, loss.tsv and dist.json into `output_dir` (each atomically). `extra` is
/// merged into dist.json. Used by every launcher.
void write_distributed_result(const model::ModelConfig& config, const std::vector<std::filesystem::path>& shards,
                              const std::vector<std::string>& servers, const std::string& token,
                              const std::filesystem::path& output_dir, const std::string& extra_json);

}  // namespace dcae::app
