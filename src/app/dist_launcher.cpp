#include "app/dist_launcher.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/dist_model.h"
#include "app/dist_worker.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "dist/client.h"
#include "dist/security.h"
#include "dist/server.h"
#include "io/shard.h"
#include "model/trainer.h"

extern char** environ;

namespace fs = std::filesystem;

namespace dcae::app {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int sig) { g_interrupted = sig; }

/// A child process of the job.
struct Child {
  std::string role;                 ///< "server 0", "worker 2"
  std::vector<std::string> argv;
  pid_t pid = -1;
  bool running = false;
  int restarts = 0;
  int exit_code = 0;                ///< when exited normally
  int signal = 0;                   ///< when killed
};

void spawn(Child& c) {
  std::vector<char*> argv;
  for (auto& a : c.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw runtime_error("cannot start " + c.argv[0] + " (" + c.role + "): " + std::strerror(rc));
  c.pid = pid;
  c.running = true;
  log::info(c.role, " started (pid ", pid, ")");
}

/// Whether `c` has exited (reaps it).
bool reap(Child& c) {
  if (!c.running) return true;
  int st = 0;
  const pid_t r = ::waitpid(c.pid, &st, WNOHANG);
  if (r == 0) return false;
  c.running = false;
  c.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  c.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  return true;
}

std::string describe_exit(const Child& c) {
  if (c.signal != 0) return "killed by signal " + std::to_string(c.signal);
  return "exit code " + std::to_string(c.exit_code);
}

/// Stops every child still running (TERM, then KILL after a grace period).
class ChildGroup {
 public:
  std::vector<Child> children;
  ~ChildGroup() { stop_all(3.0); }
  /// Waits up to `seconds` for every child to exit by itself.
  void wait_all(double seconds) {
    const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    for (auto& c : children) {
      while (c.running && !reap(c) && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  void stop_all(double grace_s) {
    for (auto& c : children) {
      if (c.running && !reap(c)) ::kill(c.pid, SIGTERM);
    }
    const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(grace_s));
    for (auto& c : children) {
      while (c.running && !reap(c) && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (c.running) {
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, nullptr, 0);
        c.running = false;
      }
    }
  }
};

/// A free TCP port on `host` (bound and released; the server binds it right after).
int free_port(const std::string& host) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw runtime_error("cannot open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    ::close(fd);
    throw usage_error("--host must be an IPv4 address for the local launcher, got '" + host + "'");
  }
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw runtime_error("cannot bind a port on " + host);
  }
  const int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

/// Writes the token readable by this user only (created 0600, then renamed into place).
void write_token_file(const fs::path& path, const std::string& token) {
  const fs::path tmp = path.string() + ".tmp";
  fs::remove(tmp);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  const std::string text = token + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) throw runtime_error("cannot write " + tmp.string());
  fs::rename(tmp, path);
}

fs::path default_bin_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw runtime_error("cannot locate this executable (/proc/self/exe) to find dcae-ps and dcae-worker");
  return exe.parent_path();
}

struct Plan {
  fs::path bin;
  fs::path token_file;
  std::vector<std::string> addresses;
  std::vector<std::vector<std::string>> server_argv;
  std::vector<std::vector<std::string>> worker_argv;
};

