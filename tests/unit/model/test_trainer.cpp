#include <algorithm>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/log.h"
#include "io/shard.h"
#include "model/trainer.h"
#include "sim/simulator.h"
#include "simulated_shard.h"
#include "test_data.h"

namespace fs = std::filesystem;

namespace dcae::model {
namespace {

/// z-scored in-brain series of a small simulated run, as a shard.
fs::path simulated_shard(const test::TempDir& dir, int run) {
  sim::SimulationConfig c;
  c.grid = {20, 24, 18};
  c.voxel_mm = {8, 8, 8};
  c.tr_s = 2.0;
  c.volumes = 60;
  c.motion_mm = c.motion_deg = 0;
  return test::write_simulated_shard(dir / ("run" + std::to_string(run) + ".npy"), c, 0, run);
}

ModelConfig small_config() {
  ModelConfig c;
  c.channels = {8, 8};
  c.batch_size = 64;
  c.epochs = 0;
  c.max_steps = 40;
  c.checkpoint_every = 0;
  c.learning_rate = 0.02;
  return c;
}

std::vector<torch::Tensor> params_of(const fs::path& checkpoint) {
  std::vector<torch::Tensor> p;
  for (const auto& t : load_checkpoint(checkpoint).model->parameters())
    p.push_back(t.detach().clone());
  return p;
}

} // namespace

/// Trains `c` for 600 steps on two simulated runs; returns the mean loss and reconstruction
/// MSE of the first and the last 10 steps, from the loss log.
struct LossFall {
  double first = 0, last = 0, first_mse = 0, last_mse = 0;
};

LossFall train_600(ModelConfig c) {
  torch::set_num_threads(1);
  test::TempDir dir;
  const std::vector<fs::path> shards = {simulated_shard(dir, 0), simulated_shard(dir, 1)};
  c.max_steps = 600;
  TrainOptions o;
  o.checkpoint = dir / "model.pt";
  o.loss_log = dir / "loss.tsv";
  const TrainResult r = train(c, shards, o);
  EXPECT_EQ(r.steps, 600);
  EXPECT_EQ(r.stop_reason, "max_steps");
  std::ifstream log(o.loss_log);
  std::string header;
  std::getline(log, header);
  EXPECT_EQ(header, "step\tepoch\tloss\tmse");
  std::vector<double> losses, mses;
  std::int64_t step, epoch;
  double loss, mse;
  while (log >> step >> epoch >> loss >> mse) losses.push_back(loss), mses.push_back(mse);
  EXPECT_EQ(losses.size(), 600u);
  LossFall f;
  for (std::size_t i = 0; i < 10 && losses.size() >= 10; ++i) {
    const std::size_t j = losses.size() - 1 - i;
    f.first += losses[i] / 10, f.last += losses[j] / 10, f.first_mse += mses[i] / 10,
        f.last_mse += mses[j] / 10;
  }
  std::printf("loss: first 10 steps %.4f (MSE %.4f), last 10 steps %.4f (MSE %.4f)\n", f.first,
              f.first_mse, f.last, f.last_mse);
  return f;
}

TEST(Trainer, LossFallsOnSimulatedData) {
  // z-scored series: predicting zeros costs an MSE of 1. The earlier over-complete layout
  // (feature size channels·T/4, no consistency term; measured: 0.99 over the first 10 steps,
  // 0.39 over the last 10).
  ModelConfig wide = small_config();
  wide.features = wide.bottom_size(60);
  wide.consistency = 0.0;
  const LossFall w = train_600(wide);
  EXPECT_GT(w.first, 0.9);
  EXPECT_LT(w.last, 0.6);
  // The paper's model (feature as long as the series, consistency term): a narrower code, so
  // a higher floor, but the reconstruction error still falls well below the variance.
  const LossFall p = train_600(small_config());
  EXPECT_GT(p.first_mse, 0.9);
  EXPECT_LT(p.last_mse, 0.75 * p.first_mse);
  EXPECT_LT(p.last, p.first);
}

TEST(Trainer, HeldOutVoxelsMeasureTheValidationLossAndStopAPlateau) {
  torch::set_num_threads(1);
  test::TempDir dir;
  const std::vector<fs::path> shards = {simulated_shard(dir, 0), simulated_shard(dir, 1)};
  // The held-out voxels are never drawn for training; each run keeps its share of them.
  ShardSampler all(shards, 1.0, 1, 64), split(shards, 1.0, 1, 64, 0.1);
  EXPECT_EQ(split.size() + static_cast<std::int64_t>(split.validation().size()), all.size());
  EXPECT_NEAR(static_cast<double>(split.validation().size()) / static_cast<double>(all.size()), 0.1,
              0.01);
  std::set<std::pair<std::int32_t, std::int64_t>> held;
  for (const auto& r : split.validation()) held.insert({r.shard, r.row});
  EXPECT_TRUE(held.count({0, split.validation().front().row}));
  EXPECT_TRUE(std::any_of(split.validation().begin(), split.validation().end(),
                          [](const SampleRef& r) { return r.shard == 1; }));
  for (std::int64_t e = 0; e < 3; ++e)
    for (const auto& r : split.epoch_order(e))
      ASSERT_FALSE(held.count({r.shard, r.row})) << "a held-out voxel was drawn";

  // A plateau: with min_delta 50%, the second epoch already fails to improve enough.
  ModelConfig c = small_config();
  c.max_steps = 0;
  c.epochs = 50;
  c.patience = 2;
  c.min_delta = 0.5;
  TrainOptions o;
  o.checkpoint = dir / "model.pt";
  o.validation_log = dir / "validation.tsv";
  const TrainResult r = train(c, shards, o);
  EXPECT_EQ(r.stop_reason, "plateau");
  EXPECT_EQ(r.epochs, 3); // epoch 1 sets the best, epochs 2 and 3 do not beat it by half
  EXPECT_GT(r.validation_loss, 0.0);
  std::ifstream v(o.validation_log);
  std::string header, line;
  std::getline(v, header);
  EXPECT_EQ(header, "epoch\tstep\ttrain_loss\tvalidation_loss\tvalidation_mse");
  int rows = 0;
  while (std::getline(v, line)) ++rows;
  EXPECT_EQ(rows, 3);
  // Without patience, the epochs are the limit.
  c.patience = 0;
  c.epochs = 4;
  EXPECT_EQ(train(c, shards, o).stop_reason, "epochs");
}

TEST(Trainer, ResumedRunEndsWithTheSameParameters) {
  torch::set_num_threads(1);
  test::TempDir dir;
  const std::vector<fs::path> shards = {simulated_shard(dir, 0)};
  ModelConfig c = small_config();
  c.max_steps = 30;
  c.checkpoint_every = 7;
  TrainOptions whole;
  whole.checkpoint = dir / "whole.pt";
  train(c, shards, whole);
  TrainOptions part;
  part.checkpoint = dir / "part.pt";
  part.stop_after_steps = 13; // interrupted mid-epoch, after a checkpoint at 7 and the final save
  EXPECT_EQ(train(c, shards, part).stop_reason, "interrupted");
  EXPECT_EQ(load_checkpoint(part.checkpoint).step, 13);
  part.stop_after_steps = 0;
  part.resume = true;
  EXPECT_EQ(train(c, shards, part).steps, 30);
  const auto a = params_of(whole.checkpoint), b = params_of(part.checkpoint);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
}

TEST(Trainer, CheckpointOfAnotherArchitectureIsRefused) {
  torch::set_num_threads(1);
  test::TempDir dir;
  const std::vector<fs::path> shards = {simulated_shard(dir, 0)};
  ModelConfig c = small_config();
  c.max_steps = 2;
  TrainOptions o;
  o.checkpoint = dir / "m.pt";
  train(c, shards, o);
  ModelConfig other = c;
  other.channels = {4};
  o.resume = true;
  try {
    train(other, shards, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint of another architecture"), std::string::npos)
        << e.what();
  }
  test::put(dir / "junk.pt", "not a checkpoint");
  test::expect_error([&] { load_checkpoint(dir / "junk.pt"); }, ExitCode::kBadInput,
                     {"junk.pt: not a dcae checkpoint"});
  if (!torch::cuda::is_available()) {
    test::expect_error([] { parse_device("cuda:0"); }, ExitCode::kBadUsage,
                       {"--device cuda:0", "no CUDA"});
  }
  test::expect_error([] { parse_device("tpu"); }, ExitCode::kBadUsage, {"cpu or cuda:N"});
}

} // namespace dcae::model
