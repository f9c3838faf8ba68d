// The SLURM launcher: this process's rank of a job started by srun.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "ps/security.h"
#include "ps/server.h"
#include "ps/task_client.h"
#include "train/downpour.h"
#include "train/launch.h"
#include "train/launch_common.h"

namespace fs = std::filesystem;

namespace dcae::train {
namespace {

using Clock = std::chrono::steady_clock;

int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    throw usage_error(std::string("--launcher slurm: ") + name + " is not set (run under srun)");
  try {
    std::size_t used = 0;
    const int x = std::stoi(v, &used);
    if (used != std::strlen(v) || x < 0) throw std::invalid_argument(v);
    return x;
  } catch (const std::exception&) {
    throw usage_error(std::string("--launcher slurm: ") + name + "='" + v +
                      "' is not a non-negative integer");
  }
}

/// Waits for `path` to exist (written by another rank on a shared file system).
void wait_for_file(const fs::path& path, double timeout_s) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(timeout_s));
  while (!fs::exists(path)) {
    if (Clock::now() > until)
      throw runtime_error(path.string() + ": not written by rank 0 within " +
                          std::to_string(timeout_s) + " s (is the output folder shared?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

/// The job's token: DCAE_PS_TOKEN, else the file rank 0 writes.
std::string job_token(const SlurmRanks& r, const fs::path& token_file) {
  if (const char* env = std::getenv(ps::kTokenEnvVar); env != nullptr && *env != '\0')
    return ps::read_token({});
  if (r.rank == 0) return detail::new_token_file(token_file);
  wait_for_file(token_file, 120);
  return ps::read_token(token_file);
}

/// Rank 0: the parameter server and the coordinator, until the job is done; then the model.
void serve(const model::ModelConfig& cfg, const Job& job, const SlurmRanks& r, int port,
           const std::string& token) {
  partition_plan(cfg, job.shards,
                 job.exchange); // checked here, so that bad shards fail on rank 0 too
  const auto t0 = Clock::now();
  const fs::path work = job.output_dir / "dist";
  ps::ServerOptions so;
  so.listen = "0.0.0.0:" + std::to_string(port);
  so.num_shards = job.num_shards > 0 ? job.num_shards : 1;
  so.token = token;
  so.checkpoint = work / "ps-0.ckpt";
  so.checkpoint_every_s = job.ps_checkpoint_every_s;
  so.max_staleness = job.server.max_staleness;
  so.lease_timeout_s = job.server.lease_timeout_s;
  fs::create_directories(work);
  fs::remove(so.checkpoint);
  ps::ParameterServer server(so);
  server.start();
  log::warn("rank 0 listens on every interface (port ", port,
            "); every call needs the job's token");
  ps::ClientOptions co;
  co.servers = {"127.0.0.1:" + std::to_string(port)};
  co.token = token;
  co.observer = true;
  co.worker_name = "slurm rank 0";
  ps::Client monitor(co);
  ps::TaskClient tasks(monitor);
  while (!tasks.status().coordination.finished) {
    if (detail::g_interrupted != 0)
      throw runtime_error("interrupted by signal " + std::to_string(detail::g_interrupted));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const nlohmann::json extra = {
      {"launcher", "slurm"},
      {"workers", job.workers},
      {"servers", 1},
      {"nodelist", r.nodelist},
      {"fp16", job.exchange.fp16},
      {"overlap", job.exchange.overlap},
      {"wall_s", std::chrono::duration<double>(Clock::now() - t0).count()}};
  write_distributed_result(cfg, job.shards, co, job.output_dir, extra.dump());
  // Let the workers see "done" before the server goes away.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  server.shutdown();
}

} // namespace

std::string first_slurm_node(const std::string& list) {
  // The first entry is everything before the first comma outside brackets.
  std::string first;
  int depth = 0;
  for (const char c : list) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) break;
    first += c;
  }
  const auto open = first.find('[');
  if (first.empty() || depth < 0)
    throw usage_error("SLURM_JOB_NODELIST '" + list + "' is not a node list");
  if (open == std::string::npos) return first;
  const auto close = first.find(']', open);
  if (close == std::string::npos || close == open + 1)
    throw usage_error("SLURM_JOB_NODELIST '" + list + "' is not a node list");
  std::string range = first.substr(open + 1, close - open - 1);
  range = range.substr(0, range.find(','));
  const std::string lowest = range.substr(0, range.find('-'));
  if (lowest.empty() || lowest.find_first_not_of("0123456789") != std::string::npos)
    throw usage_error("SLURM_JOB_NODELIST '" + list + "' is not a node list");
  return first.substr(0, open) + lowest + first.substr(close + 1);
}

SlurmRanks slurm_ranks() {
  SlurmRanks r;
  r.rank = env_int("SLURM_PROCID");
  r.size = env_int("SLURM_NTASKS");
  const char* nodes = std::getenv("SLURM_JOB_NODELIST");
  if (nodes == nullptr || *nodes == '\0')
    throw usage_error("--launcher slurm: SLURM_JOB_NODELIST is not set (run under srun)");
  r.nodelist = nodes;
  r.first_node = first_slurm_node(r.nodelist);
  if (r.rank >= r.size)
    throw usage_error("--launcher slurm: SLURM_PROCID " + std::to_string(r.rank) +
                      " ≥ SLURM_NTASKS " + std::to_string(r.size));
  return r;
}

void train_distributed_slurm(const model::ModelConfig& cfg, const Job& job, int port) {
  check(job);
  const SlurmRanks r = slurm_ranks();
  if (r.size < 2)
    throw usage_error(
        "--launcher slurm needs at least 2 tasks (1 server + workers), SLURM_NTASKS is " +
        std::to_string(r.size));
  if (job.workers != r.size - 1)
    throw usage_error("--workers " + std::to_string(job.workers) + " does not match SLURM_NTASKS " +
                      std::to_string(r.size) + " (rank 0 is the server, the other " +
                      std::to_string(r.size - 1) + " ranks are workers)");
  if (job.servers != 1)
    throw usage_error("--launcher slurm runs one server process (rank 0); --servers must be 1");
  const std::string token = job_token(r, job.output_dir / "dist" / "token");
  const std::string address = r.first_node + ":" + std::to_string(port);
  log::info("slurm rank ", r.rank, " of ", r.size, " (nodes ", r.nodelist,
            "): ", r.rank == 0 ? "parameter server" : "worker", "; server at ", address);
  detail::install_interrupt_handlers();
  if (r.rank == 0) return serve(cfg, job, r, port, token);
  ps::ClientOptions client;
  client.servers = {address};
  client.token = token;
  client.retry_budget_s = 120;
  client.worker_name = "slurm rank " + std::to_string(r.rank);
  run_worker(worker_settings(cfg, job, client));
}

} // namespace dcae::train
