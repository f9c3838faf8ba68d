// The Downpour worker loop over a fake replica, against a real parameter server in this
// process: the loop, not the model, is what is tested.
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "core/error.h"
#include "ps/server.h"
#include "ps/task_client.h"
#include "test_data.h"
#include "train/downpour.h"

namespace dcae::train {
namespace {

const std::string kToken = "downpour-test-token";

/// A replica whose loss is ½‖θ − target‖² for every sample: its gradient is θ − target.
class FakeReplica final : public Replica {
public:
  FakeReplica(std::vector<float> initial, std::vector<float> target, std::int64_t rows_per_run)
      : theta_(std::move(initial)), target_(std::move(target)), rows_(rows_per_run) {}
  std::int64_t size() const override { return static_cast<std::int64_t>(theta_.size()); }
  void get_parameters(float* out) const override { std::copy(theta_.begin(), theta_.end(), out); }
  void set_parameters(const float* in) override {
    std::copy(in, in + theta_.size(), theta_.begin());
    ++sets;
  }
  double step(const std::vector<model::SampleRef>& batch, float* accumulator) override {
    if (sets == 0) throw std::logic_error("a step before the servers' parameters were set");
    double loss = 0;
    for (std::size_t i = 0; i < theta_.size(); ++i) {
      const double d = theta_[i] - target_[i];
      loss += 0.5 * d * d;
      accumulator[i] += static_cast<float>(d);
    }
    samples += static_cast<std::int64_t>(batch.size());
    std::this_thread::sleep_for(
        std::chrono::milliseconds(2)); // a step takes time, so both workers get partitions
    for (const auto& r : batch)
      if (!selected(r.shard, r.row)) throw std::logic_error("an unselected row was trained on");
    return loss;
  }
  std::int32_t runs() const override { return 2; }
  std::int64_t rows(std::int32_t) const override { return rows_; }
  bool selected(std::int32_t, std::int64_t row) const override {
    return row % 10 != 3;
  } // 90% of the rows