Plan make_plan(const model::ModelConfig&, const DistJob& job, const fs::path& model_yaml, const fs::path& token_file,
               const std::vector<int>& ports) {
  Plan p;
  p.bin = job.bin_dir.empty() ? default_bin_dir() : job.bin_dir;
  p.token_file = token_file;
  const int shards = job.num_shards > 0 ? job.num_shards : job.servers;
  for (int i = 0; i < job.servers; ++i) p.addresses.push_back(job.host + ":" + std::to_string(ports[static_cast<std::size_t>(i)]));
  for (int i = 0; i < job.servers; ++i) {
    std::vector<std::string> a{(p.bin / "dcae-ps").string(), "--listen", p.addresses[static_cast<std::size_t>(i)],
                               "--shards", std::to_string(shards), "--host-shards"};
    for (int s = i * shards / job.servers; s < (i + 1) * shards / job.servers; ++s) a.push_back(std::to_string(s));
    const fs::path ck = job.output_dir / "dist" / ("ps-" + std::to_string(i) + ".ckpt");
    for (const std::string& x : {std::string("--token-file"), token_file.string(), std::string("--checkpoint"), ck.string(),
                                 std::string("--checkpoint-every"), std::to_string(job.ps_checkpoint_every_s),
                                 std::string("--max-staleness"), std::to_string(job.max_staleness),
                                 std::string("--lease-timeout"), std::to_string(job.lease_timeout_s)}) {
      a.push_back(x);
    }
    if (log::level() < log::Level::kInfo) a.emplace_back("-q");
    p.server_argv.push_back(a);
  }
  for (int w = 0; w < job.workers; ++w) {
    std::vector<std::string> a{(p.bin / "dcae-worker").string()};
    for (const auto& addr : p.addresses) {
      a.push_back("--ps");
      a.push_back(addr);
    }
    for (const std::string& x : {std::string("--token-file"), token_file.string(), std::string("--model-config"),
                                 model_yaml.string(), std::string("--n-fetch"), std::to_string(job.n_fetch),
                                 std::string("--n-push"), std::to_string(job.n_push), std::string("--block-rows"),
                                 std::to_string(job.block_rows), std::string("--warmup-steps"),
                                 std::to_string(job.warmup_steps), std::string("--nthreads"),
                                 std::to_string(job.worker_threads), std::string("--device"), job.device,
                                 std::string("--rank"), std::to_string(w)}) {
      a.push_back(x);
    }
    if (job.fp16) a.emplace_back("--fp16");
    if (job.overlap) a.emplace_back("--overlap");
    if (log::level() < log::Level::kInfo) a.emplace_back("-q");
    for (const auto& s : job.shards) a.push_back(fs::absolute(s).string());
    p.worker_argv.push_back(a);
  }
  return p;
}

void check_job(const DistJob& job) {
  if (job.workers < 1) throw usage_error("--workers must be ≥ 1");
  if (job.servers < 1) throw usage_error("--servers must be ≥ 1");
  const int shards = job.num_shards > 0 ? job.num_shards : job.servers;
  if (shards < job.servers) throw usage_error("--ps-shards (" + std::to_string(shards) + ") must be ≥ --servers (" + std::to_string(job.servers) + ")");
  if (job.shards.empty()) throw usage_error("no shards to train on");
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

/// Waits for `path` to exist (written by another rank on a shared file system).
void wait_for_file(const fs::path& path, double timeout_s) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  while (!fs::exists(path)) {
    if (Clock::now() > until) throw runtime_error(path.string() + ": not written by rank 0 within " + std::to_string(timeout_s) + " s (is the output folder shared?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') throw usage_error(std::string("--launcher slurm: ") + name + " is not set (run under srun)");
  try {
    std::size_t used = 0;
    const int x = std::stoi(v, &used);
    if (used != std::strlen(v) || x < 0) throw std::invalid_argument(v);
    return x;
  } catch (const std::exception&) {
    throw usage_error(std::string("--launcher slurm: ") + name + "='" + v + "' is not a non-negative integer");
  }
}

}  // namespace

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
  if (first.empty() || depth < 0) throw usage_error("SLURM_JOB_NODELIST '" + list + "' is not a node list");
  if (open == std::string::npos) return first;
  const auto close = first.find(']', open);
  if (close == std::string::npos || close == open + 1) throw usage_error("SLURM_JOB_NODELIST '" + list + "' is not a node list");
  std::string range = first.substr(open + 1, close - open - 1);
  range = range.substr(0, range.find(','));
  const std::string lowest = range.substr(0, range.find('-'));
  if (lowest.empty() || lowest.find_first_not_of("0123456789") != std::string::npos) {
    throw usage_error("SLURM_JOB_NODELIST '" + list + "' is not a node list");
  }
  return first.substr(0, open) + lowest + first.substr(close + 1);
}

SlurmRanks slurm_ranks() {
  SlurmRanks r;
  r.rank = env_int("SLURM_PROCID");
  r.size = env_int("SLURM_NTASKS");
  const char* nodes = std::getenv("SLURM_JOB_NODELIST");
  if (nodes == nullptr || *nodes == '\0') throw usage_error("--launcher slurm: SLURM_JOB_NODELIST is not set (run under srun)");
  r.nodelist = nodes;
  r.first_node = first_slurm_node(r.nodelist);
  if (r.rank >= r.size) throw usage_error("--launcher slurm: SLURM_PROCID " + std::to_string(r.rank) + " ≥ SLURM_NTASKS " + std::to_string(r.size));
  return r;
}

