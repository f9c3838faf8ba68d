#pragma once
// A run of dcae's simulator written as a time-series shard, for the tests of training,
// distributed training and decomposition: the in-brain series z-scored by
// preproc::extract_shard (dcae-preproc's last step; no other preprocessing). Needs dcae::sim
// and dcae::preproc linked.

#include <filesystem>
#include <string>

#include "core/log.h"
#include "io/shard.h"
#include "preproc/intensity.h"
#include "sim/simulator.h"
#include "test_state.h"

namespace dcae::test {

/// Simulates run `run` of subject `subject` with `config` and writes its shard to `path`
/// (sidecar beside it); `source` replaces the sidecar's Source when given. Quiet while it
/// simulates. Returns `path`.
inline std::filesystem::path write_simulated_shard(const std::filesystem::path& path,
                                                   const sim::SimulationConfig& config, int subject,
                                                   int run, const std::string& source = "") {
  const sim::SimulatedRun r = [&] {
    const LogLevel quiet(log::Level::kWarning);
    return sim::simulate_run(config, subject, run);
  }();
  preproc::ShardData sd = preproc::extract_shard(r.bold, r.brain);
  if (!source.empty()) sd.info.source = source;
  io::write_shard(path, sd.data, sd.info);
  return path;
}

} // namespace dcae::test
