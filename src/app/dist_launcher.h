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

#include "dist/client.h"
#include "model/model_config.h"

namespace dcae::app {

/// Steps the first worker trains alone before the others join (Downpour's warm-up, as the
/// paper starts distributed training from a model one worker has begun).
inline constexpr std::int64_t kDefaultWarmupSteps = 50;


struct DistJob {
  std::vector<std::filesystem::path> shards;  ///< time-series shards
  std::filesystem::path output_dir;           ///< model.pt, model.yaml, loss.tsv, dist.json, dist/
  int workers = 2;
  int servers = 1;                            ///< server processes
  int num_shards = 0;                         ///< parameter shards (0 = one per server)
  std::int64_t n_fetch = 1;
  std::int64_t n_push = 1;
  std::int64_t block_rows = 2048;
  std::int64_t warmup_steps = kDefaultWarmupSteps;
  std::int64_t max_staleness = -1;
  double lease_timeout_s = 10.0;
  double ps_checkpoint_every_s = 5.0;
  bool fp16 = false;
  bool overlap = false;                       ///< workers push and fetch while they compute
  int worker_threads = 1;                     ///< LibTorch threads per worker
  std::string device = "cpu";
  std::string host = "127.0.0.1";             ///< where servers listen
  int max_server_restarts = 5;
  std::filesystem::path bin_dir;              ///< dcae-ps, dcae-worker (default: beside this executable)
};

/// Runs `job` with the local launcher. Throws usage_error for a bad job, runtime_error when the
/// job cannot complete (every worker died, a server keeps dying).
void train_distributed_local(const model::ModelConfig& config, const DistJob& job);

/// Ranks of a job started by SLURM's srun (SLURM_PROCID, SLURM_NTASKS, SLURM_JOB_NODELIST).
struct SlurmRanks {
  int rank = 0;
  int size = 1;
  std::string nodelist;      ///< as SLURM gives it ("node[01-04]")
  std::string first_node;    ///< its first host name ("node01")
};

/// Reads the SLURM_* variables; throws usage_error naming the variable when one is missing or
/// malformed (not under srun).
SlurmRanks slurm_ranks();

/// The first host of a SLURM node list ("n[01-04,07],m1" → "n01"). Throws usage_error when
/// the list is empty or malformed.
std::string first_slurm_node(const std::string& nodelist);

/// Runs this process's part of `job` under srun: rank 0 is the parameter server (all shards,
/// listening on `port` of every interface; the coordinator) and writes the final model; ranks
/// 1..size−1 are the workers (job.workers must be size − 1). Workers find the server at the
/// first node of SLURM_JOB_NODELIST. The token comes from DCAE_PS_TOKEN or, when unset, from
/// output-dir/dist/token, which rank 0 writes (the output folder must be shared).
void train_distributed_slurm(const model::ModelConfig& config, const DistJob& job, int port);

/// The synchronous baseline (--sync) with the local launcher: N dcae-worker --sync processes
/// meet through a c10d::FileStore in output-dir/dist and all-reduce their gradients with Gloo
/// over loopback; rank 0 writes model.pt and loss.tsv, the launcher dist.json. Any worker
/// failing fails the job. Throws runtime_error then.
void train_sync_local(const model::ModelConfig& config, const DistJob& job);

/// The command lines the local launcher would run, for starting the roles by hand (the
/// `manual` launcher prints them). Writes a fresh token to `token_file` (readable by this user
/// only); the commands name that file, never the token.
std::vector<std::string> manual_commands(const model::ModelConfig& config, const DistJob& job,
                                         const std::filesystem::path& model_yaml, const std::filesystem::path& token_file);

/// Connects to the servers (`client`: addresses, token, TLS), checks that the coordinator has
/// finished, and writes model.pt, loss.tsv and dist.json into `output_dir` (each atomically).
/// `extra` is merged into dist.json. Used by every launcher, and by dcae-worker --output-dir.
void write_distributed_result(const model::ModelConfig& config, const std::vector<std::filesystem::path>& shards,
                              dist::ClientOptions client, const std::filesystem::path& output_dir,
                              const std::string& extra_json);

}  // namespace dcae::app
