/// \file bench_train.cpp
/// Benchmark (not a test): training throughput of dcae's autoencoder on synthetic data.
///
/// Builds the model of the default ModelConfig for input length T, draws one random batch
/// [B, 1, T] (fixed seed, created once, outside the timing) and runs exactly dcae's training
/// step (model/trainer.cpp: zero_grad, forward, autoencoder_loss, backward, Adagrad step,
/// loss.item()) W times untimed, then S times timed, on N intra-op threads. Prints samples/s
/// (B·S / wall time of the S steps) and B / median step time.
///
/// --sgemm instead times a large float32 matrix multiply (torch::mm of two n×n matrices,
/// n = 2048 by default, after warm-up) on N threads and prints GFLOP/s (2·n³ per product):
/// the practical peak float32 rate of this machine with LibTorch's BLAS.
///
/// --profile FILE runs the timed steps under LibTorch's autograd profiler and writes a chrome
/// trace (the throughput printed is then the profiled one, not the benchmark's).
///
/// --mallopt sets glibc malloc's mmap threshold (32 MiB, fixed) and trim threshold (1 GiB) at
/// start: without it most of a step's time can go to page faults (see bench_train.sh).
///
/// Both modes print the model's FLOPs per sample (see count_flops()).
/// tests/bench/bench_train.sh runs it beside tests/bench/bench_train.py (the same model and
/// loop in Python) and prints the table.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <malloc.h>
#include <torch/torch.h>

#include "model/autoencoder.h"
#include "model/model_config.h"
#include "model/trainer.h"

