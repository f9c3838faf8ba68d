#include <set>

#include <gtest/gtest.h>

#include "ps/coordinator.h"
#include "test_data.h"

namespace dcae::ps {
namespace {

using Clock = Coordinator::Clock;
using Kind = LeaseAnswer::Kind;

PartitionPlan plan(std::int64_t epochs = 2) {
  PartitionPlan p;
  p.run_rows = {250, 100};
  p.block_rows = 100; // run 0: 100, 100, 50; run 1: 100 → 4 partitions
  p.epochs = epochs;
  return p;
}

TEST(Coordinator, PartitionsAreRunsTimesVoxelBlocks) {
  Coordinator c(plan(), 5.0);
  EXPECT_EQ(c.partitions_per_epoch(), 4);
  const auto t = Clock::now();
  const auto w = c.register_worker(t);
  std::int64_t rows = 0;
  std::set<std::pair<std::int64_t, std::int64_t>> seen;
  for (int i = 0; i < 4; ++i) {
    const auto a = c.lease(c.register_worker(t), 0, t);
    ASSERT_EQ(a.kind, Kind::kPartition);
    EXPECT_EQ(a.task.epoch, 0);
    rows += a.task.rows;
    seen.insert({a.task.run, a.task.first_row});
  }
  EXPECT_EQ(rows, 350);
  EXPECT_EQ(seen.size(), 4U);
  EXPECT_TRUE(seen.count({0, 200}));
  // Epoch 1 opens while epoch 0's partitions are still leased.
  EXPECT_EQ(c.lease(w, 0, t).task.epoch, 1);
  EXPECT_EQ(c.lease(w, 0, t).task.epoch, 1);
}

TEST(Coordinator, EveryPartitionOfEveryEpochIsCompletedThenDone) {
  Coordinator c(plan(3), 5.0);
  const auto t = Clock::now();
  const auto a = c.register_worker(t);
  const auto b = c.register_worker(t);
  std::set<std::pair<std::int64_t, std::int64_t>> done;
  for (int i = 0; !c.finished() && i < 100; ++i) {
    const auto w = i % 2 ? a : b;
    const auto l = c.lease(w, 0, t);
    if (l.kind != Kind::kPartition) continue;
    EXPECT_TRUE(c.complete(w, l.task.lease_id, 1.0 / static_cast<double>(l.task.epoch + 1), 10, t));
    EXPECT_TRUE(done.insert({l.task.epoch, l.task.index}).second) << "partition handed out twice";
  }
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(done.size(), 12U);
  EXPECT_EQ(c.lease(a, 0, t).kind, Kind::kDone);
  const auto s = c.status();
  EXPECT_EQ(s.partitions_completed, 12);
  ASSERT_EQ(s.epoch_losses.size(), 3U);
  EXPECT_DOUBLE_EQ(s.epoch_losses.at(2).first, 1.0 / 3.0);
}

TEST(Coordinator, ASilentWorkerLosesItsLeaseToAnother) {
  Coordinator c(plan(1), 2.0);
  auto t = Clock::now();
  const auto a = c.register_worker(t);
  const auto b = c.register_worker(t);
  const auto la = c.lease(a, 0, t);
  ASSERT_EQ(la.kind, Kind::kPartition);
  // b keeps heart-beating, a falls silent.
  t += std::chrono::milliseconds(1500);
  c.heartbeat(b, 5, t);
  EXPECT_EQ(c.status().leases_expired, 0);
  t += std::chrono::milliseconds(1000);
  c.heartbeat(b, 6, t);
  EXPECT_EQ(c.status().leases_expired, 1);
  const auto lb = c.lease(b, 6, t);
  ASSERT_EQ(lb.kind, Kind::kPartition);
  EXPECT_EQ(lb.task.index, la.task.index) << "the lost partition comes first";
  EXPECT_FALSE(c.complete(a, la.task.lease_id, 0.5, 3, t)) << "an expired lease cannot complete";
  EXPECT_TRUE(c.complete(b, lb.task.lease_id, 0.5, 3, t));
  EXPECT_EQ(c.status().requeued_completed_by_other, 1);
  // b finishes the epoch alone.
  while (!c.finished()) {
    const auto l = c.lease(b, 0, t);
    ASSERT_EQ(l.kind, Kind::kPartition);
    EXPECT_TRUE(c.complete(b, l.task.lease_id, 0.5, 3, t));
  }
  EXPECT_EQ(c.status().partitions_completed, 4);
  EXPECT_EQ(c.status().partitions_by_worker.at(b), 4);
  EXPECT_EQ(c.status().partitions_by_worker.at(a), 0);
}

TEST(Coordinator, WaitsWhileEveryRemainingPartitionIsLeased) {
  Coordinator c(plan(1), 5.0);
  const auto t = Clock::now();
  std::vector<std::int64_t> leases;
  for (int i = 0; i < 4; ++i) {
    const auto l = c.lease(c.register_worker(t), 0, t);
    ASSERT_EQ(l.kind, Kind::kPartition);
    leases.push_back(l.task.lease_id);
  }
  const auto idle = c.register_worker(t);
  EXPECT_EQ(c.lease(idle, 0, t).kind, Kind::kWait) << "every partition of the only epoch is leased";
  EXPECT_TRUE(c.complete(0, leases[0], 0.5, 1, t));
  EXPECT_EQ(c.lease(idle, 0, t).kind, Kind::kWait);
  for (std::int64_t w = 1; w < 4; ++w)
    EXPECT_TRUE(c.complete(w, leases[static_cast<std::size_t>(w)], 0.5, 1, t));
  EXPECT_EQ(c.lease(idle, 0, t).kind, Kind::kDone);
}

TEST(Coordinator, APartitionStillHeldWhenAskingForTheNextGoesBackToTheQueue) {
  // After a coordinator restart, a restored lease may name a partition its worker finished
  // after the checkpoint: the worker asks for more work and that partition must not be lost.
  Coordinator c(plan(1), 5.0);
  const auto t = Clock::now();
  const auto a = c.register_worker(t);
  const auto first = c.lease(a, 0, t);
  const auto second = c.lease(a, 0, t);
  ASSERT_EQ(second.kind, Kind::kPartition);
  EXPECT_EQ(second.task.index, first.task.index) << "the held partition comes back first";
  EXPECT_FALSE(c.complete(a, first.task.lease_id, 0.5, 1, t));
  std::set<std::int64_t> done;
  EXPECT_TRUE(c.complete(a, second.task.lease_id, 0.5, 1, t));
  done.insert(second.task.index);
  while (!c.finished()) {
    const auto l = c.lease(a, 0, t);
    ASSERT_EQ(l.kind, Kind::kPartition);
    EXPECT_TRUE(c.complete(a, l.task.lease_id, 0.5, 1, t));
    done.insert(l.task.index);
  }
  EXPECT_EQ(done.size(), 4U);
}

TEST(Coordinator, WarmUpLetsOneWorkerTrainAlone) {
  PartitionPlan p = plan(1);
  p.warmup_steps = 10;
  Coordinator c(p, 2.0);
  auto t = Clock::now();
  const auto a = c.register_worker(t);
  const auto b = c.register_worker(t);
  EXPECT_EQ(c.lease(a, 0, t).kind, Kind::kPartition);
  EXPECT_EQ(c.lease(b, 0, t).kind, Kind::kWait);
  c.heartbeat(a, 9, t);
  EXPECT_FALSE(c.warmup_done());
  EXPECT_EQ(c.lease(b, 0, t).kind, Kind::kWait);
  c.heartbeat(a, 10, t);
  EXPECT_TRUE(c.warmup_done());
  EXPECT_EQ(c.lease(b, 0, t).kind, Kind::kPartition);
}

TEST(Coordinator, AnotherWorkerTakesOverAWarmUpWhoseWorkerDied) {
  PartitionPlan p = plan(1);
  p.warmup_steps = 10;
  Coordinator c(p, 1.0);
  auto t = Clock::now();
  const auto a = c.register_worker(t);
  const auto b = c.register_worker(t);
  ASSERT_EQ(c.lease(a, 0, t).kind, Kind::kPartition);
  EXPECT_EQ(c.lease(b, 0, t).kind, Kind::kWait);
  t += std::chrono::seconds(2);
  EXPECT_EQ(c.lease(b, 0, t).kind, Kind::kPartition) << "b becomes the warm-up worker";
  EXPECT_FALSE(c.warmup_done());
}

TEST(Coordinator, StopsAtTheTargetLoss) {
  PartitionPlan p = plan(0);
  p.target_loss = 0.5;
  Coordinator c(p, 5.0);
  const auto t = Clock::now();
  const auto a = c.register_worker(t);
  int epochs_done = 0;
  for (int i = 0; i < 40 && !c.finished(); ++i) {
    const auto l = c.lease(a, 0, t);
    ASSERT_EQ(l.kind, Kind::kPartition);
    c.complete(a, l.task.lease_id, l.task.epoch < 2 ? 0.9 : 0.4, 1, t);
    epochs_done = static_cast<int>(c.status().epoch_losses.size());
  }
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(epochs_done, 3);
  EXPECT_EQ(c.status().stop_reason, "target_loss");
}

TEST(Coordinator, StopsOnceTheWorkersStepsAddUpToMaxSteps) {
  PartitionPlan p = plan(0); // no epoch limit: only the step limit stops it
  p.max_steps = 25;
  Coordinator c(p, 5.0);
  const auto t = Clock::now();
  const auto a = c.register_worker(t);
  const auto b = c.register_worker(t);
  std::int64_t steps_a = 0, steps_b = 0;
  int partitions = 0;
  // Each partition takes 4 steps; the two workers' counts add up.
  for (int i = 0; i < 40 && !c.finished(); ++i) {
    const bool first = i % 2 == 0;
    const auto w = first ? a : b;
    auto& steps = first ? steps_a : steps_b;
    const auto l = c.lease(w, steps, t);
    if (l.kind != Kind::kPartition) break;
    steps += 4;
    c.complete(w, l.task.lease_id, 0.5, steps, t);
    ++partitions;
  }
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(partitions, 7) << "28 steps: the first count at or past 25";
  EXPECT_EQ(c.status().steps, 28);
  EXPECT_EQ(c.status().stop_reason, "max_steps");
  EXPECT_EQ(c.lease(a, steps_a, t).kind, Kind::kDone);
  // A heartbeat alone can end the job (a worker mid-partition reports its steps).
  PartitionPlan q = plan(0);
  q.max_steps = 10;
  Coordinator d(q, 5.0);
  const auto w = d.register_worker(t);
  ASSERT_EQ(d.lease(w, 0, t).kind, Kind::kPartition);
  d.heartbeat(w, 9, t);
  EXPECT_FALSE(d.finished());
  d.heartbeat(w, 10, t);
  EXPECT_TRUE(d.finished());
  // The reason survives a checkpoint; the plan's limit too.
  Coordinator e(plan_from_json(d.to_json()["plan"]), 5.0);
  e.restore(d.to_json(), t);
  EXPECT_EQ(e.plan().max_steps, 10);
  EXPECT_EQ(e.status().stop_reason, "max_steps");
}

TEST(Coordinator, SaysWhyItStopped) {
  Coordinator c(plan(1), 5.0);
  const auto t = Clock::now();
  const auto a = c.register_worker(t);
  for (int i = 0; i < 4; ++i) {
    const auto l = c.lease(a, i, t);
    ASSERT_EQ(l.kind, Kind::kPartition);
    EXPECT_EQ(c.status().stop_reason, "");
    c.complete(a, l.task.lease_id, 0.5, i + 1, t);
  }
  EXPECT_EQ(c.status().stop_reason, "epochs");
}

TEST(Coordinator, StateRoundTripsThroughJson) {
  Coordinator c(plan(2), 5.0);
  const auto t = Clock::now();
  const auto a = c.register_worker(t);
  const auto b = c.register_worker(t);
  const auto l1 = c.lease(a, 0, t);
  const auto l2 = c.lease(b, 0, t);
  c.complete(a, l1.task.lease_id, 0.7, 5, t);
  Coordinator d(plan_from_json(c.to_json()["plan"]), 5.0);
  d.restore(c.to_json(), t);
  EXPECT_EQ(d.status().partitions_completed, 1);
  EXPECT_TRUE(d.complete(b, l2.task.lease_id, 0.7, 5, t))
      << "a lease held before the restart completes after it";
  const auto l3 = d.lease(a, 0, t);
  const auto l3c = c.lease(a, 0, t);
  EXPECT_EQ(l3.task.index, l3c.task.index);
  EXPECT_NE(l3.task.lease_id, l3c.task.lease_id) << "lease ids are not reused after a restart";
}

TEST(Coordinator, RefusesPlansThatCannotRun) {
  PartitionPlan p;
  test::expect_error([&] { Coordinator(p, 1.0); }, ExitCode::kBadUsage, {"no runs"});
  p.run_rows = {10, 0};
  test::expect_error([&] { Coordinator(p, 1.0); }, ExitCode::kBadUsage, {"run 1"});
  p.run_rows = {10};
  p.epochs = 0;
  test::expect_error([&] { Coordinator(p, 1.0); }, ExitCode::kBadUsage, {"stop"});
  p.max_steps = 100;
  EXPECT_NO_THROW(Coordinator(p, 1.0)) << "a step limit alone is a stop";
  test::expect_error([&] { plan_from_json(nlohmann::json::object()); }, ExitCode::kBadInput,
                     {"partition plan"});
}

} // namespace
} // namespace dcae::ps
