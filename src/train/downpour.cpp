#include "train/downpour.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "ps/task_client.h"
#include "train/torch_replica.h"

namespace dcae::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Keeps the worker's lease alive from a background thread.
class Heartbeat {
public:
  Heartbeat(ps::TaskClient& tasks, double period_s, const std::atomic<std::int64_t>& steps)
      : tasks_(tasks), steps_(steps), thread_([this, period_s] { loop(period_s); }) {}
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
        tasks_.heartbeat(steps_.load());
      } catch (const std::exception& e) {
        log::warn("heartbeat failed: ", e.what());
      }
      lock.lock();
    }
  }
  ps::TaskClient& tasks_;
  const std::atomic<std::int64_t>& steps_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

/// The worker's exchanges with the servers: push the mean of the accumulated gradients, then
/// fetch the parameters, through the client's asynchronous calls. Waited for at once unless
/// `overlap`; then the replica computes on while the exchange runs, and takes the fetched
/// parameters at the next exchange (one exchange of extra staleness).
class Exchange {
public:
  Exchange(ps::Client& client, Replica& replica, bool overlap)
      : client_(client), replica_(replica), overlap_(overlap),
        grad_(static_cast<std::size_t>(replica.size()), 0.0f), pushing_(grad_.size()),
        fetched_(grad_.size()) {}

  /// The accumulator the replica's steps add to.
  float* gradient() { return grad_.data(); }
  void accumulated() { ++pending_; }
  std::int64_t pending() const { return pending_; }
  bool has_parameters() const { return !versions_.empty(); }

  /// Starts an exchange (push when gradients are pending; fetch when `fetch`); with `wait`, or
  /// without overlap, finishes it before returning.
  void start(bool fetch, bool wait, WorkerSummary& sum) {
    const bool push = pending_ > 0;
    if (!push && !fetch) return;
    const std::vector<std::int64_t> computed_from = versions_; // before a fetched update lands
    finish(sum);
    if (push) {
      const float scale = 1.0f / static_cast<float>(pending_);
      for (std::size_t i = 0; i < grad_.size(); ++i) pushing_[i] = grad_[i] * scale;
      std::fill(grad_.begin(), grad_.end(), 0.0f);
      ticket_ = client_.push_async(pushing_.data(), computed_from, &outcome_);
      push_in_flight_ = true;
      pending_ = 0;
    }
    if (fetch) {
      ticket_ = client_.fetch_async(fetched_.data(), &fetched_versions_, &fetch_seconds_);
      fetch_in_flight_ = true;
    }
    if (wait || !overlap_) finish(sum);
  }

  /// Waits for the exchange in flight; puts the parameters it fetched into the replica.
  void finish(WorkerSummary& sum) {
    if (ticket_ == 0) return;
    const auto t0 = Clock::now();
    client_.wait(std::exchange(ticket_, 0));
    sum.wait_s += seconds_since(t0);
    if (push_in_flight_) {
      ++sum.pushes;
      sum.stale_pushes += outcome_.stale;
      sum.push_s += outcome_.seconds;
      push_in_flight_ = false;
    }
    if (fetch_in_flight_) {
      replica_.set_parameters(fetched_.data());
      versions_ = fetched_versions_;
      sum.fetch_s += fetch_seconds_;
      fetch_in_flight_ = false;
    }
  }

private:
  ps::Client& client_;
  Replica& replica_;
  const bool overlap_;
  std::vector<float> grad_, pushing_, fetched_;
  std::vector<std::int64_t> versions_,
      fetched_versions_; // of the replica's parameters; of the fetch
  std::int64_t pending_ = 0;
  ps::Client::Ticket ticket_ = 0;
  bool push_in_flight_ = false, fetch_in_flight_ = false;
  ps::PushOutcome outcome_;
  double fetch_seconds_ = 0.0;
};

} // namespace

