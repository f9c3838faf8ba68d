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
/// for float32 and fp16 transfer. Prints one tab-separated table.
///
/// usage: dcae_bench_link --ps HOST:PORT [--ps HOST:PORT ...] --token-file FILE [--t 284]
///                        [--reps 30] [--warmup 5]

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <torch/torch.h>

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

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> servers;
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
    else {
      std::cerr << "usage: dcae_bench_link --ps HOST:PORT [--ps ...] --token-file FILE [--t T] "
                   "[--reps N] [--warmup N]\n";
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
    std::cout << "encoding\tbytes\tmsg_ms\tfetch_ms\tpush_ms\tboth_ms\tfetch_MB/s\tpush_MB/s\n";
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
      std::vector<std::int64_t> fetched;
      dcae::ps::PushOutcome out;
      const double both = median_seconds(reps, [&] {
        c.push_async(grad.data(), versions, &out);
        c.wait(c.fetch_async(got.data(), &fetched)); // the push, then the fetch (in order)
      });
      const double bytes = static_cast<double>(n) * (fp16 ? 2 : 4);
      std::cout << (fp16 ? "fp16" : "float32") << '\t' << bytes << '\t' << msg * 1e3 << '\t'
                << fetch * 1e3 << '\t' << push * 1e3 << '\t' << both * 1e3 << '\t'
                << bytes / fetch / 1e6 << '\t' << bytes / push / 1e6 << '\n';
    }
  } catch (const std::exception& e) {
    std::cerr << "dcae_bench_link: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
