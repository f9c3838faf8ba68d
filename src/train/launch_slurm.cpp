// The SLURM launcher: this process's rank of a job started by srun.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/process.h"
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

/// The full path of `name` on PATH, or empty.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path p = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

/// What `argv` prints on stdout (stderr dropped), or empty when it fails.
std::string output_of(const std::vector<std::string>& argv) {
  FILE* f = ::popen((quote_command(argv) + " 2>/dev/null").c_str(), "r");
  if (f == nullptr) return {};
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
  return ::pclose(f) == 0 ? out : std::string();
}

/// The address other nodes reach this node at: its NodeAddr (scontrol show node, when that is
/// an address or a name other than the node's own), else the IPv4 address of its first
/// non-loopback interface that is up, else its SLURM node name.
std::string this_node_address() {
  const char* node = std::getenv("SLURMD_NODENAME");
  if (node != nullptr && *node != '\0' && !find_on_path("scontrol").empty()) {
    const std::string text = output_of({"scontrol", "-o", "show", "node", node});
    const auto at = text.find("NodeAddr=");
    if (at != std::string::npos) {
      const std::string addr = text.substr(at + 9, text.find_first_of(" \n", at) - at - 9);
      if (!addr.empty() && addr != node) return addr;
    }
  }
  ifaddrs* list = nullptr;
  std::string found;
  if (::getifaddrs(&list) == 0) {
    for (const ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
      char text[INET_ADDRSTRLEN] = {};
      const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) found = text;
    }
    ::freeifaddrs(list);
  }
  if (!found.empty()) return found;
  return node != nullptr && *node != '\0' ? node : "127.0.0.1";
}

/// This job's id (the rendezvous file names it, so a file left by an earlier job is ignored).
std::string job_id() {
  const char* id = std::getenv("SLURM_JOB_ID");
  return id != nullptr ? id : "";
}

/// Where server `i` publishes its address: output-dir/dist/address (rank 0, as before there
/// were several), address-1, address-2, ...
fs::path address_file(const fs::path& output_dir, int i) {
  return output_dir / "dist" / (i == 0 ? std::string("address") : "address-" + std::to_string(i));
}

/// A server rank publishes where it listens: "<job id> <host>:<port>".
void publish_address(const fs::path& file, int server, const std::string& address) {
  write_file_atomic(file, job_id() + " " + address + "\n");
  log::info("server ", server, " is published as ", address, " in ", file.string());
}

/// The address a server rank published for this job, waiting up to `timeout_s`; empty if none
/// came.
std::string published_address(const fs::path& file, double timeout_s) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(timeout_s));
  while (Clock::now() < until) {
    std::ifstream f(file);
    std::string id, address;
    if (f >> id >> address && id == job_id()) return address;
    if (detail::g_interrupted != 0) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {};
}

/// HOST[:PORT] with `port` added when it names none (an IPv6 literal needs brackets).
std::string with_port(const std::string& address, int port) {
  const auto colon = address.rfind(':');
  const auto bracket = address.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket))
    return address;
  return address + ":" + std::to_string(port);
}

/// The first candidate address whose server answers (tried in order, `budget_s` each); says
/// once which failed and what to set when none does.
std::string reachable_server(int server, const std::vector<std::string>& candidates, const Job& job,
                             const std::string& token, double budget_s) {
  std::string failures;
  for (const auto& address : candidates) {
    ps::ClientOptions probe = job_client(job, {address}, token);
    probe.observer = true;
    probe.retry_budget_s = budget_s;
    probe.worker_name = "slurm rendezvous";
    try {
      ps::Client(probe).status(0); // answers, with this job's token (one server of several)
      return address;
    } catch (const std::exception& e) {
      log::warn("server ", server, " does not answer at ", address, ": ", e.what());
      failures += (failures.empty() ? "" : "; ") + address;
    }
  }
  throw runtime_error("cannot reach parameter server " + std::to_string(server) + " (tried " +
                      failures + "); " +
                      (server == 0 ? "give --ps-address HOST[:PORT] with an address of rank 0's "
                                     "node that this node can reach"
                                   : "is its node's published address reachable from here?"));
}

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

/// The parameter shards server `i` of `servers` hosts (the local launcher's split).
std::vector<int> hosted_shards(int i, int servers, int shards) {
  std::vector<int> h;
  for (int s = i * shards / servers; s < (i + 1) * shards / servers; ++s) h.push_back(s);
  return h;
}

