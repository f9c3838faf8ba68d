/// \file bench_link.cpp
/// Benchmark (not a test): what one exchange with running parameter servers costs over a real
/// link, as tests/bench/bench_scale.sh needs it for its performance model.
///
/// Connects to the dcae-ps servers given (fresh ones: this tool initializes them with the
/// default model's parameter count for input length --t, random values, one partition) and
/// measures, after --warmup exchanges, the median over --reps of:
///   msg     a Status call on the server hosting shard 0 (one small message and its answer:
///           the cost per message);
///   fetch   the whole parameter vector from every server (its shards in parallel);
///   push    a gradient of the same size to every server (the servers apply Adagrad to it);
///   both    a push then a fetch through the client's asynchronous queue (one at a time, in
///           order), waited for, as a worker exchanges;
///   both2   the same exchange made by two clients at once (two threads, each with its own
///           connection), the median over both: how the servers serve concurrent exchanges;
///   cores   the CPU time spent during the `both` exchanges, by this process and (given
///           --server-pid, read from /proc) by the servers, over their wall time: how many
///           cores one exchange keeps busy at its own speed;
/// for float32 and fp16 transfer. Prints one tab-separated table.
///
/// usage: dcae_bench_link --ps HOST:PORT [--ps HOST:PORT ...] --token-file FILE [--t 284]
///                        [--reps 30] [--warmup 5] [--server-pid PID ...]

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <torch/torch.h>
#include <unistd.h>

#include "core/log.h"
#include "model/autoencoder.h"
#include "model/trainer.h"
#include "ps/client.h"
#include "ps/task_client.h"

using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

template <typename F> double median_seconds(int reps, F&& f) {
  std::vector<double> s;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    f();
    s.push_back(seconds_since(t0));
  }
  std::nth_element(s.begin(), s.begin() + reps / 2, s.end());
  return s[static_cast<std::size_t>(reps / 2)];
}

/// CPU seconds (user + system) this process has used so far, all threads.
double own_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/// CPU seconds (user + system) process `pid` has used so far (/proc/PID/stat, fields 14 and 15).
double process_cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line))
    throw std::runtime_error("/proc/" + std::to_string(pid) + "/stat: cannot read");
  // The command name (field 2) is in parentheses and may hold spaces: count from its end.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> servers;
  std::vector<int> server_pids;
  std::string token_file;
  std::int64_t t = 284;
  int reps = 30, warmup = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--ps")
      servers.emplace_back(argv[i + 1]);
    else if (k == "--token-file")
      token_file = argv[i + 1];
    else if (k == "--t")
      t = std::stoll(argv[i + 1]);
    else if (k == "--reps")
      reps = std::stoi(argv[i + 1]);
    else if (k == "--warmup")
      warmup = std::stoi(argv[i + 1]);
    else if (k == "--server-pid")
      server_pids.push_back(std::stoi(argv[i + 1]));
    else {
      std::cerr << "usage: dcae_bench_link --ps HOST:PORT [--ps ...] --token-file FILE [--t T] "
                   "[--reps N] [--warmup N] [--server-pid PID ...]\n";
      return 2;
    }
  }
  if (servers.empty() || token_file.empty() || reps < 1) {
    std::cerr << "dcae_bench_link: --ps and --token-file are required\n";
    return 2;
  }
  try {
    dcae::log::set_level(dcae::log::Level::kWarning);
    dcae::model::configure_allocator(); // as dcae-ps and dcae-worker do
    dcae::model::ModelConfig cfg;
    dcae::model::Autoencoder net(cfg, t);
    std::int64_t n = 0;
    for (const auto& p : net->parameters()) n += p.numel();
    std::vector<float> params(static_cast<std::size_t>(n)), got(params.size()), grad(params.size());
    std::mt19937 rng(1);
    std::normal_distribution<float> d(0.0f, 0.05f);
    for (auto& x : params) x = d(rng);
    for (auto& x : grad) x = d(rng) * 0.01f;
    dcae::ps::ClientOptions co;
    co.servers = servers;
    co.token = dcae::ps::read_token(token_file);
    co.retry_budget_s = 30;
    dcae::ps::Client init(co);
    init.connect();
    dcae::ps::PartitionPlan plan;
    plan.run_rows = {1};
    init.initialize(params, dcae::ps::AdagradSettings{}, plan);
    std::cout << "# " << n << " parameters (default model, T = " << t << "), " << servers.size()
              << " server(s); medians of " << reps << " after " << warmup << " warm-up exchanges\n";
    std::cout
        << "encoding\tbytes\tmsg_ms\tfetch_ms\tpush_ms\tboth_ms\tboth2_ms\tcores\tfetch_MB/s\t"
           "push_MB/s\n";
    const auto cpu_seconds = [&] {
      double s = own_cpu_seconds();
      for (const int pid : server_pids) s += process_cpu_seconds(pid);
      return s;
    };
    for (const bool fp16 : {false, true}) {
      co.fp16 = fp16;
      dcae::ps::Client c(co);
      c.connect();
      auto versions = c.fetch(got.data());
      for (int i = 0; i < warmup; ++i) c.push(grad.data(), c.fetch(got.data()));
      dcae::ps::TaskClient tasks(c);
      const double msg = median_seconds(reps, [&] { tasks.status(); });
      const double fetch = median_seconds(reps, [&] { versions = c.fetch(got.data()); });
      const double push = median_seconds(reps, [&] { c.push(grad.data(), versions); });
      // A worker's exchange: the push, then the fetch (in order), waited for.
      const auto exchange = [&](dcae::ps::Client& client, std::vector<float>& into) {
        std::vector<std::int64_t> fetched;
        dcae::ps::PushOutcome out;
        client.push_async(grad.data(), versions, &out);
        client.wait(client.fetch_async(into.data(), &fetched));
      };
      const double cpu0 = cpu_seconds();
      const auto wall0 = Clock::now();
      const double both = median_seconds(reps, [&] { exchange(c, got); });
      const double cores = (cpu_seconds() - cpu0) / seconds_since(wall0);
      // Two clients at once, each on its own connection and thread.
      dcae::ps::Client other(co);
      other.connect();
      std::vector<float> got2(params.size());
      for (int i = 0; i < warmup; ++i) exchange(other, got2);
      std::vector<double> both2(2);
      {
        std::thread second(
            [&] { both2[1] = median_seconds(reps, [&] { exchange(other, got2); }); });
        both2[0] = median_seconds(reps, [&] { exchange(c, got); });
        second.join();
      }
      const double bytes = static_cast<double>(n) * (fp16 ? 2 : 4);
      std::cout << (fp16 ? "fp16" : "float32") << '\t' << bytes << '\t' << msg * 1e3 << '\t'
                << fetch * 1e3 << '\t' << push * 1e3 << '\t' << both * 1e3 << '\t'
                << 0.5 * (both2[0] + both2[1]) * 1e3 << '\t' << cores << '\t' << bytes / fetch / 1e6
                << '\t' << bytes / push / 1e6 << '\n';
    }
  } catch (const std::exception& e) {
    std::cerr << "dcae_bench_link: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