WorkerSummary run_downpour(Replica& replica, ps::Client& client, const model::ModelConfig& cfg,
                           const ExchangeSettings& ex, const ps::PartitionPlan& plan) {
  if (ex.n_fetch < 1 || ex.n_push < 1) throw usage_error("--n-fetch and --n-push must be ≥ 1");
  client.connect();
  ps::TaskClient tasks(client);
  if (client.num_shards() > replica.size()) throw usage_error("more shards than parameters");
  if (!client.initialized()) {
    std::vector<float> params(static_cast<std::size_t>(replica.size()));
    replica.get_parameters(params.data());
    client.initialize(
        params, ps::AdagradSettings{cfg.learning_rate, cfg.initial_accumulator, cfg.eps}, plan);
  } else if (client.total_size() != replica.size()) {
    throw usage_error("the servers hold " + std::to_string(client.total_size()) +
                      " parameters, this model has " + std::to_string(replica.size()) +
                      " (another model configuration or input length?)");
  }
  log::info("worker ", tasks.worker_id(), ": ", replica.size(), " parameters over ",
            client.num_shards(), " shard(s)");

  std::atomic<std::int64_t> steps{0};
  WorkerSummary sum;
  double loss_total = 0.0;
  std::int64_t since_fetch = ex.n_fetch; // fetch before the first step
  // Four heartbeats a second: well inside any lease timeout the servers accept (≥ 0.5 s), and
  // a few bytes each.
  Heartbeat heartbeat(tasks, 0.25, steps);
  Exchange exchange(client, replica, ex.overlap);
  bool waiting_logged = false;

  while (true) {
    auto t_coord = Clock::now();
    const ps::LeaseAnswer a = tasks.lease(steps.load());
    if (a.kind == ps::LeaseAnswer::Kind::kDone) break;
    if (a.kind == ps::LeaseAnswer::Kind::kWait) {
      if (!waiting_logged) log::info("waiting (warm-up, or every remaining partition is leased)");
      waiting_logged = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      sum.coordination_s += seconds_since(t_coord);
      continue;
    }
    sum.coordination_s += seconds_since(t_coord);
    waiting_logged = false;
    const ps::PartitionTask& task = a.task;
    if (task.run < 0 || task.run >= replica.runs() || task.first_row < 0 ||
        task.first_row + task.rows > replica.rows(static_cast<std::int32_t>(task.run))) {
      throw runtime_error("the coordinator handed out partition " + std::to_string(task.index) +
                          " outside the shards given to this worker (run " +
                          std::to_string(task.run) + ")");
    }
    std::vector<model::SampleRef> refs;
    for (std::int64_t r = task.first_row; r < task.first_row + task.rows; ++r)
      if (replica.selected(static_cast<std::int32_t>(task.run), r))
        refs.push_back({static_cast<std::int32_t>(task.run), r});
    std::mt19937_64 rng(cfg.seed ^ (static_cast<std::uint64_t>(task.epoch) << 32) ^
                        static_cast<std::uint64_t>(task.index));
    std::shuffle(refs.begin(), refs.end(), rng);
    double part_loss = 0.0;
    std::int64_t part_steps = 0;
    for (std::size_t first = 0; first < refs.size();
         first += static_cast<std::size_t>(cfg.batch_size)) {
      const auto count =
          std::min<std::size_t>(static_cast<std::size_t>(cfg.batch_size), refs.size() - first);
      // The first fetch of the job is waited for: the replica must start from the servers' values.
      if (since_fetch >= ex.n_fetch) {
        exchange.start(true, !exchange.has_parameters(), sum);
        since_fetch = 0;
      }
      const auto t_step = Clock::now();
      const std::vector<model::SampleRef> b(refs.begin() + static_cast<std::ptrdiff_t>(first),
                                            refs.begin() +
                                                static_cast<std::ptrdiff_t>(first + count));
      const double l = replica.step(b, exchange.gradient());
      exchange.accumulated();
      ++since_fetch;
      sum.compute_s += seconds_since(t_step);
      part_loss += l;
      ++part_steps;
      loss_total += l;
      ++steps;
      if (exchange.pending() >= ex.n_push && since_fetch < ex.n_fetch)
        exchange.start(false, false, sum);
    }
    // The partition's gradients reach the servers before it is reported complete.
    exchange.start(false, true, sum);
    exchange.finish(sum);
    const double mean = part_steps > 0 ? part_loss / static_cast<double>(part_steps) : 0.0;
    t_coord = Clock::now();
    const bool accepted = tasks.complete(task.lease_id, mean, part_steps);
    sum.coordination_s += seconds_since(t_coord);
    if (accepted) {
      ++sum.partitions;
      log::debug("partition ", task.index, " of epoch ", task.epoch, " (run ", task.run, ", rows ",
                 task.first_row, "+", task.rows, "): mean loss ", mean);
    } else {
      log::warn("partition ", task.index, " of epoch ", task.epoch,
                ": lease had expired, another worker trains it");
    }
  }
  exchange.finish(sum);
  sum.steps = steps.load();
  sum.mean_loss = sum.steps > 0 ? loss_total / static_cast<double>(sum.steps) : 0.0;
  log::info("worker ", tasks.worker_id(), " done: ", sum.steps, " steps, ", sum.partitions,
            " partitions, ", sum.pushes, " pushes (", sum.stale_pushes, " stale), mean loss ",
            sum.mean_loss, "; seconds: compute ", sum.compute_s, ", push ", sum.push_s, ", fetch ",
            sum.fetch_s, (ex.overlap ? " (in the background)" : ""), ", waiting for exchanges ",
            sum.wait_s, ", leases and waiting for partitions ", sum.coordination_s);
  return sum;
}

WorkerSummary run_worker(const WorkerSettings& s) {
  if (s.shards.empty()) throw usage_error("no shards to train on");
  const ps::PartitionPlan plan = partition_plan(s.config, s.shards, s.exchange);
  const auto replica = make_torch_replica(s.config, s.shards, s.device);
  ps::Client client(s.client);
  return run_downpour(*replica, client, s.config, s.exchange, plan);
}

} // namespace dcae::train
