#include <gtest/gtest.h>

#include "ps/parameter_layout.h"
#include "test_data.h"

namespace dcae::ps {
namespace {

TEST(ParameterLayout, SlicesEvenlyWithTheRemainderOnTheFirstShards) {
  const ParameterLayout l(10, 3);
  EXPECT_EQ(l.shard(0).begin, 0);
  EXPECT_EQ(l.shard(0).size(), 4);
  EXPECT_EQ(l.shard(1).begin, 4);
  EXPECT_EQ(l.shard(1).size(), 3);
  EXPECT_EQ(l.shard(2).begin, 7);
  EXPECT_EQ(l.shard(2).end, 10);
}

TEST(ParameterLayout, ShardsCoverTheVectorExactlyOnce) {
  for (const std::int64_t total : {7, 64, 1000, 1234567}) {
    for (const int s : {1, 2, 3, 5, 7}) {
      const ParameterLayout l(total, s);
      std::int64_t next = 0;
      for (int i = 0; i < s; ++i) {
        EXPECT_EQ(l.shard(i).begin, next);
        EXPECT_GE(l.shard(i).size(), total / s);
        EXPECT_LE(l.shard(i).size(), total / s + 1);
        EXPECT_EQ(l.shard_of(l.shard(i).begin), i);
        EXPECT_EQ(l.shard_of(l.shard(i).end - 1), i);
        next = l.shard(i).end;
      }
      EXPECT_EQ(next, total);
    }
  }
}

TEST(ParameterLayout, NamedTensorsLieEndToEnd) {
  const ParameterLayout l({{"conv.weight", 144}, {"conv.bias", 16}, {"fc.weight", 100}}, 2);
  EXPECT_EQ(l.total_size(), 260);
  ASSERT_EQ(l.tensors().size(), 3U);
  EXPECT_EQ(l.tensors()[1].name, "conv.bias");
  EXPECT_EQ(l.tensors()[1].offset, 144);
  EXPECT_EQ(l.tensors()[2].offset, 160);
  EXPECT_EQ(l.shard(1).begin, 130);
}

TEST(ParameterLayout, RefusesImpossibleLayouts) {
  test::expect_error([] { ParameterLayout(10, 0); }, ExitCode::kBadUsage, {"shards"});
  test::expect_error([] { ParameterLayout(2, 3); }, ExitCode::kBadUsage,
                     {"2 parameters", "3 shards"});
  test::expect_error([] { ParameterLayout(10, 2).shard(2); }, ExitCode::kBadUsage, {"shard 2"});
  test::expect_error([] { ParameterLayout({{"w", -1}}, 1); }, ExitCode::kBadUsage, {"w"});
}

} // namespace
} // namespace dcae::ps
