#pragma once
/// \file launch.h
/// The launchers of a distributed training job, and the final model they write:
/// - local (launch_local.cpp): the parameter servers and N worker processes (dcae-ps,
///   dcae-worker, found beside the running executable) on this machine over loopback; a server
///   that dies is restarted (it resumes from its checkpoint), a worker that dies leaves its
///   partitions to the others; the synchronous baseline's processes likewise;
/// - slurm (launch_slurm.cpp): this process's rank of a job started by srun;
/// - manual (launch_manual.cpp): the command lines to start the roles by hand.
/// No LibTorch in this header or in the launchers.

#include <filesystem>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "ps/client.h"
#include "train/job.h"

namespace dcae::train {

/// Runs `job` with the local launcher. Throws usage_error for a bad job, runtime_error when the
/// job cannot complete (every worker died, a server keeps dying).
void train_distributed_local(const model::ModelConfig& config, const Job& job);

/// The synchronous baseline (--sync) with the local launcher: N dcae-worker --sync processes
/// meet through a c10d::FileStore in output-dir/dist and all-reduce their gradients with Gloo
/// over loopback; rank 0 writes model.pt and loss.tsv, the launcher dist.json. Any worker
/// failing fails the job (runtime_error).
void train_sync_local(const model::ModelConfig& config, const Job& job);

/// Ranks of a job started by SLURM's srun (SLURM_PROCID, SLURM_NTASKS, SLURM_JOB_NODELIST).
struct SlurmRanks {
  int rank = 0;
  int size = 1;
  std::string nodelist;   ///< as SLURM gives it ("node[01-04]")
  std::string first_node; ///< its first host name ("node01")
};

/// Reads the SLURM_* variables; throws usage_error naming the variable when one is missing or
/// malformed (not under srun).
SlurmRanks slurm_ranks();

/// The first host of a SLURM node list ("n[01-04,07],m1" → "n01", "r[1-2]n[3-4]" → "r1n3"),
/// parsed here. Throws usage_error when the list is empty or malformed.
std::string first_slurm_node(const std::string& nodelist);

/// The first host as `scontrol show hostnames` gives it when scontrol is there (and works),
/// else first_slurm_node.
std::string slurm_first_host(const std::string& nodelist);

/// Runs this process's part of `job` under srun: ranks 0..k−1 (k = job.servers) are the
/// parameter servers (server i listens on `port` + i of every interface and hosts its share of
/// the parameter shards; rank 0 holds shard 0 and so the coordinator, and writes the final
/// model, then stops the others); the other ranks are the workers (job.workers must be
/// size − k). Rendezvous by address: server i publishes "<SLURM_JOB_ID> HOST:PORT" in
/// output-dir/dist/address (i = 0) or address-i (HOST: `ps_address`, else its NodeAddr, else the
/// IPv4 address of its interface); workers try `ps_address` for server 0, else the published
/// addresses, then the first node's name, and say once what failed and what to set.
/// The token comes from DCAE_PS_TOKEN or, when unset, from output-dir/dist/token, which rank 0
/// writes (the output folder must be shared). With job.resume the servers continue from their
/// checkpoints (output-dir/dist/ps-i.ckpt); with job.tls, TLS between all of them.
void train_distributed_slurm(const model::ModelConfig& config, const Job& job, int port,
                             const std::string& ps_address = "");

/// The command lines the local launcher would run, for starting the roles by hand (the
/// `manual` launcher prints them). Writes a fresh token to `token_file` (readable by this user
/// only); the commands name that file, never the token.
std::vector<std::string> manual_commands(const model::ModelConfig& config, const Job& job,
                                         const std::filesystem::path& model_yaml,
                                         const std::filesystem::path& token_file);

/// Connects to the servers (`client`: addresses, token, TLS), checks that the coordinator has
/// finished, and writes model.pt, loss.tsv and dist.json into `output_dir` (each atomically).
/// `extra_json` is merged into dist.json. Used by every launcher, and by dcae-worker
/// --output-dir. (result.cpp; it builds the model, so it links LibTorch.)
void write_distributed_result(const model::ModelConfig& config,
                              const std::vector<std::filesystem::path>& shards,
                              ps::ClientOptions client, const std::filesystem::path& output_dir,
                              const std::string& extra_json);

} // namespace dcae::train
