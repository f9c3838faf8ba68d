// The local launcher: a job's servers and workers as child processes of this one.
#include <chrono>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/process.h"
#include "core/progress.h"
#include "io/shard.h"
#include "ps/task_client.h"
#include "train/launch.h"
#include "train/launch_common.h"

namespace fs = std::filesystem;

namespace dcae::train {
namespace {

using Clock = std::chrono::steady_clock;
using detail::g_interrupted;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// What happened to the workers and servers while the job ran.
struct Watch {
  int ok_workers = 0, failed_workers = 0, server_restarts = 0;
  nlohmann::json worker_exits = nlohmann::json::array();
};

/// The job's progress bar, fed by the coordinator's count of completed partitions.
class Progress {
public:
  Progress(ps::ClientOptions monitor, std::int64_t epochs)
      : options_(std::move(monitor)), epochs_(epochs) {}
  void poll() {
    if (Clock::now() - last_ < std::chrono::seconds(1)) return;
    last_ = Clock::now();
    try {
      ps::Client client(options_);
      client.connect();
      const auto s = ps::TaskClient(client).status().coordination;
      if (!bar_ && s.partitions_per_epoch > 0)
        bar_ = std::make_unique<ProgressBar>(
            "distributed training", static_cast<std::uint64_t>(epochs_ * s.partitions_per_epoch),
            "partitions");
      if (bar_ && s.partitions_completed > shown_) {
        bar_->advance(static_cast<std::uint64_t>(s.partitions_completed - shown_));
        shown_ = s.partitions_completed;
      }
    } catch (const std::exception& e) {
      log::debug("progress: ", e.what());
    }
  }
  void finish() {
    if (bar_) bar_->finish();
  }

private:
  ps::ClientOptions options_;
  std::int64_t epochs_;
  std::unique_ptr<ProgressBar> bar_;
  std::int64_t shown_ = 0;
  Clock::time_point last_ = Clock::now();
};

/// Watches the children until every worker has exited: restarts servers that die (up to
/// job.max_server_restarts each), records workers' exits.
Watch watch(ChildGroup& group, const Job& job, Progress& progress) {
  Watch w;
  while (true) {
    bool workers_left = false;
    for (auto& c : group.children()) {
      const bool server = c.role().rfind("server", 0) == 0;
      if (!c.running()) continue;
      if (!c.poll()) {
        workers_left |= !server;
        continue;
      }
      if (server) {
        if (c.starts() > job.max_server_restarts)
          throw runtime_error(c.role() + " died " + std::to_string(c.starts()) + " times (" +
                              c.describe_exit() + "); giving up");
        ++w.server_restarts;
        log::warn(c.role(), " died (", c.describe_exit(),
                  "); restarting it: it resumes from its checkpoint");
        c.start();
        log::info(c.role(), " started (pid ", c.pid(), ")");
        continue;
      }
      (c.succeeded() ? w.ok_workers : w.failed_workers)++;
      w.worker_exits.push_back({{"worker", c.role()},
                                {"pid", c.pid()},
                                {"exit_code", c.exit_code()},
                                {"signal", c.term_signal()}});
      if (!c.succeeded())
        log::warn(c.role(), " (pid ", c.pid(), ") died (", c.describe_exit(),
                  "): its partitions go back to the queue when its lease expires");
    }
    if (!workers_left) return w;
    if (g_interrupted != 0)
      throw runtime_error("interrupted by signal " + std::to_string(g_interrupted) +
                          "; stopping the job");
    progress.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

/// Output-dir/dist, fresh (a new job never resumes an old one's servers) unless the job
/// resumes; the token; the model's YAML.
void prepare(const model::ModelConfig& cfg, const Job& job, const fs::path& token_file,
             const fs::path& model_yaml) {
  const fs::path work = job.output_dir / "dist";
  fs::create_directories(work);
  int kept = 0;
  for (const auto& e : fs::directory_iterator(work)) {
    if (e.path().extension() != ".ckpt") continue;
    if (job.resume)
      ++kept;
    else
      fs::remove(e.path());
  }
  if (job.resume)
    log::info(kept > 0 ? "--resume: the servers continue from their checkpoints in " + work.string()
                       : "--resume: no server checkpoint in " + work.string() +
                             "; the job starts from the beginning");
  if (job.resume && kept > 0 && kept != job.servers)
    throw usage_error("--resume: " + work.string() + " holds " + std::to_string(kept) +
                      " server checkpoint(s), the job has --servers " +
                      std::to_string(job.servers) + " (resume with the same settings)");
  detail::new_token_file(token_file);
  write_file_atomic(model_yaml, model::to_yaml(cfg));
}

} // namespace

void train_distributed_local(const model::ModelConfig& cfg, const Job& job) {
  check(job);
  const auto t0 = Clock::now();
  const ps::PartitionPlan plan = partition_plan(cfg, job.shards, job.exchange);
  const fs::path token_file = job.output_dir / "dist" / "token",
                 model_yaml = job.output_dir / "model.yaml";
  prepare(cfg, job, token_file, model_yaml);
  const std::string token = ps::read_token(token_file);
  std::vector<int> ports;
  for (int i = 0; i < job.servers; ++i) ports.push_back(free_tcp_port(job.host));
  const detail::ProcessPlan p = detail::process_plan(job, model_yaml, token_file, ports);
  for (const auto* exe : {"dcae-ps", "dcae-worker"})
    if (::access((detail::bin_dir(job) / exe).c_str(), X_OK) != 0)
      throw runtime_error((detail::bin_dir(job) / exe).string() +
                          ": not found (needed by --workers)");

  // SIGINT/SIGTERM stop the job cleanly: the children are stopped by the group's destructor.
  detail::install_interrupt_handlers();
  ChildGroup group;
  for (int i = 0; i < job.servers; ++i)
    group.add("server " + std::to_string(i), p.server_argv[static_cast<std::size_t>(i)]);
  for (int w = 0; w < job.workers; ++w)
    group.add("worker " + std::to_string(w), p.worker_argv[static_cast<std::size_t>(w)]);
  for (auto& c : group.children()) {
    c.start();
    log::info(c.role(), " started (pid ", c.pid(), ")");
  }
  log::info("local launcher: ", job.servers, " server(s), ", job.workers, " worker(s) on ",
            job.host, "; ", plan.run_rows.size(), " run(s), ", plan.epochs, " epoch(s)");

  ps::ClientOptions monitor = job_client(job, p.addresses, token);
  monitor.retry_budget_s = 0.5;
  monitor.call_timeout_s = 5;
  monitor.worker_name = "launcher-monitor";
  monitor.observer = true;
  Progress progress(monitor, plan.epochs);
  const Watch w = watch(group, job, progress);
  progress.finish();
  if (w.ok_workers == 0)
    throw runtime_error("every worker failed (" + std::to_string(w.failed_workers) +
                        "); see the log above");

  nlohmann::json extra = {{"launcher", "local"},
                          {"workers", job.workers},
                          {"servers", job.servers},
                          {"shards", job.shard_count()},
                          {"n_fetch", job.exchange.n_fetch},
                          {"n_push", job.exchange.n_push},
                          {"warmup_steps", job.exchange.warmup_steps},
                          {"fp16", job.exchange.fp16},
                          {"overlap", job.exchange.overlap},
                          {"worker_exits", w.worker_exits},
                          {"workers_failed", w.failed_workers},
                          {"server_restarts", w.server_restarts},
                          {"wall_s", seconds_since(t0)}};
  write_distributed_result(cfg, job.shards, job_client(job, p.addresses, token), job.output_dir,
                           extra.dump());

  ps::ClientOptions stop = monitor;
  stop.retry_budget_s = 5;
  try {
    ps::Client(stop).shutdown_servers(true);
  } catch (const std::exception& e) {
    log::warn("stopping the servers: ", e.what());
  }
  group.wait_all(10.0);
  group.stop_all(3.0);
}

void train_sync_local(const model::ModelConfig& cfg, const Job& job) {
  check(job);
  const auto t0 = Clock::now();
  for (const auto& s : job.shards)
    io::read_shard_info(s); // bad shards fail here, before any process starts
  const fs::path work = job.output_dir / "dist";
  fs::create_directories(work);
  const fs::path rendezvous = work / "rendezvous";
  fs::remove(rendezvous);
  const fs::path model_yaml = job.output_dir / "model.yaml";
  write_file_atomic(model_yaml, model::to_yaml(cfg));
  const fs::path bin = detail::bin_dir(job);
  detail::install_interrupt_handlers();
  ChildGroup group;
  for (int w = 0; w < job.workers; ++w) {
    std::vector<std::string> a{(bin / "dcae-worker").string(),
                               "--sync",
                               "--rank",
                               std::to_string(w),
                               "--world-size",
                               std::to_string(job.workers),
                               "--rendezvous",
                               rendezvous.string(),
                               "--output-dir",
                               job.output_dir.string(),
                               "--model-config",
                               model_yaml.string(),
                               "--nthreads",
                               std::to_string(job.worker_threads),
                               "--device",
                               job.device};
    if (log::level() < log::Level::kInfo) a.emplace_back("-q");
    for (const auto& s : job.shards) a.push_back(fs::absolute(s).string());
    group.add("sync worker " + std::to_string(w), a).start();
  }
  while (true) {
    bool left = false;
    for (auto& c : group.children()) {
      if (!c.running()) continue;
      if (!c.poll()) {
        left = true;
        continue;
      }
      if (!c.succeeded())
        throw runtime_error(c.role() + " failed (" + c.describe_exit() +
                            "): synchronous training cannot continue without it");
    }
    if (!left) break;
    if (g_interrupted != 0)
      throw runtime_error("interrupted by signal " + std::to_string(g_interrupted) +
                          "; stopping the job");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const nlohmann::json j = {{"launcher", "local"},
                            {"mode", "sync"},
                            {"backend", "c10d ProcessGroupGloo"},
                            {"workers", job.workers},
                            {"wall_s", seconds_since(t0)}};
  write_file_atomic(job.output_dir / "dist.json", j.dump(2) + "\n");
  fs::remove(rendezvous);
}

} // namespace dcae::train
