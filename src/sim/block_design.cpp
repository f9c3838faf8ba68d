#include "sim/block_design.h"

#include <algorithm>
#include <string>
#include <vector>

namespace dcae::sim {

io::Events hcp_motor_events(double duration_s, std::mt19937_64& rng) {
  constexpr double kLead = 8.0, kCue = 3.0, kMove = 12.0, kFix = 15.0;
  io::Events ev;
  double t = kLead;
  int block = 0;
  std::vector<std::string> order;
  while (true) {
    if (order.empty()) {
      order.assign(std::begin(kMotorConditions), std::end(kMotorConditions));
      std::shuffle(order.begin(), order.end(), rng);
    }
    if (t + kCue + kMove > duration_s) break;
    ev.events.push_back({t, kCue, 1.0, "cue"});
    ev.events.push_back({t + kCue, kMove, 1.0, order.back()});
    order.pop_back();
    t += kCue + kMove;
    if (++block % 3 == 0) t += kFix;
  }
  ev.source = "dcae-simulate (HCP MOTOR block design)";
  return ev;
}

} // namespace dcae::sim
