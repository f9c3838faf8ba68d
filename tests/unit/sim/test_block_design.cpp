#include <map>

#include <gtest/gtest.h>

#include "sim/block_design.h"

namespace dcae::sim {

TEST(BlockDesign, HcpMotorTiming) {
  std::mt19937_64 rng(5);
  const io::Events ev = hcp_motor_events(284 * 0.72, rng);
  std::map<std::string, int> count;
  for (const auto& e : ev.events) ++count[e.trial_type];
  // 204.5 s: like HCP's MOTOR runs, 10 movement blocks (two of each) after cues.
  EXPECT_EQ(count["cue"], 10);
  for (const char* c : kMotorConditions) EXPECT_EQ(count[c], 2) << c;
  EXPECT_DOUBLE_EQ(ev.events[0].onset_s, 8.0);
  for (std::size_t i = 0; i + 1 < ev.events.size(); i += 2) {
    EXPECT_EQ(ev.events[i].trial_type, "cue");
    EXPECT_DOUBLE_EQ(ev.events[i].duration_s, 3.0);
    EXPECT_DOUBLE_EQ(ev.events[i + 1].onset_s, ev.events[i].onset_s + 3.0);
    EXPECT_DOUBLE_EQ(ev.events[i + 1].duration_s, 12.0);
    EXPECT_LE(ev.events[i + 1].onset_s + 12.0, 284 * 0.72);
  }
  // A 15 s fixation after every third block.
  EXPECT_DOUBLE_EQ(ev.events[6].onset_s - ev.events[4].onset_s, 30.0);
  EXPECT_DOUBLE_EQ(ev.events[4].onset_s - ev.events[2].onset_s, 15.0);
}

TEST(BlockDesign, SeedDecidesOrder) {
  std::mt19937_64 a(1), b(1), c(2);
  const auto ea = hcp_motor_events(200, a), eb = hcp_motor_events(200, b),
             ec = hcp_motor_events(200, c);
  ASSERT_EQ(ea.events.size(), eb.events.size());
  bool same_ab = true, same_ac = true;
  for (std::size_t i = 0; i < ea.events.size(); ++i) {
    same_ab &= ea.events[i].trial_type == eb.events[i].trial_type;
    same_ac &= ea.events[i].trial_type == ec.events[i].trial_type;
  }
  EXPECT_TRUE(same_ab);
  EXPECT_FALSE(same_ac);
}

} // namespace dcae::sim
