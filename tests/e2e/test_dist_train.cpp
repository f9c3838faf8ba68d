// Distributed training end to end on loopback: dcae-train --workers N starts dcae-ps and
// dcae-worker processes; the final model must reach the loss of single-machine training, survive
// kill -9 of a worker or of a server, and be a standard checkpoint that dcae-encode reads.
#include <chrono>
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/log.h"
#include "io/shard.h"
#include "model/autoencoder.h"
#include "model/trainer.h"
#include "ps/client.h"
#include "ps/task_client.h"
#include "sim/simulator.h"
#include "simulated_shard.h"
#include "test_data.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace dcae::app {
namespace {

/// Simulated runs (dcae's simulator, no motion), brain voxels z-scored → shards.
std::vector<fs::path> simulated_shards(const fs::path& dir, int runs) {
  sim::SimulationConfig c;
  c.grid = {16, 20, 14};
  c.voxel_mm = {10, 10, 10};
  c.tr_s = 2.0;
  c.volumes = 64;
  c.motion_mm = c.motion_deg = 0;
  c.spikes = 0;
  c.subjects = runs;
  std::vector<fs::path> out;
  for (int s = 0; s < runs; ++s) {
    out.push_back(test::write_simulated_shard(
        dir / ("sub-0" + std::to_string(s + 1) + "_desc-preproc_timeseries.npy"), c, s, 0,
        "simulated subject " + std::to_string(s)));
  }
  return out;
}

fs::path model_yaml(const fs::path& dir, int epochs) {
  const fs::path p = dir / "model.yaml";
  write_file_atomic(
      p, "model:\n  channels: [8, 8]\n  kernel_size: 5\noptimizer:\n  learning_rate: 0.02\n"
         "train:\n  batch_size: 32\n  epochs: " +
             std::to_string(epochs) + "\n");
  return p;
}

/// The training objective of a checkpoint over every voxel of `shards`.
double evaluate(const fs::path& checkpoint, const std::vector<fs::path>& shards) {
  auto ck = model::load_checkpoint(checkpoint);
  torch::NoGradGuard no_grad;
  double sum = 0;
  std::int64_t n = 0;
  for (const auto& s : shards) {
    io::ShardReader r(s);
    auto all = r.read_all();
    auto x = torch::from_blob(all.data(), {r.info().n_voxels, 1, r.info().n_timepoints},
                              torch::kFloat32);
    const auto out = ck.model->forward(x);
    sum += model::autoencoder_loss(out, x, ck.config).item<double>() *
           static_cast<double>(r.info().n_voxels);
    n += r.info().n_voxels;
  }
  return sum / static_cast<double>(n);
}

std::string quote(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += "'" + a + "' ";
  return s;
}

/// An executable of bin_dir() started in the background in its own process group (stderr to
/// `log`), with `env` ("NAME=value") added to its environment.
pid_t start_process(const std::string& exe, const std::vector<std::string>& args,
                    const fs::path& log, const std::vector<std::string>& env = {}) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<std::string> all{(test::bin_dir() / exe).string()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::freopen(log.c_str(), "w", stderr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Its exit code; a job still running after `timeout_s` is killed with all its processes (-1).
pid_t start_train(const std::vector<std::string>& args, const fs::path& log) {
  return start_process("dcae-train", args, log);
}

int wait_exit(pid_t pid, double timeout_s = 150) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(timeout_s));
  int st = 0;
  while (::waitpid(pid, &st, WNOHANG) == 0) {
    if (Clock::now() > until) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      ADD_FAILURE() << "the job did not finish within " << timeout_s << " s";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/// dcae-train with `args`, stderr to `log`; returns its exit code.
int dcae_train(const std::vector<std::string>& args, const fs::path& log) {
  return wait_exit(start_train(args, log));
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Waits until `log` matches `re`; returns the first capture group.
std::string wait_for_log(const fs::path& log, const std::string& re, double timeout_s = 60) {
  const std::regex r(re);
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(timeout_s));
  while (Clock::now() < until) {
    std::smatch m;
    const std::string text = slurp(log);
    if (std::regex_search(text, m, r)) return m.size() > 1 ? m[1].str() : m[0].str();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "log " << log << " never matched " << re << ":\n" << slurp(log);
  return {};
}

/// `count` of the coordinator's status (the port from the job's log), or -1 when the server
/// does not answer.
template <typename Count>
std::int64_t coordinator_count(const fs::path& out, const std::string& port, Count&& count) {
  ps::ClientOptions o;
  o.servers = {"127.0.0.1:" + port};
  o.token = slurp(out / "dist" / "token");
  o.token.erase(o.token.find_last_not_of("\n") + 1);
  o.observer = true;
  o.retry_budget_s = 2;
  try {
    ps::Client c(o);
    return count(ps::TaskClient(c).status());
  } catch (const std::exception&) {
    return -1;
  }
}

/// Waits (up to 60 s) until `count` of the coordinator's status reaches `n`.
template <typename Count>
void wait_for_count(const fs::path& out, const fs::path& log, std::int64_t n, Count&& count) {
  const std::string port =
      wait_for_log(log, R"(dcae-ps: parameter server: .* on 127\.0\.0\.1:(\d+))");
  const auto until = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < until && coordinator_count(out, port, count) < n)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

/// Waits until `n` workers have each completed a partition: past the warm-up, all of them are
/// in the lease loop (a worker killed then holds a lease, or is about to take one).
void wait_for_active_workers(const fs::path& out, const fs::path& log, std::int64_t n) {
  wait_for_count(out, log, n, [](const ps::ServerStatus& s) {
    std::int64_t active = 0;
    for (const auto& [id, done] : s.coordination.partitions_by_worker) active += done > 0 ? 1 : 0;
    return active;
  });
}

/// Waits until the coordinator has `n` completed partitions.
void wait_for_partitions(const fs::path& out, const fs::path& log, std::int64_t n) {
  wait_for_count(out, log, n,
                 [](const ps::ServerStatus& s) { return s.coordination.partitions_completed; });
}

/// Waits until the coordinator has written `n` checkpoints.
void wait_for_checkpoints(const fs::path& out, const fs::path& log, std::int64_t n) {
  wait_for_count(out, log, n, [](const ps::ServerStatus& s) { return s.checkpoints_written; });
}

nlohmann::json summary(const fs::path& out) {
  return nlohmann::json::parse(slurp(out / "dist.json"));
}

class DistTrain : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    shards_ = simulated_shards(dir_->path(), 3);
    yaml_ = model_yaml(dir_->path(), kEpochs);
    // The reference: single-machine training, same configuration.
    ASSERT_EQ(dcae_train({"--nthreads", "1", "--model-config", yaml_.string(), "-o",
                          (dir_->path() / "single").string(), shards_[0].string(),
                          shards_[1].string(), shards_[2].string()},
                         dir_->path() / "single.log"),
              0)
        << slurp(dir_->path() / "single.log");
    single_loss_ = evaluate(dir_->path() / "single" / "model.pt", shards_);
    // The untrained model (the seeded initial values every worker starts from).
    const auto cfg = model::load_model_config(yaml_);
    torch::manual_seed(cfg.seed);
    model::Autoencoder initial(cfg, io::read_shard_info(shards_[0]).n_timepoints);
    model::save_model_checkpoint(dir_->path() / "initial.pt", cfg,
                                 io::read_shard_info(shards_[0]).n_timepoints, initial, {}, 0, 0.0);
    initial_loss_ = evaluate(dir_->path() / "initial.pt", shards_);
    std::cerr << "untrained loss " << initial_loss_ << ", single-machine loss " << single_loss_
              << "\n";
    ASSERT_LT(single_loss_, 0.8 * initial_loss_)
        << "the reference run must learn for the comparisons to mean anything";
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::vector<std::string> dist_args(const fs::path& out, int workers,
                                            std::vector<std::string> extra = {}) {
    std::vector<std::string> a{"--workers",
                               std::to_string(workers),
                               "--nthreads",
                               std::to_string(workers),
                               "--block-rows",
                               "400",
                               "--warmup-steps",
                               "20",
                               "--lease-timeout",
                               "2",
                               "--ps-checkpoint-every",
                               "0.2",
                               "--model-config",
                               yaml_.string(),
                               "-o",
                               out.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    for (const auto& s : shards_) a.push_back(s.string());
    return a;
  }
  static void kill_the_server_and_finish(const std::string& name,
                                         const std::vector<std::string>& extra);
  static void expect_complete(const nlohmann::json& j) {
    EXPECT_EQ(j.at("partitions_completed").get<std::int64_t>(),
              kEpochs * j.at("partitions_per_epoch").get<std::int64_t>())
        << "every partition of every epoch is completed";
    EXPECT_TRUE(j.at("warmup_done").get<bool>());
  }
  static constexpr int kEpochs = 4;
  static test::TempDir* dir_;
  static std::vector<fs::path> shards_;
  static fs::path yaml_;
  static double single_loss_;
  static double initial_loss_;
};
test::TempDir* DistTrain::dir_ = nullptr;
std::vector<fs::path> DistTrain::shards_;
fs::path DistTrain::yaml_;
double DistTrain::single_loss_ = 0;
double DistTrain::initial_loss_ = 0;

TEST_F(DistTrain, OneServerTwoWorkersReachTheSingleMachineLoss) {
  const fs::path out = dir_->path() / "d1x2";
  const auto t0 = Clock::now();
  ASSERT_EQ(dcae_train(dist_args(out, 2), dir_->path() / "d1x2.log"), 0)
      << slurp(dir_->path() / "d1x2.log");
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double loss = evaluate(out / "model.pt", shards_);
  std::cerr << "1 server, 2 workers: loss " << loss << " (single machine " << single_loss_ << "), "
            << wall << " s\n";
  EXPECT_LE(loss, single_loss_ * 1.05);
  const auto j = summary(out);
  expect_complete(j);
  EXPECT_EQ(j.at("servers").size(), 1U);
  EXPECT_EQ(j.at("partitions_by_worker").size(), 2U) << "both workers trained";
  EXPECT_EQ(j.at("leases_expired").get<int>(), 0);
  // The final model is a standard checkpoint: dcae-encode reads it.
  const std::string enc =
      quote({(test::bin_dir() / "dcae-encode").string(), "-q", "-m", (out / "model.pt").string(),
             "-o", (out / "features").string(), shards_[0].string()});
  ASSERT_EQ(std::system(enc.c_str()), 0);
  io::ShardReader feat(out / "features" / "sub-01_desc-features_timeseries.npy");
  EXPECT_EQ(feat.info().n_voxels, io::read_shard_info(shards_[0]).n_voxels);
  // Nothing half-written is left: no temporary files beside the outputs.
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
}

TEST_F(DistTrain, TwoServersThreeWorkersReachTheSingleMachineLoss) {
  const fs::path out = dir_->path() / "d2x3";
  ASSERT_EQ(dcae_train(dist_args(out, 3, {"--servers", "2"}), dir_->path() / "d2x3.log"), 0)
      << slurp(dir_->path() / "d2x3.log");
  const double loss = evaluate(out / "model.pt", shards_);
  std::cerr << "2 servers, 3 workers: loss " << loss << " (single machine " << single_loss_
            << ")\n";
  EXPECT_LE(loss, single_loss_ * 1.05);
  const auto j = summary(out);
  expect_complete(j);
  ASSERT_EQ(j.at("servers").size(), 2U);
  for (const auto& s : j.at("servers")) EXPECT_GT(s.at("pushes_applied").get<std::int64_t>(), 0);
}

TEST_F(DistTrain, WorkersThatExchangeWhileTheyComputeReachTheSingleMachineLoss) {
  // --overlap: each worker pushes and fetches on a background thread while it computes its
  // next steps, so its model lags the servers by one exchange more.
  const fs::path out = dir_->path() / "overlap";
  const fs::path log = dir_->path() / "overlap.log";
  ASSERT_EQ(dcae_train(dist_args(out, 2, {"--overlap"}), log), 0) << slurp(log);
  const double loss = evaluate(out / "model.pt", shards_);
  std::cerr << "1 server, 2 workers, --overlap: loss " << loss << " (single machine "
            << single_loss_ << ")\n";
  EXPECT_LE(loss, single_loss_ * 1.05);
  const auto j = summary(out);
  expect_complete(j);
  EXPECT_TRUE(j.at("overlap").get<bool>());
  EXPECT_EQ(j.at("partitions_by_worker").size(), 2U) << "both workers trained";
  const std::string text = slurp(log);
  std::size_t background = 0;
  for (std::size_t at = text.find("(in the background)"); at != std::string::npos;
       at = text.find("(in the background)", at + 1)) {
    ++background;
  }
  EXPECT_EQ(background, 2U) << "both workers report their exchanges as run in the background\n"
                            << text;
}

TEST_F(DistTrain, KillingOneOfThreeWorkersLosesNoPartition) {
  const fs::path ref = dir_->path() / "undisturbed";
  ASSERT_EQ(dcae_train(dist_args(ref, 3), dir_->path() / "undisturbed.log"), 0);
  const double undisturbed = evaluate(ref / "model.pt", shards_);

  const fs::path out = dir_->path() / "killed-worker";
  const fs::path log = dir_->path() / "killed-worker.log";
  const pid_t job = start_train(dist_args(out, 3), log);
  const std::string victim = wait_for_log(log, R"(worker 1 started \(pid (\d+)\))");
  // Not during the warm-up (a waiting worker holds no lease): once every worker trains.
  wait_for_active_workers(out, log, 3);
  ASSERT_FALSE(victim.empty());
  ASSERT_EQ(::kill(std::stoi(victim), SIGKILL), 0);
  ASSERT_EQ(wait_exit(job), 0) << slurp(log);
  const double loss = evaluate(out / "model.pt", shards_);
  std::cerr << "kill -9 of a worker: loss " << loss << ", undisturbed " << undisturbed << "\n";
  EXPECT_LE(std::abs(loss - undisturbed), 0.10 * undisturbed);
  const auto j = summary(out);
  expect_complete(j);
  EXPECT_GE(j.at("leases_expired").get<int>(), 1) << "the killed worker held a lease";
  EXPECT_GE(j.at("requeued_completed_by_other").get<int>(), 1)
      << "another worker trained its partition";
  EXPECT_EQ(j.at("workers_failed").get<int>(), 1);
  bool seen = false;
  for (const auto& e : j.at("worker_exits")) seen |= e.at("signal").get<int>() == SIGKILL;
  EXPECT_TRUE(seen);
}

// kill -9 of the server in the middle of a run: the launcher restarts it from its last
// checkpoint, the workers reconnect with backoff, and the job completes.
void DistTrain::kill_the_server_and_finish(const std::string& name,
                                           const std::vector<std::string>& extra) {
  const fs::path out = dir_->path() / name;
  const fs::path log = dir_->path() / (name + ".log");
  const pid_t job = start_train(dist_args(out, 2, extra), log);
  const std::string victim = wait_for_log(log, R"(server 0 started \(pid (\d+)\))");
  wait_for_partitions(out, log, 6);
  // One periodic checkpoint past the one written at initialization, then at once: the job
  // still has most of its partitions ahead (a fixed sleep could outlast a fast machine's run).
  wait_for_checkpoints(out, log, 2);
  ASSERT_EQ(::kill(std::stoi(victim), SIGKILL), 0);
  ASSERT_EQ(wait_exit(job), 0) << slurp(log);
  const std::string text = slurp(log);
  EXPECT_NE(text.find("restarting it"), std::string::npos);
  EXPECT_NE(text.find("resumed from"), std::string::npos);
  const double loss = evaluate(out / "model.pt", shards_);
  std::cerr << "kill -9 of the server: loss " << loss << " (single machine " << single_loss_
            << ")\n";
  EXPECT_LE(loss, single_loss_ * 1.10);
  const auto j = summary(out);
  expect_complete(j);
  EXPECT_EQ(j.at("server_restarts").get<int>(), 1);
  EXPECT_TRUE(j.at("servers")[0].at("resumed").get<bool>());
  EXPECT_EQ(j.at("workers_failed").get<int>(), 0) << "the workers reconnected";
}

TEST_F(DistTrain, KillingTheServerRestartsItFromItsCheckpoint) {
  kill_the_server_and_finish("killed-server", {});
}

TEST_F(DistTrain, KillingTheServerWhileWorkersExchangeInTheBackgroundRestartsIt) {
  // The workers' exchange threads meet the dead server and retry; the models keep computing.
  kill_the_server_and_finish("killed-server-overlap", {"--overlap"});
}

TEST_F(DistTrain, TheSynchronousGlooBaselineTakesTheStepsOfOneProcessWithDoubleBatches) {
  const fs::path out = dir_->path() / "sync";
  ASSERT_EQ(dcae_train({"--workers", "2", "--sync", "--nthreads", "2", "--model-config",
                        yaml_.string(), "-o", out.string(), shards_[0].string(),
                        shards_[1].string(), shards_[2].string()},
                       dir_->path() / "sync.log"),
            0)
      << slurp(dir_->path() / "sync.log");
  const double loss = evaluate(out / "model.pt", shards_);
  // Two ranks averaging the gradients of batches 2i and 2i+1 of the same seeded order take the
  // steps of one process with batches twice as large: compare with that run.
  const fs::path yaml2 = dir_->path() / "model-batch64.yaml";
  write_file_atomic(
      yaml2, "model:\n  channels: [8, 8]\n  kernel_size: 5\noptimizer:\n  learning_rate: 0.02\n"
             "train:\n  batch_size: 64\n  epochs: " +
                 std::to_string(kEpochs) + "\n");
  ASSERT_EQ(dcae_train({"--nthreads", "1", "--model-config", yaml2.string(), "-o",
                        (dir_->path() / "single64").string(), shards_[0].string(),
                        shards_[1].string(), shards_[2].string()},
                       dir_->path() / "single64.log"),
            0);
  const double single64 = evaluate(dir_->path() / "single64" / "model.pt", shards_);
  std::cerr << "--sync, 2 workers (c10d Gloo): loss " << loss
            << "; one process with batches of 2 x 32: " << single64 << "\n";
  EXPECT_NEAR(loss, single64, 0.02 * single64);
  EXPECT_LT(loss, 0.8 * initial_loss_);
  const auto j = summary(out);
  EXPECT_EQ(j.at("mode").get<std::string>(), "sync");
  EXPECT_EQ(j.at("backend").get<std::string>(), "c10d ProcessGroupGloo");
}

TEST_F(DistTrain, RolesStartedByHandWriteTheModel) {
  // The manual launcher's roles: dcae-ps and two dcae-worker processes started by hand, the
  // token from a file for one worker and from DCAE_PS_TOKEN for the other.
  const fs::path out = dir_->path() / "manual";
  fs::create_directories(out);
  const std::string token = "manual-token-0123456789";
  test::put(out / "token", token + "\n");
  const pid_t ps = start_process("dcae-ps",
                                 {"--listen", "127.0.0.1:0", "--port-file", (out / "port").string(),
                                  "--token-file", (out / "token").string(), "--checkpoint",
                                  (out / "ps.ckpt").string()},
                                 out / "ps.log");
  const auto until = Clock::now() + std::chrono::seconds(30);
  while (!fs::exists(out / "port") && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(out / "port")) << slurp(out / "ps.log");
  const std::string address =
      "127.0.0.1:" + slurp(out / "port").substr(0, slurp(out / "port").find('\n'));
  std::vector<std::string> common{"--ps",         address, "--model-config", yaml_.string(),
                                  "--block-rows", "400",   "--nthreads",     "1"};
  for (const auto& s : shards_) common.push_back(s.string());
  auto w0 = common, w1 = common;
  w0.insert(w0.end(), {"--token-file", (out / "token").string(), "--output-dir", out.string()});
  w1.insert(w1.end(), {"--rank", "1"});
  const pid_t a = start_process("dcae-worker", w0, out / "w0.log");
  const pid_t b = start_process("dcae-worker", w1, out / "w1.log", {"DCAE_PS_TOKEN=" + token});
  EXPECT_EQ(wait_exit(a), 0) << slurp(out / "w0.log");
  EXPECT_EQ(wait_exit(b), 0) << slurp(out / "w1.log");
  ASSERT_EQ(::kill(ps, SIGTERM), 0);
  EXPECT_EQ(wait_exit(ps, 20), 0) << slurp(out / "ps.log");
  EXPECT_TRUE(fs::exists(out / "ps.ckpt")) << "the server checkpoints when it is stopped";
  const double loss = evaluate(out / "model.pt", shards_);
  std::cerr << "manual roles, 2 workers: loss " << loss << " (single machine " << single_loss_
            << ")\n";
  EXPECT_LE(loss, single_loss_ * 1.05);
  expect_complete(summary(out));
  // A worker without any token is a usage error naming both ways to give one.
  const pid_t c = start_process("dcae-worker", common, out / "w2.log");
  EXPECT_EQ(wait_exit(c), 2);
  EXPECT_NE(slurp(out / "w2.log").find("DCAE_PS_TOKEN"), std::string::npos)
      << slurp(out / "w2.log");
}

/// Whether process `pid` is gone (or a zombie nobody has reaped yet).
bool gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return true;
  const auto close = text.rfind(')');
  return close == std::string::npos || text.substr(close + 2, 1) == "Z";
}

TEST_F(DistTrain, AKilledLauncherTakesItsProcessesWithItAndTheJobResumes) {
  // kill -9 of dcae-train itself (not of its process group): its servers and workers get
  // SIGTERM from the kernel (the servers checkpoint on it); dcae-train --resume continues from
  // those checkpoints and completes the job.
  const fs::path out = dir_->path() / "killed-launcher";
  const fs::path log = dir_->path() / "killed-launcher.log";
  const pid_t job = start_train(dist_args(out, 2), log);
  std::vector<pid_t> children;
  for (const char* role : {"server 0", "worker 0", "worker 1"})
    children.push_back(
        std::stoi(wait_for_log(log, std::string(role) + R"( started \(pid (\d+)\))")));
  wait_for_active_workers(out, log, 2);
  wait_for_partitions(out, log, 6);
  ASSERT_EQ(::kill(job, SIGKILL), 0);
  int st = 0;
  ::waitpid(job, &st, 0);
  const auto until = Clock::now() + std::chrono::seconds(15);
  auto all_gone = [&] {
    for (const pid_t c : children)
      if (!gone(c)) return false;
    return true;
  };
  while (!all_gone() && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (const pid_t c : children) {
    EXPECT_TRUE(gone(c)) << "process " << c << " outlived its launcher";
    if (!gone(c)) ::kill(c, SIGKILL);
  }
  ASSERT_TRUE(fs::exists(out / "dist" / "ps-0.ckpt")) << "the server checkpointed as it stopped";
  ASSERT_FALSE(fs::exists(out / "model.pt"));

  const fs::path relog = dir_->path() / "resumed-launcher.log";
  ASSERT_EQ(dcae_train(dist_args(out, 2, {"--resume"}), relog), 0) << slurp(relog);
  EXPECT_NE(slurp(relog).find("continue from their checkpoints"), std::string::npos)
      << slurp(relog);
  const auto j = summary(out);
  expect_complete(j);
  EXPECT_TRUE(j.at("servers")[0].at("resumed").get<bool>());
  EXPECT_GE(j.at("partitions_by_worker").size(), 3U)
      << "the first run's workers completed partitions too";
  const double loss = evaluate(out / "model.pt", shards_);
  std::cerr << "kill -9 of the launcher, then --resume: loss " << loss << " (single machine "
            << single_loss_ << ")\n";
  EXPECT_LE(loss, single_loss_ * 1.10);
}

TEST_F(DistTrain, MaxStepsStopsAsynchronousTraining) {
  const fs::path out = dir_->path() / "max-steps";
  const fs::path log = dir_->path() / "max-steps.log";
  ASSERT_EQ(dcae_train(dist_args(out, 2, {"--max-steps", "40"}), log), 0) << slurp(log);
  const auto j = summary(out);
  EXPECT_EQ(j.at("stop_reason").get<std::string>(), "max_steps");
  const auto steps = j.at("steps").get<std::int64_t>();
  // Each worker finishes the partition it holds: at most ceil(400 / 32) = 13 steps each more.
  EXPECT_GE(steps, 40);
  EXPECT_LE(steps, 40 + 2 * 13);
  EXPECT_LT(j.at("partitions_completed").get<std::int64_t>(),
            kEpochs * j.at("partitions_per_epoch").get<std::int64_t>());
}

TEST_F(DistTrain, TheLauncherRunsItsJobOverTls) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "openssl not installed";
  const fs::path out = dir_->path() / "tls";
  fs::create_directories(out);
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "
      "subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      (out / "key.pem").string() + " -out " + (out / "cert.pem").string() + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const fs::path log = dir_->path() / "tls.log";
  ASSERT_EQ(
      dcae_train(dist_args(out, 2,
                           {"--tls-cert", (out / "cert.pem").string(), "--tls-key",
                            (out / "key.pem").string(), "--tls-ca", (out / "cert.pem").string()}),
                 log),
      0)
      << slurp(log);
  expect_complete(summary(out));
  EXPECT_NE(slurp(log).find("TLS"), std::string::npos) << "the servers say they serve TLS";
  EXPECT_LE(evaluate(out / "model.pt", shards_), single_loss_ * 1.05);
}

TEST_F(DistTrain, BadJobsAreClearErrors) {
  const fs::path out = dir_->path() / "bad";
  EXPECT_EQ(dcae_train({"--workers", "2", "--servers", "3", "--ps-shards", "2", "-o", out.string(),
                        shards_[0].string()},
                       dir_->path() / "bad.log"),
            2);
  EXPECT_NE(slurp(dir_->path() / "bad.log").find("--ps-shards"), std::string::npos)
      << slurp(dir_->path() / "bad.log");
  // TLS halves: a certificate without its key, a server certificate the workers cannot check.
  EXPECT_EQ(dcae_train({"--workers", "2", "--tls-cert", yaml_.string(), "-o", out.string(),
                        shards_[0].string()},
                       dir_->path() / "bad.log"),
            2);
  EXPECT_NE(slurp(dir_->path() / "bad.log").find("--tls-key"), std::string::npos);
  EXPECT_EQ(dcae_train({"--workers", "2", "--tls-cert", yaml_.string(), "--tls-key", yaml_.string(),
                        "-o", out.string(), shards_[0].string()},
                       dir_->path() / "bad.log"),
            2);
  EXPECT_NE(slurp(dir_->path() / "bad.log").find("--tls-ca"), std::string::npos);
  EXPECT_EQ(
      dcae_train({"--workers", "2", "-o", out.string(), (dir_->path() / "missing.npy").string()},
                 dir_->path() / "bad.log"),
      1);
  EXPECT_FALSE(fs::exists(out / "model.pt"));
}

} // namespace
} // namespace dcae::app
