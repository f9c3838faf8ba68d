#pragma once
/// \file block_design.h
/// The HCP MOTOR task's block design: a 3 s visual cue, then 12 s of moving the left foot
/// (lf), left hand (lh), right foot (rf), right hand (rh) or tongue (t); a 15 s fixation block
/// after every third movement block; 8 s of fixation at the start.

#include <random>

#include "io/events.h"

namespace dcae::sim {

/// The movement conditions, in HCP's EV order.
inline const char* const kMotorConditions[] = {"lf", "lh", "rf", "rh", "t"};

/// Events for a run of `duration_s` seconds: cue and movement blocks in a random order that
/// uses each movement equally often; only blocks that end before the run does.
io::Events hcp_motor_events(double duration_s, std::mt19937_64& rng);

} // namespace dcae::sim