  std::atomic<int> sets{0};
  std::atomic<std::int64_t> samples{0};

private:
  std::vector<float> theta_, target_;
  std::int64_t rows_;
};

model::ModelConfig fake_config(std::int64_t epochs = 4, double learning_rate = 0.5) {
  model::ModelConfig c;
  c.batch_size = 25;
  c.epochs = epochs;
  c.learning_rate = learning_rate;
  c.initial_accumulator = 0.1;
  return c;
}

ps::PartitionPlan plan_for(const model::ModelConfig& c, const ExchangeSettings& ex) {
  ps::PartitionPlan p;
  p.run_rows = {200, 200};
  p.block_rows = ex.block_rows;
  p.epochs = c.epochs;
  p.seed = c.seed;
  p.warmup_steps = ex.warmup_steps;
  return p;
}

struct Result {
  std::vector<WorkerSummary> workers;
  std::vector<float> final;
  ps::CoordinatorStatus status;
  std::vector<std::int64_t> samples;
};

/// Runs `n` workers (threads) with `ex` for `epochs` against one server with `shards` shards.
Result run(int n, const ExchangeSettings& ex, int shards = 1, std::int64_t epochs = 4,
           double learning_rate = 0.5) {
  ps::ServerOptions so;
  so.token = kToken;
  so.num_shards = shards;
  so.checkpoint_every_s = 0;
  ps::ParameterServer server(so);
  server.start();
  ps::ClientOptions co;
  co.servers = {"127.0.0.1:" + std::to_string(server.port())};
  co.token = kToken;
  co.retry_budget_s = 5;
  co.fp16 = ex.fp16;
  const std::vector<float> initial(40, 0.0f);
  std::vector<float> target(40);
  for (std::size_t i = 0; i < target.size(); ++i) target[i] = std::sin(static_cast<float>(i));
  const model::ModelConfig cfg = fake_config(epochs, learning_rate);
  Result r;
  r.workers.resize(static_cast<std::size_t>(n));
  std::vector<std::unique_ptr<FakeReplica>> replicas;
  for (int w = 0; w < n; ++w)
    replicas.push_back(std::make_unique<FakeReplica>(initial, target, 200));
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
  for (int w = 0; w < n; ++w) {
    threads.emplace_back([&, w] {
      try {
        ps::ClientOptions mine = co;
        mine.worker_name = "fake " + std::to_string(w);
        ps::Client client(mine);
        r.workers[static_cast<std::size_t>(w)] = run_downpour(
            *replicas[static_cast<std::size_t>(w)], client, cfg, ex, plan_for(cfg, ex));
      } catch (...) {
        errors[static_cast<std::size_t>(w)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  ps::ClientOptions observer = co;
  observer.observer = true;
  observer.fp16 = false;
  ps::Client client(observer);
  client.connect();
  r.final.resize(initial.size());
  client.fetch(r.final.data());
  r.status = ps::TaskClient(client).status().coordination;
  for (const auto& rep : replicas) r.samples.push_back(rep->samples.load());
  server.shutdown();
  double err = 0;
  for (std::size_t i = 0; i < target.size(); ++i)
    err = std::max(err, std::fabs(static_cast<double>(r.final[i] - target[i])));
  std::cerr << n << " worker(s): largest |θ − target| " << err << "\n";
  EXPECT_LT(err, 0.05)
      << "the servers' parameters reach the target the workers' gradients point to";
  return r;
}

TEST(Downpour, TwoWorkersTrainEveryPartitionOfEveryEpochAndConverge) {
  ExchangeSettings ex;
  ex.block_rows = 50;
  ex.warmup_steps = 4;
  const Result r = run(2, ex, 1, 8, 0.25);
  EXPECT_TRUE(r.status.finished);
  EXPECT_EQ(r.status.partitions_per_epoch, 8);
  EXPECT_EQ(r.status.partitions_completed, 8 * 8);
  EXPECT_TRUE(r.status.warmup_done);
  std::int64_t partitions = 0, samples = 0;
  for (std::size_t w = 0; w < 2; ++w) {
    partitions += r.workers[w].partitions;
    samples += r.samples[w];
    EXPECT_GT(r.workers[w].partitions, 0) << "worker " << w << " trained";
    EXPECT_EQ(r.workers[w].pushes, r.workers[w].steps) << "n_push 1: one push per step";
    EXPECT_GT(r.workers[w].fetch_s + r.workers[w].push_s, 0.0);
  }
  EXPECT_EQ(partitions, 64);
  EXPECT_EQ(samples, 8 * 2 * 180) << "every epoch trains each selected row once (90% of 2 x 200)";
}

TEST(Downpour, OverlappedAndBatchedExchangesConvergeToo) {
  ExchangeSettings ex;
  ex.block_rows = 100;
  ex.n_push = 2;
  ex.n_fetch = 2;
  ex.overlap = true;
  ex.warmup_steps = 0;
  // One exchange of extra staleness: a smaller step and more epochs to converge.
  const Result r = run(2, ex, 2, 16, 0.25);
  EXPECT_EQ(r.status.partitions_completed, 16 * 4);
  for (const auto& w : r.workers) {
    EXPECT_LT(w.pushes, w.steps) << "pushes every 2 steps (and at each partition's end)";
    EXPECT_GT(w.pushes, w.steps / 2 - 1);
  }
}

TEST(Downpour, ExchangeSettingsThatCannotWorkAreUsageErrors) {
  ExchangeSettings ex;
  ex.n_push = 0;
  FakeReplica replica(std::vector<float>(4, 0.0f), std::vector<float>(4, 1.0f), 10);
  ps::ClientOptions co;
  co.servers = {"127.0.0.1:1"};
  co.token = kToken;
  ps::Client client(co);
  test::expect_error([&] { run_downpour(replica, client, fake_config(), ex, {}); },
                     ExitCode::kBadUsage, {"--n-push"});
}

} // namespace
} // namespace dcae::train
