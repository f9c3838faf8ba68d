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
      throw input_error(s.string() + ": rows of length " + std::to_string(infos.back().n_timepoints) +
                        ", but " + shards.front().string() + " has " + std::to_string(infos.front().n_timepoints));
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

/// The BIDS entities of a run's file name, without its desc (ours replaces it).
std::map<std::string, std::string> run_entities_of(const std::string& source) {
  std::map<std::string, std::string> m = io::parse_bids_name(fs::path(source).filename().string()).entities;
  m.erase("desc");
  return m;
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

nlohmann::json scores_json(const std::vector<ConditionScore>& scores, const std::string& label) {
  nlohmann::json j = nlohmann::json::array();
  char col[64];
  for (const auto& s : scores) {
    std::snprintf(col, sizeof col, "%s_%03d", label.c_str(), s.atom);
    j.push_back({{"Condition", s.condition}, {"Atom", s.atom}, {"Column", std::string(col)}, {"r", s.r}});
  }
  return j;
}

}  // namespace

void write_mixing_tsv(const fs::path& path, const std::string& label, const Eigen::Ref<const Eigen::MatrixXf>& mixing) {
  std::string text;
  text.reserve(static_cast<std::size_t>(mixing.size() * 12 + 64));
  char col[64];
  for (Eigen::Index k = 0; k < mixing.cols(); ++k) {
    std::snprintf(col, sizeof col, "%s_%03d", label.c_str(), static_cast<int>(k));
    text += (k ? "\t" : "") + std::string(col);
  }
  text += '\n';
  for (Eigen::Index t = 0; t < mixing.rows(); ++t) {
    for (Eigen::Index k = 0; k < mixing.cols(); ++k) text += (k ? "\t" : "") + number(mixing(t, k));
    text += '\n';
  }
  write_file_atomic(path, text);
}

