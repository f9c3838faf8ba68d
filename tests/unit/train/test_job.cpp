#include <gtest/gtest.h>

#include "core/error.h"
#include "test_data.h"
#include "train/job.h"

namespace dcae::train {
namespace {

TEST(Job, ExchangeOptionsRoundTripThroughTheCommandLine) {
  ExchangeSettings s;
  s.n_fetch = 3;
  s.n_push = 2;
  s.block_rows = 400;
  s.warmup_steps = 7;
  s.overlap = true;
  const auto argv = to_argv(exchange_options(), s);
  EXPECT_EQ(argv, (std::vector<std::string>{"--n-fetch", "3", "--n-push", "2", "--block-rows",
                                            "400", "--warmup-steps", "7", "--overlap"}));
  ExchangeSettings back;
  for (const auto& o : exchange_options()) o.set(back, o.get(s));
  EXPECT_EQ(to_argv(exchange_options(), back), argv);
  EXPECT_EQ(ExchangeSettings{}.warmup_steps, kDefaultWarmupSteps);
  ServerSettings v;
  v.lease_timeout_s = 2.5;
  EXPECT_EQ(to_argv(server_options(), v),
            (std::vector<std::string>{"--max-staleness", "-1", "--lease-timeout", "2.5"}));
  test::expect_error([&] { exchange_options()[0].set(back, "two"); }, ExitCode::kBadUsage,
                     {"--n-fetch", "'two'"});
}

TEST(Job, OneMappingFromAJobToItsWorkers) {
  Job job;
  job.shards = {"a.npy", "b.npy"};
  job.exchange.fp16 = true;
  job.exchange.n_push = 4;
  job.device = "cuda:1";
  model::ModelConfig c;
  c.batch_size = 17;
  ps::ClientOptions client;
  client.servers = {"h:1"};
  const WorkerSettings w = worker_settings(c, job, client);
  EXPECT_TRUE(w.client.fp16) << "the job's fp16 goes to the worker's client";
  EXPECT_EQ(w.client.servers, client.servers);
  EXPECT_EQ(w.exchange.n_push, 4);
  EXPECT_EQ(w.shards, job.shards);
  EXPECT_EQ(w.config.batch_size, 17);
  EXPECT_EQ(w.device, "cuda:1");
}

TEST(Job, JobsThatCannotRunAreUsageErrors) {
  Job job;
  job.shards = {"a.npy"};
  check(job);
  job.servers = 3;
  job.num_shards = 2;
  test::expect_error([&] { check(job); }, ExitCode::kBadUsage,
                     {"--ps-shards (2) must be ≥ --servers (3)"});
  job.num_shards = 0;
  job.workers = 0;
  test::expect_error([&] { check(job); }, ExitCode::kBadUsage, {"--workers"});
  job.workers = 1;
  job.shards.clear();
  test::expect_error([&] { check(job); }, ExitCode::kBadUsage, {"no shards"});
}

} // namespace
} // namespace dcae::train