namespace {

struct Options {
  int threads = 1;
  std::int64_t steps = 60;
  std::int64_t warmup = 10;
  std::int64_t batch = 256;
  std::int64_t t = 284;
  bool sgemm = false;
  std::int64_t sgemm_n = 2048;
  std::int64_t sgemm_repeats = 10;
  bool mallopt = true; ///< dcae's allocator settings (model::configure_allocator); --no-mallopt off
  std::string device = "cpu";
  std::string profile; ///< chrome trace of the timed steps (LibTorch's autograd profiler)
};

void usage(std::ostream& os) {
  os << "usage: dcae_bench_train [--threads N (1)] [--steps S (60)] [--warmup W (10)]\n"
        "                        [--batch B (256)] [--t T (284)] [--profile TRACE.json]\n"
        "                        [--no-mallopt] [--device cpu|cuda:N]\n"
        "       dcae_bench_train --sgemm [--threads N (1)] [--n SIZE (2048)] [--repeats R (10)]\n";
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::int64_t {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      const std::string v = argv[++i];
      std::size_t used = 0;
      const long long n = std::stoll(v, &used);
      if (used != v.size() || n < 0) throw std::invalid_argument(a + ": bad value '" + v + "'");
      return n;
    };
    if (a == "--threads")
      o.threads = static_cast<int>(value());
    else if (a == "--steps")
      o.steps = value();
    else if (a == "--warmup")
      o.warmup = value();
    else if (a == "--batch")
      o.batch = value();
    else if (a == "--t")
      o.t = value();
    else if (a == "--sgemm")
      o.sgemm = true;
    else if (a == "--mallopt")
      o.mallopt = true;
    else if (a == "--no-mallopt")
      o.mallopt = false;
    else if (a == "--device") {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      o.device = argv[++i];
    } else if (a == "--profile") {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      o.profile = argv[++i];
    } else if (a == "--n")
      o.sgemm_n = value();
    else if (a == "--repeats")
      o.sgemm_repeats = value();
    else if (a == "-h" || a == "--help") {
      usage(std::cout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (o.threads < 1 || o.steps < 1 || o.batch < 1 || o.t < 1 || o.sgemm_n < 1 ||
      o.sgemm_repeats < 1) {
    throw std::invalid_argument("--threads, --steps, --batch, --t, --n and --repeats must be >= 1");
  }
  return o;
}

/// FLOPs per sample of the model's matrix work (multiply-add = 2 FLOPs), read off the
/// configuration the same way the model is built (src/model/autoencoder.cpp):
///   conv1d Cin→Cout, kernel K, output length L: 2·Cin·Cout·K·L
///   linear in→out:                              2·in·out
/// Not counted: bias adds, ReLU, max-pool/unpool, the loss and Adagrad (elementwise, O(size)
/// per sample, ≈ 1 % of the total here). A training step is counted as 3× the forward pass
/// (backward = gradient w.r.t. the input + gradient w.r.t. the weights, each as costly as the
/// forward); `exact_train` drops the input gradient of the first conv, which the step does not
/// compute (the input does not require grad).
struct Flops {
  double forward = 0;
  double train = 0;       ///< 3 × forward
  double exact_train = 0; ///< 3 × forward − first conv's forward
};

Flops count_flops(const dcae::model::ModelConfig& c, std::int64_t t) {
  const double k = static_cast<double>(c.kernel_size);
  double len = static_cast<double>(c.padded_length(t));
  double fwd = 0, first_conv = 0;
  double in = 1;
  std::vector<double> lengths;
  for (std::size_t l = 0; l < c.channels.size(); ++l) {
    const double out = static_cast<double>(c.channels[l]);
    const double f = 2 * in * out * k * len;
    if (l == 0) first_conv = f;
    fwd += f; // encoder conv at the input length of this layer
    lengths.push_back(len);
    len /= static_cast<double>(c.pool);
    in = out;
  }
  const double bottom = static_cast<double>(c.bottom_size(t));
  const double feat = static_cast<double>(c.feature_size(t));
  fwd += 2 * 2 * bottom * feat; // enc_fc (bottom → F) + dec_fc (F → bottom)
  for (std::size_t l = c.channels.size(); l-- > 0;) {
    const double cin = static_cast<double>(c.channels[l]);
    const double cout = l == 0 ? 1.0 : static_cast<double>(c.channels[l - 1]);
    fwd += 2 * cin * cout * k * lengths[l]; // decoder conv after unpooling to lengths[l]
  }
  return {fwd, 3 * fwd, 3 * fwd - first_conv};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Standard deviation over mean of the step times (their relative spread).
double coefficient_of_variation(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  double mean = 0.0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0.0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1)) / mean;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void print_flops(const dcae::model::ModelConfig& cfg, std::int64_t t) {
  const Flops f = count_flops(cfg, t);
  std::cout << "flops_forward_per_sample " << f.forward << "\n"
            << "flops_train_per_sample " << f.train << "\n"
            << "flops_train_exact_per_sample " << f.exact_train << "\n";
}

int run_sgemm(const Options& o) {
  torch::manual_seed(1);
  const auto n = o.sgemm_n;
  auto a = torch::randn({n, n});
  auto b = torch::randn({n, n});
  auto c = torch::empty({n, n});
  for (int i = 0; i < 2; ++i) torch::mm_out(c, a, b);
  std::vector<double> times;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < o.sgemm_repeats; ++i) {
    const auto s = std::chrono::steady_clock::now();
    torch::mm_out(c, a, b);
    times.push_back(seconds_since(s));
  }
  const double total = seconds_since(t0);
  const double flop =
      2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  std::cout << "threads " << torch::get_num_threads() << "\n"
            << "sgemm_n " << n << "\n"
            << "sgemm_gflops " << flop * static_cast<double>(o.sgemm_repeats) / total / 1e9 << "\n"
            << "sgemm_gflops_best " << flop / *std::min_element(times.begin(), times.end()) / 1e9
            << "\n"
            << "checksum " << c.sum().item<double>() << "\n";
  return 0;
}

int run_train(const Options& o) {
  dcae::model::ModelConfig cfg; // the defaults
  cfg.batch_size = o.batch;
  torch::manual_seed(1);
  dcae::model::Autoencoder model(cfg, o.t);
  const torch::Device device = dcae::model::parse_device(o.device);
  model->to(device);
  torch::optim::Adagrad optimizer(model->parameters(),
                                  torch::optim::AdagradOptions(cfg.learning_rate)
                                      .initial_accumulator_value(cfg.initial_accumulator)
                                      .eps(cfg.eps));
  const auto x = torch::randn({o.batch, 1, o.t}).to(device);
  double last = 0;
  // Exactly model/trainer.cpp's step (the loss read back and checked as there).
  auto step = [&] {
    optimizer.zero_grad();
    auto out = model->forward(x);
    auto loss = autoencoder_loss(out, x, cfg);
    loss.backward();
    optimizer.step();
    last = loss.item<double>();
    if (!std::isfinite(last)) throw std::runtime_error("loss not finite");
  };
  for (std::int64_t i = 0; i < o.warmup; ++i) step();
  std::vector<double> times;
  times.reserve(static_cast<std::size_t>(o.steps));
  // With --profile the timed steps run under the autograd profiler (slower: the throughput
  // printed is then not the benchmark's); the trace is written when the guard goes.
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profiler;
  if (!o.profile.empty())
    profiler = std::make_unique<torch::autograd::profiler::RecordProfile>(o.profile);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < o.steps; ++i) {
    const auto s = std::chrono::steady_clock::now();
    step();
    times.push_back(seconds_since(s));
  }
  const double total = seconds_since(t0);
  profiler.reset();
  std::int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  std::cout << "threads " << torch::get_num_threads() << "\n"
            << "batch " << o.batch << "\n"
            << "t " << o.t << "\n"
            << "parameters " << params << "\n"
            << "steps " << o.steps << "\n"
            << "seconds " << total << "\n"
            << "samples_per_s " << static_cast<double>(o.batch * o.steps) / total << "\n"
            << "samples_per_s_median " << static_cast<double>(o.batch) / median(times) << "\n"
            << "step_cv " << coefficient_of_variation(times) << "\n"
            << "last_loss " << last << "\n"
            << "device " << o.device << "\n";
  print_flops(cfg, o.t);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    // As dcae-train does (model::configure_allocator): the ~5 MB tensors of every step stay
    // mapped instead of glibc's adaptive threshold handing them to mmap/munmap and trimming the
    // heap, which page-faults them back in on every step. --no-mallopt measures without.
    if (o.mallopt) dcae::model::configure_allocator();
    torch::set_num_threads(o.threads);
    if (o.sgemm) {
      print_flops(dcae::model::ModelConfig{}, o.t);
      return run_sgemm(o);
    }
    return run_train(o);
  } catch (const std::exception& e) {
    std::cerr << "dcae_bench_train: " << e.what() << "\n";
    usage(std::cerr);
    return 2;
  }
}