DictlearnResult run_dictlearn(const DictlearnOptions& o, const DecoderHook& decoder) {
  if (o.shards.empty()) throw usage_error("dcae-dictlearn: no input shards");
  LearnedDecomposition d;
  std::vector<io::ShardInfo> infos;
  Eigen::MatrixXf x = load_columns(o.shards, infos, d.shard_offsets);

  // Raw time series or DCAE features (dcae-encode records itself in the sidecar).
  const bool encoded = infos.front().provenance.is_object() &&
                       infos.front().provenance.value("Step", "") == "dcae-encode";
  d.source = encoded || !o.signals.empty() ? SignalSource::kFeatures : SignalSource::kRaw;
  const std::string label = !o.label.empty() ? o.label : d.source == SignalSource::kRaw ? "rawodl" : "dcaeodl";
  for (char c : label)
    if (!std::isalnum(static_cast<unsigned char>(c))) throw usage_error("--label: '" + label + "' is not alphanumeric");

  // The time series behind every column (for least-squares atoms, the design's T and TR).
  Eigen::MatrixXf signals;
  std::vector<io::ShardInfo> signal_infos = infos;
  if (d.source == SignalSource::kFeatures) {
    d.signal_shards = o.signals;
    if (d.signal_shards.empty())
      for (const auto& info : infos) d.signal_shards.emplace_back(info.source);
    if (d.signal_shards.size() != o.shards.size())
      throw usage_error("--signals: " + std::to_string(d.signal_shards.size()) + " raw shards for " +
                        std::to_string(o.shards.size()) + " feature shards");
    std::vector<std::int64_t> offsets;
    signals = load_columns(d.signal_shards, signal_infos, offsets);
    if (offsets != d.shard_offsets)
      throw input_error(d.signal_shards.front().string() + ": its voxels do not match the feature shards'");
  } else {
    d.signal_shards = o.shards;
  }
  const std::int64_t t_len = signal_infos.front().n_timepoints;
  const double tr = signal_infos.front().tr_s;
  for (std::size_t i = 0; i < signal_infos.size(); ++i)
    if (std::abs(signal_infos[i].tr_s - tr) > 1e-6)
      throw input_error(d.signal_shards[i].string() + ": TR " + number(signal_infos[i].tr_s) + " s differs from " + number(tr) + " s");

  d.column_mean.resize(x.cols());
  d.column_norm.resize(x.cols());
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    d.column_mean[j] = static_cast<float>(x.col(j).cast<double>().mean());
    d.column_norm[j] = static_cast<float>((x.col(j).array() - d.column_mean[j]).matrix().cast<double>().norm());
  }
  centre_and_normalise_columns(x);
  if (d.source == SignalSource::kFeatures) centre_and_normalise_columns(signals);

  log::info("dictionary learning on ", x.cols(), " signals of length ", x.rows(), " (",
            d.source == SignalSource::kRaw ? "raw time series" : "DCAE features", "): K = ",
            o.dictionary.n_atoms, ", lambda = ", o.dictionary.lambda, ", batch ", o.dictionary.batch_size);
  LearnedDictionary learned;
  {
    const std::int64_t per_pass = (x.cols() + o.dictionary.batch_size - 1) / o.dictionary.batch_size;
    const auto planned = o.dictionary.iterations > 0 ? o.dictionary.iterations
                                                     : static_cast<std::int64_t>(std::ceil(o.dictionary.passes * static_cast<double>(per_pass)));
    ProgressBar bar("dictionary learning", static_cast<std::uint64_t>(planned), "batches");
    learned = learn_dictionary(x, o.dictionary, [&](std::int64_t, std::int64_t) { bar.advance(); });
  }
  d.atoms = learned.atoms;
  log::info("sparse coding every voxel");
  d.codes = sparse_encode(d.atoms, x, o.dictionary.lambda, o.dictionary.positive);
  const double objective = dictionary_objective(x, d.atoms, d.codes, o.dictionary.lambda);

  Eigen::MatrixXf mixing = d.source == SignalSource::kRaw ? d.atoms : least_squares_atoms(signals, d.codes);

  io::TaskDesign design;
  if (!o.events.empty()) {
    const io::Events ev = fs::is_directory(o.events) ? io::read_fsl_ev_folder(o.events) : io::read_bids_events(o.events);
    if (!(tr > 0)) throw input_error(d.signal_shards.front().string() + ": no TR in the sidecar, needed for the task design");
    design = io::make_task_design(ev, t_len, tr);
    const auto flipped = orient_atoms(mixing, d.codes, design.regressors);
    for (int k : flipped) d.atoms.col(k) *= -1.0f;
  }
  DictlearnResult r;
  r.objective = objective;
  if (!design.conditions.empty()) r.scores = best_matching_atoms(mixing, design.conditions, design.regressors);

  Eigen::MatrixXf decoded;
  if (decoder && d.source == SignalSource::kFeatures) {
    decoded = decoder(d);
    if (decoded.rows() != t_len || decoded.cols() != d.atoms.cols())
      throw runtime_error("decoder: returned " + std::to_string(decoded.rows()) + "x" + std::to_string(decoded.cols()) + " atoms");
    if (!design.conditions.empty()) r.decoder_scores = best_matching_atoms(decoded, design.conditions, design.regressors);
  }

  // Names: entities shared by every input run → the decomposition; each run's own → its maps.
  std::vector<std::map<std::string, std::string>> run_entities;
  for (const auto& info : signal_infos) run_entities.push_back(run_entities_of(info.source));
  std::map<std::string, std::string> common = run_entities.front();
  for (const auto& e : run_entities)
    for (auto it = common.begin(); it != common.end();) {
      auto f = e.find(it->first);
      it = (f == e.end() || f->second != it->second) ? common.erase(it) : std::next(it);
    }
  std::string prefix = o.prefix;
  fs::path group_dir = o.output_dir;
  if (prefix.empty()) {
    if (common.empty()) prefix = "dataset";
    else {
      prefix = io::bids_filename(common, "x", "");
      prefix.resize(prefix.size() - 2);  // drop "_x"
    }
    group_dir = folder_for(o.output_dir, common);
  }
  fs::create_directories(group_dir);
  r.mixing = group_dir / (prefix + "_desc-" + label + "_mixing.tsv");
  r.decomposition = group_dir / (prefix + "_desc-" + label + "_decomposition.json");
  write_mixing_tsv(r.mixing, label, mixing);
  fs::path decoded_path;
  if (decoded.size() > 0) {
    decoded_path = group_dir / (prefix + "_desc-" + label + "decoder_mixing.tsv");
    write_mixing_tsv(decoded_path, label + "decoder", decoded);
  }

  const auto k_atoms = d.atoms.cols();
  for (std::size_t i = 0; i < signal_infos.size(); ++i) {
    const io::ShardInfo& info = infos[i];
    const auto n = d.shard_offsets[i + 1] - d.shard_offsets[i];
    if (static_cast<std::int64_t>(info.voxel_ijk.size()) != n)
      throw input_error(o.shards[i].string() + ": its sidecar has no voxel indices, so maps cannot be placed");
    io::ImageHeader h = io::Image::read_header(find_mask(info, o.shards[i]));
    h.dim[3] = k_atoms;
    h.tr_s = 0.0;
    h.description = "dcae " + label + " spatial maps";
    io::Image maps(h);
    for (std::int64_t v = 0; v < n; ++v) {
      const auto& ijk = info.voxel_ijk[static_cast<std::size_t>(v)];
      if (ijk[0] < 0 || ijk[1] < 0 || ijk[2] < 0 || ijk[0] >= h.dim[0] || ijk[1] >= h.dim[1] || ijk[2] >= h.dim[2])
        throw input_error(o.shards[i].string() + ": voxel index outside the mask's grid");
      for (Eigen::Index k = 0; k < k_atoms; ++k) maps.at(ijk[0], ijk[1], ijk[2], k) = d.codes(k, d.shard_offsets[i] + v);
    }
    std::map<std::string, std::string> ent = run_entities[i];
    ent["desc"] = label;
    const bool named_by_prefix = signal_infos.size() == 1 && !o.prefix.empty();
    const fs::path dir = named_by_prefix ? group_dir : folder_for(o.output_dir, run_entities[i]);
    fs::create_directories(dir);
    const fs::path path = named_by_prefix
                              ? dir / (prefix + "_desc-" + label + "_components.nii.gz")
                              : dir / io::bids_filename(ent, "components", ".nii.gz");
    maps.write(path);
    r.components.push_back(path);
  }

  nlohmann::json inputs = nlohmann::json::array(), comps = nlohmann::json::array(), regs = nlohmann::json::array();
  for (const auto& s : o.shards) inputs.push_back(s.string());
  for (const auto& c : r.components) comps.push_back(fs::relative(c, group_dir).generic_string());
  for (const auto& g : design.regressors) regs.push_back(g);
  r.record = {
      {"Method", "Online dictionary learning (Mairal et al. 2010), LARS-Lasso codes"},
      {"Label", label},
      {"Source", d.source == SignalSource::kRaw ? "raw" : "features"},
      {"K", k_atoms},
      {"Lambda", o.dictionary.lambda},
      {"BatchSize", o.dictionary.batch_size},
      {"Iterations", learned.iterations},
      {"Passes", static_cast<double>(learned.iterations) * o.dictionary.batch_size / static_cast<double>(x.cols())},
      {"Seed", o.dictionary.seed},
      {"PositiveCodes", o.dictionary.positive},
      {"ReplacedAtoms", learned.replaced_atoms},
      {"Objective", objective},
      {"Seconds", learned.seconds},
      {"NumberOfSignals", x.cols()},
      {"SignalLength", x.rows()},
      {"TR", tr},
      {"TemporalAtoms", d.source == SignalSource::kRaw ? "the dictionary atoms" : "least squares of the time series on the codes"},
      {"Design", {{"Conditions", design.conditions}, {"Regressors", regs}, {"Events", o.events.string()}}},
      {"Scores", scores_json(r.scores, label)},
      {"Inputs", inputs},
      {"Components", comps},
      {"Version", kVersion}};
  if (!decoded_path.empty()) {
    r.record["DecoderMixing"] = decoded_path.filename().string();
    r.record["DecoderScores"] = scores_json(r.decoder_scores, label + "decoder");
  }
  io::write_json(r.decomposition, r.record);
  return r;
}

}  // namespace dcae::dict
