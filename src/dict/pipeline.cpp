#include "dict/pipeline.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "dcae/version.h"
#include "io/bids_layout.h"
#include "io/derivatives.h"
#include "io/events.h"
#include "io/json.h"
#include "io/nifti.h"
#include "io/shard.h"
#include "io/task_design.h"

namespace fs = std::filesystem;

namespace dcae::dict {
namespace {

/// Loads shards into the columns of one matrix (rows of a shard = columns here).
Eigen::MatrixXf load_columns(const std::vector<fs::path>& shards, std::vector<io::ShardInfo>& infos,
                             std::vector<std::int64_t>& offsets) {
  infos.clear();
  offsets.assign(1, 0);
  for (const auto& s : shards) {
    infos.push_back(io::read_shard_info(s));
    offsets.push_back(offsets.back() + infos.back().n_voxels);
    if (infos.back().n_timepoints != infos.front().n_timepoints)
      throw input_error(
          s.string() + ": rows of length " + std::to_string(infos.back().n_timepoints) + ", but " +
          shards.front().string() + " has " + std::to_string(infos.front().n_timepoints));
  }
  const auto m = infos.front().n_timepoints;
  Eigen::MatrixXf x(m, offsets.back());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    io::ShardReader reader(shards[i]);
    if (infos[i].n_voxels > 0) reader.read_rows(0, infos[i].n_voxels, x.col(offsets[i]).data());
  }
  if (!x.allFinite()) {
    for (std::size_t i = 0; i < shards.size(); ++i)
      if (!x.middleCols(offsets[i], infos[i].n_voxels).allFinite())
        throw input_error(shards[i].string() + ": contains NaN or Inf values");
  }
  return x;
}

/// The BIDS entities of a run, without desc (ours replaces it): from the shard's own name
/// (dcae-preproc names shards by the run's entities, also for HCP runs), else from the source
/// image it records. Empty when neither is a BIDS name.
std::map<std::string, std::string> run_entities_of(const fs::path& shard,
                                                   const io::ShardInfo& info) {
  for (const std::string& name :
       {shard.filename().string(), fs::path(info.source).filename().string()}) {
    std::map<std::string, std::string> m = io::parse_bids_name(name).entities;
    if (!m.count("sub")) continue;
    m.erase("desc");
    return m;
  }
  return {};
}

fs::path folder_for(const fs::path& out, const std::map<std::string, std::string>& ent) {
  fs::path dir = out;
  if (auto it = ent.find("sub"); it != ent.end()) {
    dir /= "sub-" + it->second;
    if (auto s = ent.find("ses"); s != ent.end()) dir /= "ses-" + s->second;
    dir /= "func";
  }
  return dir;
}

fs::path find_mask(const io::ShardInfo& info, const fs::path& shard) {
  if (info.mask.empty()) throw input_error(shard.string() + ": its sidecar names no brain mask");
  const fs::path m(info.mask);
  if (fs::exists(m)) return m;
  const fs::path beside = shard.parent_path() / m.filename();
  if (fs::exists(beside)) return beside;
  throw input_error(shard.string() + ": brain mask " + info.mask + " not found");
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string column_name(const std::string& label, int atom) {
  char col[64];
  std::snprintf(col, sizeof col, "%s_%03d", label.c_str(), atom);
  return col;
}

/// A JSON number, or null for NaN (JSON has no NaN).
nlohmann::json maybe(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

nlohmann::json run_scores_json(const std::vector<RunScore>& scores, const std::string& label) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& s : scores)
    j.push_back({{"Condition", s.condition},
                 {"Atom", s.atom},
                 {"Column", s.atom >= 0 ? column_name(label, s.atom) : ""},
                 {"r", s.r},
                 {"NullR95", maybe(s.null_r95)}});
  return j;
}

nlohmann::json summary_json(const Evaluation& e, const std::string& label) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& s : e.summary)
    j.push_back({{"Condition", s.condition},
                 {"Atom", s.atom},
                 {"Column", s.atom >= 0 ? column_name(label, s.atom) : ""},
                 {"MedianR", maybe(s.median_r)},
                 {"MinR", maybe(s.min_r)},
                 {"NullR95", maybe(s.median_null_r95)},
                 {"Runs", s.runs},
                 {"RunsAboveNull", s.runs_above_null}});
  return j;
}

