/// \file bench_dist.cpp
/// Benchmark (not a test): the parameter server on loopback with the default model's size.
///
/// Starts one in-process dcae parameter server (all shards, 127.0.0.1) and measures:
///  (a) fetch and push of the whole default model (ModelConfig defaults, T = --t) by one
///      client: bytes per second each way, and the ratio to a memcpy of the same bytes, in the
///      steady state of a training run (after --warmup fetch + push pairs: gRPC's HTTP/2
///      flow-control windows grow from their initial size over the first transfers of a
///      connection), and the first transfer of a fresh connection (cold);
///  (c) pushes per second and bytes per second one server sustains with --clients concurrent
///      pushers (each its own connections) for --seconds;
/// once with float32 transfer and once with fp16 (d). Prints one table (tab-separated).

#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "core/log.h"
#include "model/autoencoder.h"
#include "model/trainer.h"
#include "ps/client.h"
#include "ps/server.h"

using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double memcpy_bytes_per_s(std::size_t bytes) {
  std::vector<char> a(bytes, 1), b(bytes);
  std::memcpy(b.data(), a.data(), bytes);
  const int reps = 20;
  const auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) {
    a[static_cast<std::size_t>(i)] = static_cast<char>(i);
    std::memcpy(b.data(), a.data(), bytes);
  }
  const double s = seconds_since(t0);
  if (b[1] != 1) std::cerr << "";
  return static_cast<double>(bytes) * reps / s;
}

} // namespace

int main(int argc, char** argv) {
  std::int64_t t = 284;
  int reps = 50, warmup = 50, clients = 4, shards = 1;
  double seconds = 3.0;
  std::int64_t chunk = 65536;
  std::string unix_socket; // listen on a Unix domain socket instead of 127.0.0.1
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--t")
      t = std::stoll(argv[i + 1]);
    else if (k == "--reps")
      reps = std::stoi(argv[i + 1]);
    else if (k == "--warmup")
      warmup = std::stoi(argv[i + 1]);
    else if (k == "--clients")
      clients = std::stoi(argv[i + 1]);
    else if (k == "--seconds")
      seconds = std::stod(argv[i + 1]);
    else if (k == "--shards")
      shards = std::stoi(argv[i + 1]);
    else if (k == "--chunk")
      chunk = std::stoll(argv[i + 1]);
    else if (k == "--unix")
      unix_socket = argv[i + 1];
    else {
      std::cerr << "usage: dcae_bench_dist [--t T] [--reps N (50)] [--warmup N (50)] [--clients C] "
                   "[--seconds S] [--shards S] [--chunk VALUES]\n";
      return 2;
    }
  }
  dcae::log::set_level(dcae::log::Level::kWarning);
  dcae::model::configure_allocator(); // as dcae-ps and dcae-worker do
  dcae::model::ModelConfig cfg;
  torch::manual_seed(1);
  dcae::model::Autoencoder net(cfg, t);
  std::int64_t n = 0;
  for (const auto& p : net->parameters()) n += p.numel();
  std::vector<float> params(static_cast<std::size_t>(n));
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 0.05f);
  for (auto& x : params) x = d(rng);
  const double mb = static_cast<double>(n) * 4 / 1e6;
  const double mem = memcpy_bytes_per_s(static_cast<std::size_t>(n) * 4);
  std::cout << "# default model, T = " << t << ": " << n << " parameters (" << mb
            << " MB as float32); " << shards << " shard(s); chunks of " << chunk
            << " values; memcpy of the same bytes: " << mem / 1e9 << " GB/s\n";
  std::cout << "transfer\tfetch_ms\tfetch_GB/s\tfetch/memcpy\tpush_ms\tpush_GB/s\tpush/memcpy\t"
               "server_pushes/s\tserver_GB/s\tclients\tcold_fetch_GB/s\tcold_push_GB/s\n";
  for (const bool fp16 : {false, true}) {
    dcae::ps::ServerOptions so;
    so.token = "bench";
    so.num_shards = shards;
    if (!unix_socket.empty()) so.listen = "unix:" + unix_socket;
    dcae::ps::ParameterServer server(so);
    server.start();
    dcae::ps::ClientOptions co;
    co.servers = {unix_socket.empty() ? "127.0.0.1:" + std::to_string(server.port())
                                      : "unix:" + unix_socket};
    co.token = "bench";
    co.fp16 = fp16;
    co.chunk_values = chunk;
    dcae::ps::Client client(co);
    client.connect();
    dcae::ps::PartitionPlan plan;
    plan.run_rows = {1};
    client.initialize(params, dcae::ps::AdagradSettings{}, plan);
    std::vector<float> got(params.size()), grad(params.size());
    for (auto& x : grad) x = d(rng) * 0.01f;
    auto t0 = Clock::now();
    auto versions = client.fetch(got.data()); // the first transfers of the connection
    const double cold_fetch_s = seconds_since(t0);
    t0 = Clock::now();
    client.push(grad.data(), versions);
    const double cold_push_s = seconds_since(t0);
    for (int i = 0; i < warmup; ++i) client.push(grad.data(), client.fetch(got.data()));
    t0 = Clock::now();
    for (int i = 0; i < reps; ++i) versions = client.fetch(got.data());
    const double fetch_s = seconds_since(t0) / reps;
    t0 = Clock::now();
    for (int i = 0; i < reps; ++i) client.push(grad.data(), versions);
    const double push_s = seconds_since(t0) / reps;
    // (c): concurrent pushers, each with its own client.
    std::atomic<std::int64_t> pushes{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    const auto c0 = server.counters();
    t0 = Clock::now();
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&] {
        dcae::ps::Client pc(co);
        pc.connect();
        std::vector<std::int64_t> v(static_cast<std::size_t>(pc.num_shards()), 0);
        while (!stop) {
          pc.push(grad.data(), v);
          ++pushes;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& th : threads) th.join();
    const double wall = seconds_since(t0);
    const auto c1 = server.counters();
    const double bytes = static_cast<double>(n) * (fp16 ? 2 : 4);
    std::cout << (fp16 ? "fp16" : "float32") << '\t' << fetch_s * 1e3 << '\t'
              << bytes / fetch_s / 1e9 << '\t' << bytes / fetch_s / mem << '\t' << push_s * 1e3
              << '\t' << bytes / push_s / 1e9 << '\t' << bytes / push_s / mem << '\t'
              << static_cast<double>(pushes) / wall << '\t'
              << static_cast<double>(c1.bytes_received - c0.bytes_received) / wall / 1e9 << '\t'
              << clients << '\t' << bytes / cold_fetch_s / 1e9 << '\t' << bytes / cold_push_s / 1e9
              << '\n';
    server.shutdown();
  }
  return 0;
}
