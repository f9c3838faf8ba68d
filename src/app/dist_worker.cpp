#include "app/dist_worker.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "app/dist_model.h"
#include "core/error.h"
#include "core/log.h"
#include "io/shard.h"
#include "model/autoencoder.h"
#include "model/shard_sampler.h"
#include "model/trainer.h"

namespace fs = std::filesystem;

namespace dcae::app {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// Keeps the worker's lease alive from a background thread.
class Heartbeat {
 public:
  Heartbeat(dist::PsClient& client, double period_s, const std::atomic<std::int64_t>& steps)
      : client_(client), steps_(steps), thread_([this, period_s] { loop(period_s); }) {}
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

 private:
  void loop(double period_s) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::duration<double>(period_s));
      if (stop_) break;
      lock.unlock();
      try {
        client_.heartbeat(steps_.load());
      } catch (const std::exception& e) {
        log::warn("heartbeat failed: ", e.what());
      }
      lock.lock();
    }
  }
  dist::PsClient& client_;
  const std::atomic<std::int64_t>& steps_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

/// The worker's exchanges with the servers (push the accumulated gradient, then fetch the
/// parameters), run either inline or, with overlap, on a background thread while the model
/// computes its next steps: Downpour's asynchronous fetch and push. One exchange is in flight
/// at a time; `wait` returns when it is done and rethrows its error.
class Exchanger {
 public:
  Exchanger(dist::PsClient& client, std::size_t n, bool overlap)
      : client_(client), grad_(n, 0.0f), params_(n), overlap_(overlap) {
    if (overlap_) thread_ = std::thread([this] { loop(); });
  }
  ~Exchanger() {
    if (!overlap_) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Exchanger(const Exchanger&) = delete;
  Exchanger& operator=(const Exchanger&) = delete;

  /// Starts an exchange: pushes `grad` (when `push`; swapped out, so the caller gets back a
  /// zeroed buffer) as computed from `versions`, then fetches (when `fetch`). The previous
  /// exchange must have been waited for.
  void start(std::vector<float>& grad, bool push, const std::vector<std::int64_t>& versions, bool fetch) {
    if (push) grad.swap(grad_);
    push_ = push;
    fetch_ = fetch;
    push_versions_ = versions;
    if (!overlap_) {
      run();
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    busy_ = true;
    cv_.notify_all();
  }

  /// Waits for the exchange in flight (if any); rethrows its error. Returns whether it fetched
  /// parameters not yet taken (then in parameters() and versions()).
  bool wait() {
    if (overlap_) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_cv_.wait(lock, [this] { return !busy_; });
    }
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return std::exchange(fetched_, false);
  }

  const std::vector<float>& parameters() const { return params_; }
  const std::vector<std::int64_t>& versions() const { return fetched_versions_; }
  std::int64_t pushes() const { return pushes_; }
  std::int64_t stale_pushes() const { return stale_; }
  double push_s() const { return push_s_; }
  double fetch_s() const { return fetch_s_; }

 private:

  void run() {
    try {
      if (push_) {
        const auto t0 = Clock::now();
        const auto out = client_.push(grad_.data(), push_versions_);
        ++pushes_;
        stale_ += out.stale;
        std::fill(grad_.begin(), grad_.end(), 0.0f);
        push_s_ += seconds_since(t0);
      }
      if (fetch_) {
        const auto t0 = Clock::now();
        fetched_versions_ = client_.fetch(params_.data());
        fetched_ = true;
        fetch_s_ += seconds_since(t0);
      }
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || busy_; });
      if (stop_) return;
      lock.unlock();
      run();
      lock.lock();
      busy_ = false;
      done_cv_.notify_all();
    }
  }

  dist::PsClient& client_;
  std::vector<float> grad_;                  // the gradient being pushed
  std::vector<float> params_;                // the parameters fetched
  std::vector<std::int64_t> push_versions_, fetched_versions_;
  bool push_ = false, fetch_ = false, fetched_ = false;
  std::exception_ptr error_;
  std::int64_t pushes_ = 0, stale_ = 0;
  double push_s_ = 0.0, fetch_s_ = 0.0;
  const bool overlap_;
  std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  bool busy_ = false, stop_ = false;
  std::thread thread_;
};

/// Whether row `row` of run `run` is in the seeded voxel subset (train.voxel_fraction).
bool keep_row(std::uint64_t seed, std::int64_t run, std::int64_t row, double fraction) {
  if (fraction >= 1.0) return true;
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL ^ (static_cast<std::uint64_t>(run) << 40) ^ static_cast<std::uint64_t>(row);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return static_cast<double>(x >> 11) / 9007199254740992.0 < fraction;
}

}  // namespace