/// The timing a raw shard's sidecar records (dcae-preproc): StartTime and the high-pass.
struct SeriesTiming {
  double start_time_s = 0.0, highpass_s = 0.0;
  bool known = false;
  std::vector<std::vector<double>> nuisance; ///< regressed out of the series (NuisanceColumns)
};

SeriesTiming timing_of(const io::ShardInfo& info) {
  SeriesTiming t;
  const auto& p = info.provenance;
  if (!p.is_object()) return t;
  if (p.contains("StartTime") && p["StartTime"].is_number()) {
    t.start_time_s = p["StartTime"].get<double>();
    t.known = true;
  }
  if (p.contains("HighPassCutoff") && p["HighPassCutoff"].is_number()) {
    t.highpass_s = p["HighPassCutoff"].get<double>();
  } else if (p.contains("Parameters") && p["Parameters"].is_object() &&
             p["Parameters"].contains("highpass_s") && p["Parameters"]["highpass_s"].is_number()) {
    t.highpass_s = p["Parameters"]["highpass_s"].get<double>();
    t.known = true;
  }
  if (p.contains("NuisanceColumns") && p["NuisanceColumns"].is_array())
    t.nuisance = p["NuisanceColumns"].get<std::vector<std::vector<double>>>();
  return t;
}

io::Events read_events(const fs::path& p) {
  return fs::is_directory(p) ? io::read_fsl_ev_folder(p) : io::read_bids_events(p);
}

} // namespace

double default_lambda(std::int64_t signal_length) {
  return kLambdaNoiseSDs / std::sqrt(static_cast<double>(std::max<std::int64_t>(signal_length, 1)));
}

void write_mixing_tsv(const fs::path& path, const std::string& label,
                      const Eigen::Ref<const Eigen::MatrixXf>& mixing) {
  std::string text;
  text.reserve(static_cast<std::size_t>(mixing.size() * 12 + 64));
  for (Eigen::Index k = 0; k < mixing.cols(); ++k)
    text += (k ? "\t" : "") + column_name(label, static_cast<int>(k));
  text += '\n';
  for (Eigen::Index t = 0; t < mixing.rows(); ++t) {
    for (Eigen::Index k = 0; k < mixing.cols(); ++k) text += (k ? "\t" : "") + number(mixing(t, k));
    text += '\n';
  }
  write_file_atomic(path, text);
}

