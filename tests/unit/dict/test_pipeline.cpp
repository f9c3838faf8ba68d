#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/log.h"
#include "dict/pipeline.h"
#include "io/events.h"
#include "io/json.h"
#include "io/nifti.h"
#include "io/shard.h"
#include "preproc/intensity.h"
#include "preproc/pipeline.h"
#include "sim/simulator.h"
#include "test_data.h"
#include "test_state.h"

namespace fs = std::filesystem;

namespace dcae::dict {
namespace {

struct PreprocessedRun;

struct SimulatedShard {
  fs::path shard, events;
  sim::SimulatedRun run;
};

/// One simulated HCP-MOTOR run (no head motion) as a z-scored shard beside its mask and events.
SimulatedShard simulated(const test::TempDir& dir, std::array<std::int64_t, 3> grid,
                         std::int64_t volumes) {
  sim::SimulationConfig c;
  c.grid = grid;
  c.volumes = volumes;
  c.motion_mm = c.motion_deg = 0;
  c.spikes = 0;
  const test::LogLevel quiet_log(log::Level::kWarning);
  SimulatedShard s{dir / "sub-01_task-motor_desc-preproc_timeseries.npy",
                   dir / "sub-01_task-motor_events.tsv", sim::simulate_run(c, 0, 0)};
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

double masked_correlation(const float* a, const std::vector<float>& b,
                          const std::vector<std::uint8_t>& mask) {
  double sa = 0, sb = 0, n = 0;
  for (std::size_t v = 0; v < mask.size(); ++v)
    if (mask[v]) {
      sa += a[v];
      sb += b[v];
      ++n;
    }
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

/// Subjects 1..n of a simulated dataset (no head motion), each run preprocessed as
/// dcae-preproc does into a shard. Every subject's blocks come in their own order.
std::vector<PreprocessedRun> preprocessed(const test::TempDir& dir, double signal_pct,
                                          int subjects = 1) {
  sim::SimulationConfig c;
  c.subjects = subjects;
  c.motion_mm = c.motion_deg = 0;
  c.spikes = 0;
  c.signal_pct = signal_pct;
  const test::LogLevel quiet_log(log::Level::kWarning);
  sim::simulate_dataset(c, dir / "bids");
  std::vector<PreprocessedRun> out;
  for (int s = 0; s < subjects; ++s) {
    const std::string sub = "sub-0" + std::to_string(s + 1);
    const fs::path func = dir / "bids" / sub / "func";
    preproc::PreprocOptions po;
    po.motion_correction = false; // no motion was simulated; motion correction is tested in preproc
    const auto o = preproc::preprocess_run(
        preproc::resolve_run(func / (sub + "_task-motor_run-01_bold.nii.gz")), po,
        dir / "derivatives");
    out.push_back(
        {o.shard, func / (sub + "_task-motor_run-01_events.tsv"), sim::simulate_run(c, s, 0)});
  }
  return out;
}

/// The columns of a mixing table.
std::vector<std::vector<double>> read_mixing(const fs::path& tsv) {
  std::ifstream f(tsv);
  std::string line;
  std::getline(f, line);
  std::vector<std::vector<double>> cols(
      static_cast<std::size_t>(std::count(line.begin(), line.end(), '\t') + 1));
  while (std::getline(f, line)) {
    std::istringstream row(line);
    for (auto& c : cols) {
      double v = 0;
      row >> v;
      c.push_back(v);
    }
  }
  return cols;
}

const sim::Network* network_of(const sim::SimulatedRun& truth, const std::string& condition) {
  for (const auto& n : truth.networks)
    if (n.condition == condition) return &n;
  return nullptr;
}

TEST(DictlearnPipeline, RawSignalAtomsMatchTheMovementsAndTheirNetworks) {
  test::TempDir dir;
  // BOLD change 4% (the simulator's default is 3%): a single run of one subject.
  const PreprocessedRun s = preprocessed(dir, 4.0).front();
  DictlearnOptions o;
  o.shards = {s.shard};
  o.events = {s.events};
  o.output_dir = dir / "out";
  o.dictionary.n_atoms = 40;
  o.dictionary.lambda = 0.15;
  o.dictionary.passes = 2;
  const DictlearnResult r = run_dictlearn(o);

  ASSERT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.runs[0].mixing,
            dir / "out" / "sub-01" / "func" / "sub-01_task-motor_run-01_desc-rawodl_mixing.tsv");
  EXPECT_EQ(r.runs[0].components.filename(),
            "sub-01_task-motor_run-01_desc-rawodl_components.nii.gz");
  const io::Image maps = io::Image::read(r.runs[0].components);
  EXPECT_EQ(maps.nt(), o.dictionary.n_atoms);
  const auto record = io::read_json(r.decomposition);
  EXPECT_EQ(record.at("K"), o.dictionary.n_atoms);
  EXPECT_EQ(record.at("Source"), "raw");
  ASSERT_EQ(record.at("Runs").size(), 1u);
  EXPECT_EQ(record.at("Runs")[0].at("Scores").size(), r.evaluation.runs[0].scores.size());
  EXPECT_EQ(record.at("Scores").size(), r.evaluation.summary.size());
  // The design the data are scored against is filtered as the data (100 s high-pass) and
  // sampled at the volumes' times (no slice timing here: i*TR).
  EXPECT_DOUBLE_EQ(record.at("Runs")[0].at("Design").at("HighPassCutoff").get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(record.at("Runs")[0].at("Design").at("StartTime").get<double>(), 0.0);

  int movements = 0;
  std::vector<int> atoms;
  for (const auto& score : r.evaluation.runs[0].scores) {
    const sim::Network* net = network_of(s.truth, score.condition);
    ASSERT_GE(score.atom, 0) << score.condition;
    EXPECT_EQ(std::count(atoms.begin(), atoms.end(), score.atom), 0)
        << "atom " << score.atom << " won two conditions";
    atoms.push_back(score.atom);
    if (!net || score.condition == "cue") continue;
    ++movements;
    const double map_r = masked_correlation(maps.volume(score.atom), net->map, s.truth.brain);
    std::cerr << score.condition << ": atom " << score.atom << " r " << score.r << " chance "
              << score.null_r95 << " map r " << map_r << '\n';
    EXPECT_GE(score.r, 0.8) << score.condition;
    EXPECT_GT(score.r, score.null_r95) << score.condition;
    EXPECT_GE(map_r, 0.6) << score.condition << ": atom " << score.atom
                          << " map vs planted network";
  }
  EXPECT_EQ(movements, 5);

  // The r-maps: each voxel's Pearson r with each of the run's (flipped as scored) atoms.
  EXPECT_EQ(r.runs[0].correlation_components.filename(),
            "sub-01_task-motor_run-01_desc-rawodlcorr_components.nii.gz");
  EXPECT_EQ(record.at("Runs")[0].at("CorrelationComponents"),
            fs::relative(r.runs[0].correlation_components, r.decomposition.parent_path())
                .generic_string());
  const io::Image rmaps = io::Image::read(r.runs[0].correlation_components);
  ASSERT_EQ(rmaps.nt(), o.dictionary.n_atoms);
  const auto mixing = read_mixing(r.runs[0].mixing);
  io::ShardReader shard(s.shard);
  const auto& info = shard.info();
  std::vector<float> row(static_cast<std::size_t>(info.n_timepoints));
  for (std::int64_t v : {std::int64_t{0}, info.n_voxels / 3, info.n_voxels - 1}) {
    shard.read_rows(v, 1, row.data());
    const Eigen::VectorXd x =
        Eigen::Map<const Eigen::VectorXf>(row.data(), info.n_timepoints).cast<double>();
    const auto& ijk = info.voxel_ijk[static_cast<std::size_t>(v)];
    for (const auto& score : r.evaluation.runs[0].scores) {
      const auto& m = mixing[static_cast<std::size_t>(score.atom)];
      const Eigen::Map<const Eigen::VectorXd> atom(m.data(), static_cast<Eigen::Index>(m.size()));
      EXPECT_NEAR(rmaps.at(ijk[0], ijk[1], ijk[2], score.atom), pearson(x, atom), 1e-4)
          << "voxel " << v << ", atom " << score.atom;
    }
  }
  for (const auto& score : r.evaluation.runs[0].scores) {
    const sim::Network* net = network_of(s.truth, score.condition);
    if (!net || score.condition == "cue") continue;
    // Its peak (in the brain) lies inside the planted network, and it is where the atom's
    // course is: r well above noise's (about 1/sqrt(T) = 0.06 here).
    const float* m = rmaps.volume(score.atom);
    std::size_t peak = 0;
    for (std::size_t v = 0; v < s.truth.brain.size(); ++v)
      if (s.truth.brain[v] && (!s.truth.brain[peak] || m[v] > m[peak])) peak = v;
    EXPECT_GE(net->map[peak], 0.25f) << score.condition << ": the r-map of atom " << score.atom
                                     << " peaks outside the planted network";
    EXPECT_GE(m[peak], 0.5f) << score.condition;
  }

  std::ifstream tsv(r.runs[0].mixing);
  std::string header;
  std::getline(tsv, header);
  EXPECT_EQ(header.rfind("rawodl_000\trawodl_001", 0), 0u);
  int rows = 0;
  for (std::string line; std::getline(tsv, line);) ++rows;
  EXPECT_EQ(rows, 284);
}

TEST(DictlearnPipeline, RunsWithDifferentBlockOrdersAreEachScoredAgainstTheirOwnEvents) {
  test::TempDir dir;
  const auto runs = preprocessed(dir, 4.0, 2);
  // The two subjects' designs differ (each has its own block order).
  DictlearnOptions o;
  o.shards = {runs[0].shard, runs[1].shard};
  o.events = {runs[0].events, runs[1].events};
  o.output_dir = dir / "out";
  o.prefix = "task-motor";
  o.dictionary.n_atoms = 40;
  o.dictionary.lambda = 0.15;
  o.dictionary.passes = 2;
  const DictlearnResult r = run_dictlearn(o);
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.runs[1].mixing,
            dir / "out" / "sub-02" / "func" / "sub-02_task-motor_run-01_desc-rawodl_mixing.tsv");
  EXPECT_EQ(r.decomposition, dir / "out" / "task-motor_desc-rawodl_decomposition.json");
  const auto record = io::read_json(r.decomposition);
  const auto reg1 = record.at("Runs")[0].at("Design").at("Regressors");
  const auto reg2 = record.at("Runs")[1].at("Design").at("Regressors");
  for (std::size_t i = 0; i < 2; ++i) {
    for (const auto& s : r.evaluation.runs[i].scores) {
      if (s.condition == "cue") continue;
      std::cerr << "run " << i + 1 << " " << s.condition << ": atom " << s.atom << " r " << s.r
                << " chance " << s.null_r95 << '\n';
      EXPECT_GE(s.r, 0.8) << "run " << i + 1 << " " << s.condition;
      EXPECT_GT(s.r, s.null_r95) << "run " << i + 1 << " " << s.condition;
    }
  }
  // Scored against the first run's events (what pooling runs under one design did), run 2's
  // assigned atoms miss: their time courses follow run 2's design, not run 1's.
  const auto mixing2 = read_mixing(r.runs[1].mixing);
  const auto& scores2 = r.evaluation.runs[1].scores;
  int misses = 0;
  for (std::size_t q = 0; q < scores2.size(); ++q) {
    if (scores2[q].condition == "cue") continue;
    const std::vector<double> first = reg1[q].get<std::vector<double>>();
    const std::vector<double>& own = mixing2[static_cast<std::size_t>(scores2[q].atom)];
    const double r_first = pearson(
        Eigen::Map<const Eigen::VectorXd>(own.data(), static_cast<Eigen::Index>(own.size())),
        Eigen::Map<const Eigen::VectorXd>(first.data(), static_cast<Eigen::Index>(first.size())));
    std::cerr << "run 2 " << scores2[q].condition << " against run 1's design: r " << r_first
              << '\n';
    if (r_first < 0.8) ++misses;
  }
  EXPECT_GE(misses, 2) << "the simulated subjects should order their blocks differently";
  (void)reg2;
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
  io::write_shard(shorter, std::vector<float>(static_cast<std::size_t>(info.n_voxels * 20), 1.0f),
                  info);
  o.shards = {s.shard, shorter};
  test::expect_error([&] { run_dictlearn(o); }, ExitCode::kBadInput,
                     {"short_timeseries.npy", "20"});
  // A bad label.
  o.shards = {s.shard};
  o.label = "raw-odl";
  test::expect_error([&] { run_dictlearn(o); }, ExitCode::kBadUsage, {"raw-odl"});
  EXPECT_FALSE(
      fs::exists(dir / "out" / "sub-01" / "func" / "sub-01_task-motor_desc-rawodl_mixing.tsv"));
}

} // namespace
} // namespace dcae::dict