void train_distributed_slurm(const model::ModelConfig& cfg, const DistJob& job, int port) {
  check_job(job);
  const SlurmRanks r = slurm_ranks();
  if (r.size < 2) throw usage_error("--launcher slurm needs at least 2 tasks (1 server + workers), SLURM_NTASKS is " + std::to_string(r.size));
  if (job.workers != r.size - 1) {
    throw usage_error("--workers " + std::to_string(job.workers) + " does not match SLURM_NTASKS " + std::to_string(r.size) +
                      " (rank 0 is the server, the other " + std::to_string(r.size - 1) + " ranks are workers)");
  }
  if (job.servers != 1) throw usage_error("--launcher slurm runs one server process (rank 0); --servers must be 1");
  const fs::path work = job.output_dir / "dist";
  const fs::path token_file = work / "token";
  std::string token;
  if (const char* env = std::getenv(dist::kTokenEnvVar); env != nullptr && *env != '\0') {
    token = dist::read_token({});
  } else if (r.rank == 0) {
    fs::create_directories(work);
    token = dist::generate_token();
    write_token_file(token_file, token);
  } else {
    wait_for_file(token_file, 120);
    token = dist::read_token(token_file);
  }
  const std::string address = r.first_node + ":" + std::to_string(port);
  log::info("slurm rank ", r.rank, " of ", r.size, " (nodes ", r.nodelist, "): ", r.rank == 0 ? "parameter server" : "worker",
            "; server at ", address);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  if (r.rank == 0) {
    const dist::PartitionPlan plan = partition_plan(cfg, job.shards, job.block_rows, job.warmup_steps);
    (void)plan;  // checked here, so that bad shards fail on rank 0 too
    const auto t0 = Clock::now();
    dist::ServerOptions so;
    so.listen = "0.0.0.0:" + std::to_string(port);
    so.num_shards = job.num_shards > 0 ? job.num_shards : 1;
    so.token = token;
    so.checkpoint = work / "ps-0.ckpt";
    so.checkpoint_every_s = job.ps_checkpoint_every_s;
    so.max_staleness = job.max_staleness;
    so.lease_timeout_s = job.lease_timeout_s;
    fs::create_directories(work);
    fs::remove(so.checkpoint);
    dist::ParameterServer server(so);
    server.start();
    log::warn("rank 0 listens on every interface (port ", port, "); every call needs the job's token");
    dist::ClientOptions co;
    co.servers = {"127.0.0.1:" + std::to_string(port)};
    co.token = token;
    co.observer = true;
    co.worker_name = "slurm rank 0";
    dist::PsClient monitor(co);
    while (true) {  // until the coordinator says the job is done
      const auto s = monitor.coordinator_status().coordination;
      if (s.finished) break;
      if (g_interrupted != 0) throw runtime_error("interrupted by signal " + std::to_string(g_interrupted));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    nlohmann::json extra;
    extra["launcher"] = "slurm";
    extra["workers"] = job.workers;
    extra["servers"] = 1;
    extra["nodelist"] = r.nodelist;
    extra["fp16"] = job.fp16;
    extra["overlap"] = job.overlap;
    extra["wall_s"] = std::chrono::duration<double>(Clock::now() - t0).count();
    write_distributed_result(cfg, job.shards, co, job.output_dir, extra.dump());
    // Let the workers see "done" before the server goes away.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    server.shutdown();
    return;
  }
  WorkerSettings w;
  w.client.servers = {address};
  w.client.token = token;
  w.client.fp16 = job.fp16;
  w.client.retry_budget_s = 120;
  w.client.worker_name = "slurm rank " + std::to_string(r.rank);
  w.config = cfg;
  w.shards = job.shards;
  w.n_fetch = job.n_fetch;
  w.n_push = job.n_push;
  w.block_rows = job.block_rows;
  w.warmup_steps = job.warmup_steps;
  w.overlap = job.overlap;
  w.device = job.device;
  run_worker(w);
}

void train_sync_local(const model::ModelConfig& cfg, const DistJob& job) {
  check_job(job);
  const auto t0 = Clock::now();
  for (const auto& s : job.shards) io::read_shard_info(s);  // bad shards fail here, before any process starts
  const fs::path work = job.output_dir / "dist";
  fs::create_directories(work);
  const fs::path rendezvous = work / "rendezvous";
  fs::remove(rendezvous);
  const fs::path model_yaml = job.output_dir / "model.yaml";
  write_file_atomic(model_yaml, model::to_yaml(cfg));
  const fs::path bin = job.bin_dir.empty() ? default_bin_dir() : job.bin_dir;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  ChildGroup group;
  for (int w = 0; w < job.workers; ++w) {
    std::vector<std::string> a{(bin / "dcae-worker").string(), "--sync", "--rank", std::to_string(w), "--world-size",
                               std::to_string(job.workers), "--rendezvous", rendezvous.string(), "--output-dir",
                               job.output_dir.string(), "--model-config", model_yaml.string(), "--nthreads",
                               std::to_string(job.worker_threads), "--device", job.device};
    if (log::level() < log::Level::kInfo) a.emplace_back("-q");
    for (const auto& s : job.shards) a.push_back(fs::absolute(s).string());
    group.children.push_back({"sync worker " + std::to_string(w), a});
  }
  for (auto& c : group.children) spawn(c);
  while (true) {
    bool left = false;
    for (auto& c : group.children) {
      if (!c.running) continue;
      if (!reap(c)) {
        left = true;
        continue;
      }
      if (c.exit_code != 0 || c.signal != 0) {
        throw runtime_error(c.role + " failed (" + describe_exit(c) + "): synchronous training cannot continue without it");
      }
    }
    if (!left) break;
    if (g_interrupted != 0) throw runtime_error("interrupted by signal " + std::to_string(g_interrupted) + "; stopping the job");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  nlohmann::json j;
  j["launcher"] = "local";
  j["mode"] = "sync";
  j["backend"] = "c10d ProcessGroupGloo";
  j["workers"] = job.workers;
  j["wall_s"] = std::chrono::duration<double>(Clock::now() - t0).count();
  write_file_atomic(job.output_dir / "dist.json", j.dump(2) + "\n");
  fs::remove(rendezvous);
}

std::vector<std::string> manual_commands(const model::ModelConfig& config, const DistJob& job, const fs::path& model_yaml,
                                         const fs::path& token_file) {
  check_job(job);
  fs::create_directories(token_file.parent_path());
  write_token_file(token_file, dist::generate_token());
  std::vector<int> ports;
  for (int i = 0; i < job.servers; ++i) ports.push_back(50051 + i);
  const Plan p = make_plan(config, job, model_yaml, token_file, ports);
  std::vector<std::string> out;
  for (const auto& a : p.server_argv) out.push_back(join(a));
  for (std::size_t w = 0; w < p.worker_argv.size(); ++w) {
    auto a = p.worker_argv[w];
    if (w == 0) {  // writes model.pt, loss.tsv and dist.json when the job is done
      a.insert(a.begin() + 1, {"--output-dir", job.output_dir.string()});
    }
    out.push_back(join(a));
  }
  return out;
}

void write_distributed_result(const model::ModelConfig& cfg, const std::vector<fs::path>& shards, dist::ClientOptions co,
                              const fs::path& out, const std::string& extra_json) {
  const std::vector<std::string> servers = co.servers;
  co.worker_name = "final model";
  co.observer = true;
  co.fp16 = false;  // the final model travels in full precision
  dist::PsClient client(co);
  client.connect();
  const dist::ServerStatus st = client.coordinator_status();
  const auto& c = st.coordination;
  if (!c.finished) {
    throw runtime_error("the job did not finish: " + std::to_string(c.partitions_completed) + " partitions completed (" +
                        std::to_string(c.partitions_per_epoch) + " per epoch)");
  }
  const std::int64_t t = io::read_shard_info(shards.at(0)).n_timepoints;
  torch::manual_seed(cfg.seed);
  model::Autoencoder net(cfg, t);
  ModelBinding binding(net);
  if (binding.size() != client.total_size()) {
    throw runtime_error("the servers hold " + std::to_string(client.total_size()) + " parameters, the model has " +
                        std::to_string(binding.size()));
  }
  std::vector<float> params(static_cast<std::size_t>(binding.size())), accum(params.size());
  client.fetch(params.data(), accum.data());
  binding.write_parameters(params.data());
  const std::int64_t step = st.versions.empty() ? 0 : st.versions.front();
  const double last_loss = c.epoch_losses.empty() ? 0.0 : c.epoch_losses.rbegin()->second.first;
  model::save_model_checkpoint(out / "model.pt", cfg, t, net, binding.split(accum.data()), step, last_loss);

  std::ostringstream tsv;
  tsv << "epoch\tloss\n";
  for (const auto& [e, v] : c.epoch_losses) tsv << e << '\t' << v.first << '\n';
  write_file_atomic(out / "loss.tsv", tsv.str());

  nlohmann::json j = extra_json.empty() ? nlohmann::json::object() : nlohmann::json::parse(extra_json);
  j["parameters"] = binding.size();
  j["updates"] = step;
  j["partitions_per_epoch"] = c.partitions_per_epoch;
  j["partitions_completed"] = c.partitions_completed;
  j["leases_expired"] = c.leases_expired;
  j["requeued_completed_by_other"] = c.requeued_completed_by_other;
  j["warmup_done"] = c.warmup_done;
  nlohmann::json by_worker = nlohmann::json::object();
  for (const auto& [w, n] : c.partitions_by_worker) by_worker[std::to_string(w)] = n;
  j["partitions_by_worker"] = by_worker;
  nlohmann::json losses = nlohmann::json::array();
  for (const auto& [e, v] : c.epoch_losses) losses.push_back({{"epoch", e}, {"mean_loss", v.first}});
  j["epoch_losses"] = losses;
  j["last_epoch_loss"] = last_loss;
  nlohmann::json srv = nlohmann::json::array();
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const auto s = client.status(i);
    srv.push_back({{"address", servers[i]}, {"shards", s.shards}, {"versions", s.versions},
                   {"pushes_applied", s.pushes_applied}, {"pushes_stale", s.pushes_stale},
                   {"pushes_refused", s.pushes_refused}, {"calls_unauthenticated", s.calls_unauthenticated},
                   {"bytes_received", s.bytes_received}, {"bytes_sent", s.bytes_sent},
                   {"checkpoints_written", s.checkpoints_written}, {"resumed", s.resumed}});
  }
  j["servers"] = srv;
  write_file_atomic(out / "dist.json", j.dump(2) + "\n");
  log::info("distributed training done: ", c.partitions_completed, " partitions, ", step, " updates, last epoch loss ",
            last_loss, "; model ", (out / "model.pt").string());
}

void train_distributed_local(const model::ModelConfig& cfg, const DistJob& job) {
  check_job(job);
  const auto t0 = Clock::now();
  const dist::PartitionPlan plan = partition_plan(cfg, job.shards, job.block_rows, job.warmup_steps);
  const fs::path work = job.output_dir / "dist";
  fs::create_directories(work);
  for (const auto& e : fs::directory_iterator(work)) {
    if (e.path().extension() == ".ckpt") fs::remove(e.path());  // a new job never resumes an old one's servers
  }
  const std::string token = dist::generate_token();
  const fs::path token_file = work / "token";
  write_token_file(token_file, token);
  const fs::path model_yaml = job.output_dir / "model.yaml";
  write_file_atomic(model_yaml, model::to_yaml(cfg));
  std::vector<int> ports;
  for (int i = 0; i < job.servers; ++i) ports.push_back(free_port(job.host));
  const Plan p = make_plan(cfg, job, model_yaml, token_file, ports);
  for (const auto* exe : {"dcae-ps", "dcae-worker"}) {
    if (::access((p.bin / exe).c_str(), X_OK) != 0) throw runtime_error((p.bin / exe).string() + ": not found (needed by --workers)");
  }

  // SIGINT/SIGTERM stop the job cleanly: the children are stopped by ChildGroup's destructor.
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  ChildGroup group;
  for (int i = 0; i < job.servers; ++i) group.children.push_back({"server " + std::to_string(i), p.server_argv[static_cast<std::size_t>(i)]});
  for (int w = 0; w < job.workers; ++w) group.children.push_back({"worker " + std::to_string(w), p.worker_argv[static_cast<std::size_t>(w)]});
  for (auto& c : group.children) spawn(c);
  log::info("local launcher: ", job.servers, " server(s), ", job.workers, " worker(s) on ", job.host, "; ",
            plan.run_rows.size(), " run(s), ", plan.epochs, " epoch(s)");

  dist::ClientOptions mo;
  mo.servers = p.addresses;
  mo.token = token;
  mo.retry_budget_s = 0.5;
  mo.call_timeout_s = 5;
  mo.worker_name = "launcher-monitor";
  mo.observer = true;
  std::unique_ptr<ProgressBar> bar;
  std::int64_t shown = 0;
  auto last_poll = Clock::now();
  int failed_workers = 0, ok_workers = 0;
  nlohmann::json worker_exits = nlohmann::json::array();
  int server_restarts = 0;
  while (true) {
    bool workers_left = false;
    for (auto& c : group.children) {
      const bool server = c.role.rfind("server", 0) == 0;
      if (!c.running) continue;
      if (!reap(c)) {
        if (!server) workers_left = true;
        continue;
      }
      if (server) {
        if (++c.restarts > job.max_server_restarts) {
          throw runtime_error(c.role + " died " + std::to_string(c.restarts) + " times (" + describe_exit(c) + "); giving up");
        }
        ++server_restarts;
        log::warn(c.role, " died (", describe_exit(c), "); restarting it: it resumes from its checkpoint");
        spawn(c);
      } else {
        (c.exit_code == 0 && c.signal == 0 ? ok_workers : failed_workers)++;
        worker_exits.push_back({{"worker", c.role}, {"pid", c.pid}, {"exit_code", c.exit_code}, {"signal", c.signal}});
        if (c.exit_code != 0 || c.signal != 0) {
          log::warn(c.role, " (pid ", c.pid, ") died (", describe_exit(c), "): its partitions go back to the queue when its lease expires");
        }
      }
    }
    if (!workers_left) break;
    if (g_interrupted != 0) throw runtime_error("interrupted by signal " + std::to_string(g_interrupted) + "; stopping the job");
    if (Clock::now() - last_poll > std::chrono::seconds(1)) {
      last_poll = Clock::now();
      try {
        dist::PsClient monitor(mo);
        monitor.connect();
        const auto s = monitor.coordinator_status().coordination;
        if (!bar && s.partitions_per_epoch > 0) {
          bar = std::make_unique<ProgressBar>("distributed training", static_cast<std::uint64_t>(plan.epochs * s.partitions_per_epoch),
                                              "partitions");
        }
        if (bar && s.partitions_completed > shown) {
          bar->advance(static_cast<std::uint64_t>(s.partitions_completed - shown));
          shown = s.partitions_completed;
        }
      } catch (const std::exception& e) {
        log::debug("progress: ", e.what());
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (bar) bar->finish();
  if (ok_workers == 0) throw runtime_error("every worker failed (" + std::to_string(failed_workers) + "); see the log above");

  nlohmann::json extra;
  extra["launcher"] = "local";
  extra["workers"] = job.workers;
  extra["servers"] = job.servers;
  extra["shards"] = job.num_shards > 0 ? job.num_shards : job.servers;
  extra["n_fetch"] = job.n_fetch;
  extra["n_push"] = job.n_push;
  extra["warmup_steps"] = job.warmup_steps;
  extra["fp16"] = job.fp16;
  extra["overlap"] = job.overlap;
  extra["worker_exits"] = worker_exits;
  extra["workers_failed"] = failed_workers;
  extra["server_restarts"] = server_restarts;
  extra["wall_s"] = std::chrono::duration<double>(Clock::now() - t0).count();
  dist::ClientOptions rc;
  rc.servers = p.addresses;
  rc.token = token;
  write_distributed_result(cfg, job.shards, rc, job.output_dir, extra.dump());

  dist::ClientOptions so = mo;
  so.retry_budget_s = 5;
  try {
    dist::PsClient stopper(so);
    stopper.shutdown_servers(true);
  } catch (const std::exception& e) {
    log::warn("stopping the servers: ", e.what());
  }
  group.wait_all(10.0);
  group.stop_all(3.0);
}

}  // namespace dcae::app