DictlearnResult run_dictlearn(const DictlearnOptions& o,
                              const std::optional<DecoderReadout>& decoder) {
  if (o.shards.empty()) throw usage_error("dcae-dictlearn: no input shards");
  if (o.events.size() > 1 && o.events.size() != o.shards.size())
    throw usage_error("--events: " + std::to_string(o.events.size()) + " event files for " +
                      std::to_string(o.shards.size()) +
                      " shards (give one per shard, in the same order, or one for all)");
  LearnedDecomposition d;
  std::vector<io::ShardInfo> infos;
  Eigen::MatrixXf x = load_columns(o.shards, infos, d.shard_offsets);

  // Raw time series or DCAE features (dcae-encode records itself in the sidecar).
  const bool encoded = infos.front().provenance.is_object() &&
                       infos.front().provenance.value("Step", "") == "dcae-encode";
  d.source = encoded || !o.signals.empty() ? SignalSource::kFeatures : SignalSource::kRaw;
  const std::string label = !o.label.empty()                 ? o.label
                            : d.source == SignalSource::kRaw ? "rawodl"
                                                             : "dcaeodl";
  for (char c : label)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      throw usage_error("--label: '" + label + "' is not alphanumeric");

  // The time series behind every column (each run's temporal atoms, the design's T and TR).
  Eigen::MatrixXf signals;
  std::vector<io::ShardInfo> signal_infos = infos;
  if (d.source == SignalSource::kFeatures) {
    d.feature_shards = o.shards;
    d.signal_shards = o.signals;
    if (d.signal_shards.empty())
      for (const auto& info : infos) d.signal_shards.emplace_back(info.source);
    if (d.signal_shards.size() != o.shards.size())
      throw usage_error("--signals: " + std::to_string(d.signal_shards.size()) +
                        " raw shards for " + std::to_string(o.shards.size()) + " feature shards");
    std::vector<std::int64_t> offsets;
    signals = load_columns(d.signal_shards, signal_infos, offsets);
    if (offsets != d.shard_offsets)
      throw input_error(d.signal_shards.front().string() +
                        ": its voxels do not match the feature shards'");
  } else {
    d.signal_shards = o.shards;
  }
  const std::int64_t t_len = signal_infos.front().n_timepoints;
  const double tr = signal_infos.front().tr_s;
  for (std::size_t i = 0; i < signal_infos.size(); ++i)
    if (std::abs(signal_infos[i].tr_s - tr) > 1e-6)
      throw input_error(d.signal_shards[i].string() + ": TR " + number(signal_infos[i].tr_s) +
                        " s differs from " + number(tr) + " s");

  d.column_mean.resize(x.cols());
  d.column_norm.resize(x.cols());
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    d.column_mean[j] = static_cast<float>(x.col(j).cast<double>().mean());
    d.column_norm[j] =
        static_cast<float>((x.col(j).array() - d.column_mean[j]).matrix().cast<double>().norm());
  }
  centre_and_normalise_columns(x);
  if (d.source == SignalSource::kFeatures) centre_and_normalise_columns(signals);
  const Eigen::MatrixXf& series = d.source == SignalSource::kFeatures ? signals : x;

  log::info("dictionary learning on ", x.cols(), " signals of length ", x.rows(), " from ",
            o.shards.size(), " run(s) (",
            d.source == SignalSource::kRaw ? "raw time series" : "DCAE features",
            "): K = ", o.dictionary.n_atoms, ", lambda = ", o.dictionary.lambda, ", batch ",
            o.dictionary.batch_size);
  LearnedDictionary learned;
  {
    const std::int64_t per_pass =
        (x.cols() + o.dictionary.batch_size - 1) / o.dictionary.batch_size;
    const auto planned = o.dictionary.iterations > 0
                             ? o.dictionary.iterations
                             : static_cast<std::int64_t>(
                                   std::ceil(o.dictionary.passes * static_cast<double>(per_pass)));
    ProgressBar bar("dictionary learning", static_cast<std::uint64_t>(planned), "batches");
    learned = learn_dictionary(x, o.dictionary, [&](std::int64_t, std::int64_t) { bar.advance(); });
  }
  d.atoms = learned.atoms;
  log::info("sparse coding every voxel");
  d.codes = sparse_encode(d.atoms, x, o.dictionary.lambda, o.dictionary.positive);
  const double objective = dictionary_objective(x, d.atoms, d.codes, o.dictionary.lambda);

  // Each run's temporal atoms, from its own voxels.
  const std::size_t n_runs = o.shards.size();
  auto run_slice = [&](std::size_t i) {
    return std::make_pair(d.shard_offsets[i], d.shard_offsets[i + 1] - d.shard_offsets[i]);
  };
  std::vector<Eigen::MatrixXf> courses(n_runs);
  for (std::size_t i = 0; i < n_runs; ++i) {
    const auto [first, n] = run_slice(i);
    courses[i] = least_squares_atoms(series.middleCols(first, n), d.codes.middleCols(first, n));
  }

  // Each run's design, timed and filtered as its data.
  std::vector<io::TaskDesign> designs;
  nlohmann::json null_record;
  DictlearnResult r;
  r.objective = objective;
  if (!o.events.empty()) {
    if (!(tr > 0))
      throw input_error(d.signal_shards.front().string() +
                        ": no TR in the sidecar, needed for the task design");
    for (std::size_t i = 0; i < n_runs; ++i) {
      const fs::path& ev_path = o.events.size() == 1 ? o.events.front() : o.events[i];
      const SeriesTiming timing = timing_of(signal_infos[i]);
      if (!timing.known && (!o.start_time_s || !o.highpass_s))
        log::warn(d.signal_shards[i].string(),
                  ": its sidecar records no StartTime or high-pass (not from dcae-preproc); "
                  "the design is sampled at i*TR",
                  o.highpass_s ? "" : " and not filtered",
                  " unless --start-time/--highpass say otherwise");
      designs.push_back(io::make_task_design(read_events(ev_path), t_len, tr,
                                             o.start_time_s.value_or(timing.start_time_s),
                                             o.highpass_s.value_or(timing.highpass_s)));
      // The confounds taken out of the data are taken out of the design (FEAT's GLM with
      // confound EVs): the data cannot hold the design's part that lies in their span.
      if (!timing.nuisance.empty() &&
          static_cast<std::int64_t>(timing.nuisance.front().size()) == t_len)
        io::regress_out_nuisance(designs.back(), timing.nuisance);
    }
    r.evaluation = evaluate(courses, designs, o.null);
    null_record = {
        {"Shifts", o.null.shifts},
        {"MinimumShift", o.null.min_shift_s},
        {"Percentile", o.null.percentile},
        {"Description",
         "NullR95: the 95th percentile, over circular shifts of the run's design (spread evenly "
         "over [L, D - L], D the run's duration, L the larger of MinimumShift and the "
         "condition's longest block), of the best |r| of any of the K atoms"}};
  }

  // The decoder's readout of feature atoms (the learned atoms and codes, as they are).
  std::vector<Eigen::MatrixXf> decoded;
  if (decoder && d.source == SignalSource::kFeatures) {
    for (std::size_t i = 0; i < n_runs; ++i) {
      decoded.push_back(decoder->read(d, i));
      if (decoded.back().rows() != t_len || decoded.back().cols() != d.atoms.cols())
        throw runtime_error("decoder: returned " + std::to_string(decoded.back().rows()) + "x" +
                            std::to_string(decoded.back().cols()) + " atoms");
    }
    if (!designs.empty()) r.decoder_evaluation = evaluate(decoded, designs, o.null);
  }

  // Names: entities shared by every input run → the decomposition; each run's own → its files.
  std::vector<std::map<std::string, std::string>> run_entities;
  for (std::size_t i = 0; i < n_runs; ++i)
    run_entities.push_back(run_entities_of(d.signal_shards[i], signal_infos[i]));
  std::map<std::string, std::string> common = run_entities.front();
  for (const auto& e : run_entities)
    for (auto it = common.begin(); it != common.end();) {
      auto f = e.find(it->first);
      it = (f == e.end() || f->second != it->second) ? common.erase(it) : std::next(it);
    }
  std::string prefix = o.prefix;
  fs::path group_dir = o.output_dir;
  if (prefix.empty()) {
    if (common.empty())
      prefix = "dataset";
    else {
      prefix = io::run_name(common);
    }
    group_dir = folder_for(o.output_dir, common);
  }
  fs::create_directories(group_dir);
  r.decomposition = group_dir / (prefix + "_desc-" + label + "_decomposition.json");

  const auto k_atoms = d.atoms.cols();
  // A single run without BIDS entities is named by the prefix; BIDS runs always by their own
  // entities.
  const bool named_by_prefix = n_runs == 1 && !o.prefix.empty() && run_entities.front().empty();
  nlohmann::json runs_json = nlohmann::json::array();
  for (std::size_t i = 0; i < n_runs; ++i) {
    const io::ShardInfo& info = infos[i];
    const auto [first, n] = run_slice(i);
    RunResult rr;
    if (!run_entities[i].empty()) {
      rr.name = io::run_name(run_entities[i]);
    } else {
      rr.name = d.signal_shards[i].stem().string();
    }
    const fs::path dir = named_by_prefix ? group_dir : folder_for(o.output_dir, run_entities[i]);
    const std::string stem = named_by_prefix ? prefix : rr.name;
    fs::create_directories(dir);
    rr.mixing = dir / (stem + "_desc-" + label + "_mixing.tsv");
    rr.components = dir / (stem + "_desc-" + label + "_components.nii.gz");
    rr.correlation_components = dir / (stem + "_desc-" + label + "corr_components.nii.gz");
    write_mixing_tsv(rr.mixing, label, courses[i]);
    if (!decoded.empty()) {
      rr.decoder_mixing = dir / (stem + "_desc-" + label + "decoder_mixing.tsv");
      write_mixing_tsv(rr.decoder_mixing, label + "decoder", decoded[i]);
    }

    if (static_cast<std::int64_t>(info.voxel_ijk.size()) != n)
      throw input_error(o.shards[i].string() +
                        ": its sidecar has no voxel indices, so maps cannot be placed");
    const io::ImageHeader mask_header = io::Image::read_header(find_mask(info, o.shards[i]));
    // K values per voxel of the run (K × n) as a 4-D image in the mask's grid.
    auto write_maps = [&](const fs::path& path, const Eigen::Ref<const Eigen::MatrixXf>& values,
                          const std::string& what) {
      io::ImageHeader h = mask_header;
      h.dim[3] = k_atoms;
      h.tr_s = 0.0;
      h.description = "dcae " + label + " " + what;
      io::Image maps(h);
      for (std::int64_t v = 0; v < n; ++v) {
        const auto& ijk = info.voxel_ijk[static_cast<std::size_t>(v)];
        if (ijk[0] < 0 || ijk[1] < 0 || ijk[2] < 0 || ijk[0] >= h.dim[0] || ijk[1] >= h.dim[1] ||
            ijk[2] >= h.dim[2])
          throw input_error(o.shards[i].string() + ": voxel index outside the mask's grid");
        for (Eigen::Index k = 0; k < k_atoms; ++k)
          maps.at(ijk[0], ijk[1], ijk[2], k) = values(k, v);
      }
      maps.write(path);
    };
    {
      // Oriented as the run's time courses: an atom flipped there is flipped in the maps.
      Eigen::MatrixXf codes = d.codes.middleCols(first, n);
      if (!designs.empty())
        for (int k : r.evaluation.runs[i].flipped) codes.row(k) *= -1.0f;
      write_maps(rr.components, codes, "spatial maps");
    }
    // Where each of the run's time courses is in its own series (already flipped as scored).
    write_maps(rr.correlation_components, correlation_maps(courses[i], series.middleCols(first, n)),
               "correlation maps");

    auto rel = [&](const fs::path& p) {
      return p.empty() ? std::string() : fs::relative(p, group_dir).generic_string();
    };
    // Sidecars: what each file holds and what it was made from (BIDS URIs within the output
    // dataset, file:// outside it).
    auto uri = [&](const fs::path& p) {
      const fs::path a = fs::absolute(p).lexically_normal();
      const fs::path in = a.lexically_relative(fs::absolute(o.output_dir).lexically_normal());
      return !in.empty() && *in.begin() != ".." ? "bids::" + in.generic_string()
                                                : "file://" + a.generic_string();
    };
    nlohmann::json sources = nlohmann::json::array({uri(o.shards[i])});
    if (d.signal_shards[i] != o.shards[i]) sources.push_back(uri(d.signal_shards[i]));
    io::write_json(fs::path(rr.mixing).replace_extension(".json"),
                   {{"Description", "Temporal atoms of the " + label +
                                        " dictionary in this run: least squares of the run's "
                                        "series on its voxels' sparse codes, one column per atom"},
                    {"RepetitionTime", tr},
                    {"Sources", sources},
                    {"Decomposition", uri(r.decomposition)}});
    if (!decoded.empty())
      io::write_json(fs::path(rr.decoder_mixing).replace_extension(".json"),
                     {{"Description", "Temporal atoms of the " + label +
                                          " dictionary brought to time through the "
                                          "autoencoder's decoder (" +
                                          decoder->method + "), one column per atom"},
                      {"RepetitionTime", tr},
                      {"Sources", sources},
                      {"Decomposition", uri(r.decomposition)}});
    nlohmann::json map_sources = sources;
    map_sources.push_back(uri(find_mask(info, o.shards[i])));
    io::write_json(fs::path(rr.components).replace_extension("").replace_extension(".json"),
                   {{"Description", "Spatial maps of the " + label +
                                        " dictionary: volume k holds each voxel's sparse code "
                                        "of atom k (oriented as the run's mixing)"},
                    {"Sources", map_sources},
                    {"Decomposition", uri(r.decomposition)}});
    io::write_json(
        fs::path(rr.correlation_components).replace_extension("").replace_extension(".json"),
        {{"Description", "Correlation maps of the " + label +
                             " dictionary in this run: volume k holds the Pearson r of each "
                             "voxel's series with the run's temporal atom k (its mixing column, "
                             "oriented as scored); where the atom's time course is in the data, "
                             "as the second stage of a dual regression, one atom at a time"},
         {"Sources", map_sources},
         {"Decomposition", uri(r.decomposition)}});
    nlohmann::json run = {{"Name", rr.name},
                          {"Shard", o.shards[i].string()},
                          {"Signals", d.signal_shards[i].string()},
                          {"NumberOfSignals", n},
                          {"Mixing", rel(rr.mixing)},
                          {"Components", rel(rr.components)},
                          {"CorrelationComponents", rel(rr.correlation_components)}};
    if (!decoded.empty()) run["DecoderMixing"] = rel(rr.decoder_mixing);
    if (!designs.empty()) {
      const io::TaskDesign& g = designs[i];
      run["Design"] = {{"Events", (o.events.size() == 1 ? o.events.front() : o.events[i]).string()},
                       {"Conditions", g.conditions},
                       {"Regressors", g.regressors},
                       {"StartTime", g.start_time_s},
                       {"HighPassCutoff", g.highpass_s},
                       {"NuisanceRegressorsRemoved", g.nuisance.size()}};
      run["Scores"] = run_scores_json(r.evaluation.runs[i].scores, label);
      run["FlippedAtoms"] = r.evaluation.runs[i].flipped;
      if (!decoded.empty())
        run["DecoderScores"] =
            run_scores_json(r.decoder_evaluation.runs[i].scores, label + "decoder");
    }
    runs_json.push_back(run);
    r.runs.push_back(rr);
  }

  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& s : o.shards) inputs.push_back(s.string());
  r.record = {
      {"Method", "Online dictionary learning (Mairal et al. 2010), LARS-Lasso codes"},
      {"Label", label},
      {"Source", d.source == SignalSource::kRaw ? "raw" : "features"},
      {"K", k_atoms},
      {"Lambda", o.dictionary.lambda},
      {"BatchSize", o.dictionary.batch_size},
      {"Iterations", learned.iterations},
      {"Passes", static_cast<double>(learned.iterations) * o.dictionary.batch_size /
                     static_cast<double>(x.cols())},
      {"Seed", o.dictionary.seed},
      {"PositiveCodes", o.dictionary.positive},
      {"ReplacedAtoms", learned.replaced_atoms},
      {"Objective", objective},
      {"Seconds", learned.seconds},
      {"NumberOfSignals", x.cols()},
      {"SignalLength", x.rows()},
      {"TR", tr},
      {"TimeCourses", "per run: least squares of the run's time series on its voxels' codes"},
      {"Runs", runs_json},
      {"Inputs", inputs},
      {"Version", kVersion}};
  if (!designs.empty()) {
    r.record["Scoring"] = {
        {"Assignment", "per run, one atom per condition (Hungarian assignment on |r| with the "
                       "run's own design); assigned atoms with negative r flipped in the run's "
                       "mixing and maps (FlippedAtoms)"},
        {"Null", null_record}};
    r.record["Scores"] = summary_json(r.evaluation, label);
    if (!decoded.empty())
      r.record["DecoderScores"] = summary_json(r.decoder_evaluation, label + "decoder");
  }
  if (!decoded.empty()) r.record["DecoderReadout"] = decoder->method;
  io::write_json(r.decomposition, r.record);
  return r;
}

} // namespace dcae::dict