dist::PartitionPlan partition_plan(const model::ModelConfig& c, const std::vector<fs::path>& shards, std::int64_t block_rows,
                                   std::int64_t warmup_steps) {
  dist::PartitionPlan p;
  for (const auto& s : shards) p.run_rows.push_back(io::read_shard_info(s).n_voxels);
  p.block_rows = block_rows;
  p.epochs = c.epochs;
  p.target_loss = c.target_loss;
  p.seed = c.seed;
  p.warmup_steps = warmup_steps;
  if (p.epochs == 0 && p.target_loss <= 0) {
    throw usage_error("distributed training needs a stop: train.epochs or train.target_loss (train.max_steps is not used)");
  }
  return p;
}

WorkerSummary run_worker(const WorkerSettings& s) {
  if (s.n_fetch < 1 || s.n_push < 1) throw usage_error("--n-fetch and --n-push must be ≥ 1");
  if (s.shards.empty()) throw usage_error("no shards to train on");
  const model::ModelConfig& cfg = s.config;
  const torch::Device device = model::parse_device(s.device);
  model::configure_allocator();
  model::ShardSampler data(s.shards, 1.0, cfg.seed, cfg.cache_mb);
  const std::int64_t t = data.length();
  model::validate(cfg, t);
  const dist::PartitionPlan plan = partition_plan(cfg, s.shards, s.block_rows, s.warmup_steps);

  torch::manual_seed(cfg.seed);  // every worker builds the same initial model
  model::Autoencoder net(cfg, t);
  net->to(device);
  net->train();
  ModelBinding binding(net);
  const auto n = static_cast<std::size_t>(binding.size());

  dist::PsClient client(s.client);
  client.connect();
  if (client.num_shards() > binding.size()) throw usage_error("more shards than parameters");
  std::vector<float> grad(n, 0.0f);  // accumulated since the last push
  if (!client.initialized()) {
    std::vector<float> params(n);
    binding.read_parameters(params.data());
    client.initialize(params, dist::AdagradSettings{cfg.learning_rate, cfg.initial_accumulator, cfg.eps}, plan);
  } else if (client.total_size() != binding.size()) {
    throw usage_error("the servers hold " + std::to_string(client.total_size()) + " parameters, this model has " +
                      std::to_string(binding.size()) + " (another model configuration or input length?)");
  }
  log::info("worker ", client.worker_id(), ": ", binding.size(), " parameters over ", client.num_shards(), " shard(s), T = ", t);

  std::atomic<std::int64_t> steps{0};
  WorkerSummary sum;
  double loss_total = 0.0;
  std::vector<float> batch(static_cast<std::size_t>(cfg.batch_size * t));
  std::vector<std::int64_t> versions;    // of the parameters the model holds
  std::int64_t since_fetch = s.n_fetch;  // fetch before the first step
  std::int64_t pending = 0;              // gradients accumulated since the last push
  // Four heartbeats a second: well inside any lease timeout the servers accept (≥ 0.5 s from
  // dcae-train), and a few bytes each.
  Heartbeat heartbeat(client, 0.25, steps);
  Exchanger exchange(client, n, s.overlap);
  bool waiting_logged = false;

  // Waits for the exchange in flight and puts the parameters it fetched into the model.
  auto finish_exchange = [&] {
    const auto t0 = Clock::now();
    const bool fetched = exchange.wait();
    sum.wait_s += seconds_since(t0);
    if (fetched) {
      binding.write_parameters(exchange.parameters().data());
      versions = exchange.versions();
    }
  };
  // Pushes the mean of the pending gradients (computed from `versions`) and/or fetches. With
  // overlap the model goes on computing with the parameters it has; their update lands at the
  // next exchange (one exchange of extra staleness). `wait`: finish before returning.
  auto start_exchange = [&](bool fetch, bool wait) {
    const bool push = pending > 0;
    if (!push && !fetch) return;
    const std::vector<std::int64_t> computed_from = versions;  // before a fetched update lands
    finish_exchange();
    if (push) {
      const float scale = 1.0f / static_cast<float>(pending);
      for (auto& g : grad) g *= scale;
    }
    exchange.start(grad, push, computed_from, fetch);
    pending = 0;
    if (fetch) since_fetch = 0;
    if (wait || !s.overlap) finish_exchange();
  };

  while (true) {
    auto t_coord = Clock::now();
    const dist::LeaseAnswer a = client.lease(steps.load());
    if (a.kind == dist::LeaseAnswer::Kind::kDone) break;
    if (a.kind == dist::LeaseAnswer::Kind::kWait) {
      if (!waiting_logged) log::info("waiting (warm-up, or every remaining partition is leased)");
      waiting_logged = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      sum.coordination_s += seconds_since(t_coord);
      continue;
    }
    sum.coordination_s += seconds_since(t_coord);
    waiting_logged = false;
    const dist::PartitionTask& task = a.task;
    if (task.run < 0 || task.run >= static_cast<std::int64_t>(s.shards.size()) || task.first_row < 0 ||
        task.first_row + task.rows > data.rows(static_cast<std::int32_t>(task.run))) {
      throw runtime_error("the coordinator handed out partition " + std::to_string(task.index) +
                          " outside the shards given to this worker (run " + std::to_string(task.run) + ")");
    }
    std::vector<model::SampleRef> refs;
    for (std::int64_t r = task.first_row; r < task.first_row + task.rows; ++r) {
      if (keep_row(cfg.seed, task.run, r, cfg.voxel_fraction)) refs.push_back({static_cast<std::int32_t>(task.run), r});
    }
    std::mt19937_64 rng(cfg.seed ^ (static_cast<std::uint64_t>(task.epoch) << 32) ^ static_cast<std::uint64_t>(task.index));
    std::shuffle(refs.begin(), refs.end(), rng);
    double part_loss = 0.0;
    std::int64_t part_steps = 0;
    for (std::size_t first = 0; first < refs.size(); first += static_cast<std::size_t>(cfg.batch_size)) {
      const auto count = static_cast<std::int64_t>(std::min<std::size_t>(static_cast<std::size_t>(cfg.batch_size), refs.size() - first));
      // The first fetch of the job is waited for: the model must start from the servers' values.
      if (since_fetch >= s.n_fetch) start_exchange(true, versions.empty());
      const auto t_step = Clock::now();
      std::vector<model::SampleRef> b(refs.begin() + static_cast<std::ptrdiff_t>(first),
                                      refs.begin() + static_cast<std::ptrdiff_t>(first) + count);
      data.fill(b, batch.data());
      auto x = torch::from_blob(batch.data(), {count, 1, t}, torch::kFloat32).to(device);
      net->zero_grad();
      auto out = net->forward(x);
      auto loss = model::autoencoder_loss(out, x, cfg);
      loss.backward();
      const double l = loss.item<double>();
      if (!std::isfinite(l)) throw runtime_error("training diverged: the loss is not finite at step " + std::to_string(steps.load()));
      binding.add_gradients(grad.data());
      ++pending;
      ++since_fetch;
      sum.compute_s += seconds_since(t_step);
      part_loss += l;
      ++part_steps;
      loss_total += l;
      ++steps;
      if (pending >= s.n_push && since_fetch < s.n_fetch) start_exchange(false, false);
    }
    // The partition's gradients reach the servers before it is reported complete.
    start_exchange(false, true);
    finish_exchange();
    const double mean = part_steps > 0 ? part_loss / static_cast<double>(part_steps) : 0.0;
    t_coord = Clock::now();
    const bool accepted = client.complete(task.lease_id, mean, part_steps);
    sum.coordination_s += seconds_since(t_coord);
    if (accepted) {
      ++sum.partitions;
      log::debug("partition ", task.index, " of epoch ", task.epoch, " (run ", task.run, ", rows ", task.first_row, "+",
                 task.rows, "): mean loss ", mean);
    } else {
      log::warn("partition ", task.index, " of epoch ", task.epoch, ": lease had expired, another worker trains it");
    }
  }
  finish_exchange();
  sum.steps = steps.load();
  sum.mean_loss = sum.steps > 0 ? loss_total / static_cast<double>(sum.steps) : 0.0;
  sum.pushes = exchange.pushes();
  sum.stale_pushes = exchange.stale_pushes();
  sum.push_s = exchange.push_s();
  sum.fetch_s = exchange.fetch_s();
  log::info("worker ", client.worker_id(), " done: ", sum.steps, " steps, ", sum.partitions, " partitions, ", sum.pushes,
            " pushes (", sum.stale_pushes, " stale), mean loss ", sum.mean_loss, "; seconds: compute ", sum.compute_s,
            ", push ", sum.push_s, ", fetch ", sum.fetch_s, (s.overlap ? " (in the background)" : ""),
            ", waiting for exchanges ", sum.wait_s, ", leases and waiting for partitions ", sum.coordination_s);
  return sum;
}

}  // namespace dcae::app