/// Ranks 0..k−1: server i (port + i, on every interface) until the job is done. Rank 0's
/// server holds shard 0 and so the coordinator; once the coordinator is finished, rank 0 writes
/// the model (fetching from every server) and stops the other servers.
void serve(const model::ModelConfig& cfg, const Job& job, const SlurmRanks& r, int port,
           const std::string& token, const std::string& advertised) {
  partition_plan(cfg, job.shards,
                 job.exchange); // checked here, so that bad shards fail on every server rank
  const auto t0 = Clock::now();
  const int i = r.rank;
  const fs::path work = job.output_dir / "dist";
  ps::ServerOptions so;
  so.listen = "0.0.0.0:" + std::to_string(port + i);
  so.num_shards = job.shard_count();
  so.hosted = hosted_shards(i, job.servers, so.num_shards);
  so.token = token;
  so.tls.cert = job.tls.files.cert;
  so.tls.key = job.tls.files.key;
  so.checkpoint = work / ("ps-" + std::to_string(i) + ".ckpt");
  so.checkpoint_every_s = job.ps_checkpoint_every_s;
  so.max_staleness = job.server.max_staleness;
  so.lease_timeout_s = job.server.lease_timeout_s;
  fs::create_directories(work);
  if (!job.resume) fs::remove(so.checkpoint);
  ps::ParameterServer server(so);
  server.start();
  if (server.resumed()) log::info("server ", i, " resumed from ", so.checkpoint.string());
  publish_address(address_file(job.output_dir, i), i, with_port(advertised, port + i));
  log::warn("server ", i, " listens on every interface (port ", port + i,
            "); every call needs the job's token");
  if (i > 0) {
    // Until rank 0 stops it (or a signal does: the last checkpoint is written).
    std::atomic<bool> stopped{false};
    std::thread watcher([&] {
      while (!stopped && detail::g_interrupted == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (!stopped) server.shutdown();
    });
    server.wait();
    stopped = true;
    watcher.join();
    log::info("server ", i, " stopped");
    return;
  }
  // Rank 0 watches its own server on loopback; with TLS at its advertised address, the name
  // its certificate carries.
  ps::ClientOptions co = job_client(job,
                                    {job.tls.files.ca.empty() ? "127.0.0.1:" + std::to_string(port)
                                                              : with_port(advertised, port)},
                                    token);
  co.observer = true;
  co.worker_name = "slurm rank 0";
  {
    ps::Client monitor(co);
    ps::TaskClient tasks(monitor);
    while (!tasks.status().coordination.finished) {
      if (detail::g_interrupted != 0)
        throw runtime_error("interrupted by signal " + std::to_string(detail::g_interrupted));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  // Every server, as the others published themselves (rank 0 reaches itself on loopback).
  std::vector<std::string> all{co.servers.front()};
  for (int s = 1; s < job.servers; ++s) {
    const std::string a = published_address(address_file(job.output_dir, s), 120);
    if (a.empty())
      throw runtime_error(address_file(job.output_dir, s).string() + ": server " +
                          std::to_string(s) + " published no address for job " + job_id());
    all.push_back(a);
  }
  co.servers = all;
  const nlohmann::json extra = {
      {"launcher", "slurm"},
      {"workers", job.workers},
      {"servers", job.servers},
      {"shards", job.shard_count()},
      {"nodelist", r.nodelist},
      {"n_fetch", job.exchange.n_fetch},
      {"n_push", job.exchange.n_push},
      {"warmup_steps", job.exchange.warmup_steps},
      {"fp16", job.exchange.fp16},
      {"overlap", job.exchange.overlap},
      {"resume", job.resume},
      {"wall_s", std::chrono::duration<double>(Clock::now() - t0).count()}};
  write_distributed_result(cfg, job.shards, co, job.output_dir, extra.dump());
  // Let the workers see "done" before the servers go away.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  if (job.servers > 1) {
    ps::ClientOptions others = co;
    others.servers.erase(others.servers.begin());
    try {
      ps::Client(others).shutdown_servers(true);
    } catch (const std::exception& e) {
      log::warn("stopping the other servers: ", e.what());
    }
  }
  server.shutdown();
}

} // namespace

std::string first_slurm_node(const std::string& list) {
  // The first entry is everything before the first comma outside brackets; each bracket group
  // in it ("r[1-2]n[3-4]") contributes its first element, digits kept as written (padding).
  std::string first;
  int depth = 0;
  for (const char c : list) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0 || depth > 1) break;
    if (c == ',' && depth == 0) break;
    first += c;
  }
  auto bad = [&] { return usage_error("SLURM_JOB_NODELIST '" + list + "' is not a node list"); };
  if (first.empty() || depth != 0) throw bad();
  std::string host;
  for (std::size_t at = 0; at < first.size();) {
    const auto open = first.find('[', at);
    if (open == std::string::npos) {
      host += first.substr(at);
      break;
    }
    const auto close = first.find(']', open);
    if (close == std::string::npos || close == open + 1) throw bad();
    std::string range = first.substr(open + 1, close - open - 1);
    range = range.substr(0, range.find(','));
    const std::string lowest = range.substr(0, range.find('-'));
    if (lowest.empty() || lowest.find_first_not_of("0123456789") != std::string::npos) throw bad();
    host += first.substr(at, open - at) + lowest;
    at = close + 1;
  }
  if (host.find_first_of("[]") != std::string::npos) throw bad();
  return host;
}

std::string slurm_first_host(const std::string& nodelist) {
  // scontrol knows every form SLURM writes; the parser above is the fallback without it.
  if (!find_on_path("scontrol").empty()) {
    const std::string out = output_of({"scontrol", "show", "hostnames", nodelist});
    const std::string first = out.substr(0, out.find('\n'));
    if (!first.empty()) return first;
  }
  return first_slurm_node(nodelist);
}

SlurmRanks slurm_ranks() {
  SlurmRanks r;
  r.rank = env_int("SLURM_PROCID");
  r.size = env_int("SLURM_NTASKS");
  const char* nodes = std::getenv("SLURM_JOB_NODELIST");
  if (nodes == nullptr || *nodes == '\0')
    throw usage_error("--launcher slurm: SLURM_JOB_NODELIST is not set (run under srun)");
  r.nodelist = nodes;
  r.first_node = slurm_first_host(r.nodelist);
  if (r.rank >= r.size)
    throw usage_error("--launcher slurm: SLURM_PROCID " + std::to_string(r.rank) +
                      " ≥ SLURM_NTASKS " + std::to_string(r.size));
  return r;
}

/// Workers per server process beyond which the servers' links limit the speed-up (the
/// performance model of tests/bench/bench_scale.sh at 10 Gbit/s).
constexpr int kWorkersPerServer = 8;

void train_distributed_slurm(const model::ModelConfig& cfg, const Job& job, int port,
                             const std::string& ps_address) {
  check(job);
  const SlurmRanks r = slurm_ranks();
  const int k = job.servers;
  if (r.size < k + 1)
    throw usage_error("--launcher slurm with --servers " + std::to_string(k) + " needs at least " +
                      std::to_string(k + 1) + " tasks (the servers + workers), SLURM_NTASKS is " +
                      std::to_string(r.size));
  if (job.workers != r.size - k)
    throw usage_error("--workers " + std::to_string(job.workers) + " does not match SLURM_NTASKS " +
                      std::to_string(r.size) + " with --servers " + std::to_string(k) +
                      " (ranks 0.." + std::to_string(k - 1) + " are servers, the other " +
                      std::to_string(r.size - k) + " ranks are workers)");
  if (port + k - 1 > 65535)
    throw usage_error("--port " + std::to_string(port) + " + --servers " + std::to_string(k) +
                      " runs past port 65535");
  const std::string token = job_token(r, job.output_dir / "dist" / "token");
  // tests/bench/bench_scale.sh: with 10 Gbit/s links the model keeps ≥ 90% of linear speed-up
  // up to 64 workers with one server per 8 workers (7.3x at 8 workers on 1 server, 62x at 64
  // on 8), and 12x at most on one server; on 1 Gbit/s links it takes one server per 2.
  if (r.rank == 0 && job.workers > kWorkersPerServer * k)
    log::warn(job.workers, " workers on ", k, " server(s): the servers' links will limit the ",
              "speed-up; one server per ", kWorkersPerServer, " workers (--servers ",
              (job.workers + kWorkersPerServer - 1) / kWorkersPerServer,
              ") keeps it near linear on 10 Gbit/s links (README, \"How far it scales\")");
  log::info("slurm rank ", r.rank, " of ", r.size, " (nodes ", r.nodelist, "): ",
            r.rank < k ? "parameter server " + std::to_string(r.rank) : std::string("worker"));
  detail::install_interrupt_handlers();
  if (r.rank < k)
    return serve(cfg, job, r, port, token, ps_address.empty() ? this_node_address() : ps_address);
  // Rendezvous by address, server by server: --ps-address (server 0's host; server i listens
  // on port + i there too), else what each server published, then the first node's name
  // (which need not resolve on every node).
  std::vector<std::string> servers;
  for (int s = 0; s < k; ++s) {
    std::vector<std::string> candidates;
    if (!ps_address.empty() && s == 0) {
      candidates.push_back(with_port(ps_address, port));
    } else {
      const fs::path file = address_file(job.output_dir, s);
      const std::string published = published_address(file, 120);
      if (published.empty())
        log::warn(file.string(), ": server ", s, " published no address for job ", job_id(),
                  " within 120 s (is the output folder shared?)");
      else
        candidates.push_back(published);
      if (s == 0) candidates.push_back(r.first_node + ":" + std::to_string(port));
    }
    if (candidates.empty())
      throw runtime_error("cannot find parameter server " + std::to_string(s) +
                          " (no address published in " + address_file(job.output_dir, s).string() +
                          ")");
    servers.push_back(reachable_server(s, candidates, job, token, 20));
  }
  log::info("worker rank ", r.rank, ": servers at ", servers.front(),
            servers.size() > 1 ? " and " + std::to_string(servers.size() - 1) + " more"
                               : std::string());
  ps::ClientOptions client = job_client(job, servers, token);
  client.retry_budget_s = 120;
  client.worker_name = "slurm rank " + std::to_string(r.rank);
  run_worker(worker_settings(cfg, job, client));
}

} // namespace dcae::train
