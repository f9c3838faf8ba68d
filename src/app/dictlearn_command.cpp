#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>

#include <torch/torch.h>

#include "app/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/threads.h"
#include "dict/pipeline.h"
#include "io/shard.h"
#include "model/encoder.h"

namespace fs = std::filesystem;

namespace dcae::app {
namespace {

/// The `per_atom` voxels of run `run` (all runs when `run` is npos) with the largest codes of
/// atom k, as columns of the code matrix.
std::vector<Eigen::Index> top_voxels(const dict::LearnedDecomposition& d, Eigen::Index k,
                                     int per_atom, std::size_t run, bool by_magnitude) {
  const Eigen::Index first = run == std::string::npos ? 0 : d.shard_offsets[run];
  const Eigen::Index last = run == std::string::npos ? d.codes.cols() : d.shard_offsets[run + 1];
  std::vector<Eigen::Index> order(static_cast<std::size_t>(last - first));
  std::iota(order.begin(), order.end(), first);
  auto value = [&](Eigen::Index c) {
    return by_magnitude ? std::abs(d.codes(k, c)) : d.codes(k, c);
  };
  const auto take = std::min<std::size_t>(static_cast<std::size_t>(per_atom), order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take), order.end(),
                    [&](Eigen::Index a, Eigen::Index b) { return value(a) > value(b); });
  order.resize(take);
  order.erase(std::remove_if(order.begin(), order.end(),
                             [&](Eigen::Index c) { return !(value(c) > 0.0f); }),
              order.end());
  return order;
}

/// The paper's readout: each feature atom decoded without switches from a typical voxel's
/// feature vector (the code-weighted mean and scale of the `per_atom` voxels that use it
/// most). One series per atom, the same for every run.
dict::DecoderReadout upsampling_readout(const fs::path& checkpoint, int per_atom,
                                        const std::string& device) {
  auto cache = std::make_shared<Eigen::MatrixXf>();
  return {
      "upsampling: each atom decoded without switches (unpooling spreads each value over its pool "
      "positions), from the code-weighted mean feature offset and scale of the voxels that use it "
      "most",
      [=](const dict::LearnedDecomposition& d, std::size_t) {
        if (cache->size() > 0) return *cache;
        const auto k_atoms = d.atoms.cols();
        std::vector<float> offsets(static_cast<std::size_t>(k_atoms), 0.0f),
            scales(offsets.size(), 0.0f);
        for (Eigen::Index k = 0; k < k_atoms; ++k) {
          double w = 0, off = 0, sc = 0;
          for (Eigen::Index c : top_voxels(d, k, per_atom, std::string::npos, false)) {
            const double code = d.codes(k, c);
            w += code;
            off += code * d.column_mean[c];
            sc += code * code * d.column_norm[c];
          }
          if (w > 0) {
            offsets[static_cast<std::size_t>(k)] = static_cast<float>(off / w);
            scales[static_cast<std::size_t>(k)] = static_cast<float>(sc / w);
          }
        }
        const std::vector<float> atoms(d.atoms.data(), d.atoms.data() + d.atoms.size());
        log::info("decoding ", k_atoms, " feature atoms through ", checkpoint.string(),
                  " without switches");
        const auto out =
            model::decode_atoms_upsampled(checkpoint, atoms, k_atoms, offsets, scales, device);
        *cache = Eigen::Map<const Eigen::MatrixXf>(
            out.data(), static_cast<Eigen::Index>(out.size()) / k_atoms, k_atoms);
        return *cache;
      }};
}

/// The ablation readout of each run: what atom k adds to the decoded series of the run's
/// `per_atom` voxels that use it most (by |code|), weighted by their codes.
dict::DecoderReadout ablation_readout(const fs::path& checkpoint, int per_atom,
                                      const std::string& device) {
  return {
      "ablation: per run, sum over the voxels that use atom k most of c_vk/sum|c| * [dec(h_v) - "
      "dec(h_v - "
      "norm_v c_vk d_k)], each voxel decoded with its own switches",
      [=](const dict::LearnedDecomposition& d, std::size_t run) {
        const auto k_atoms = d.atoms.cols();
        if (d.feature_shards.size() <= run)
          throw usage_error("ablation readout: no feature shard for run " + std::to_string(run));
        std::vector<std::vector<model::AblationVoxel>> voxels(static_cast<std::size_t>(k_atoms));
        for (Eigen::Index k = 0; k < k_atoms; ++k) {
          const auto cols = top_voxels(d, k, per_atom, run, true);
          double total = 0;
          for (Eigen::Index c : cols) total += std::abs(d.codes(k, c));
          for (Eigen::Index c : cols)
            voxels[static_cast<std::size_t>(k)].push_back(
                {c - d.shard_offsets[run], d.codes(k, c) * d.column_norm[c],
                 static_cast<float>(d.codes(k, c) / total)});
        }
        const std::vector<float> atoms(d.atoms.data(), d.atoms.data() + d.atoms.size());
        const auto out =
            model::ablation_readout(checkpoint, d.signal_shards[run], d.feature_shards[run], atoms,
                                    k_atoms, voxels, device);
        return Eigen::MatrixXf(Eigen::Map<const Eigen::MatrixXf>(
            out.data(), static_cast<Eigen::Index>(out.size()) / k_atoms, k_atoms));
      }};
}

class DictlearnCommand final : public Command {
public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-dictlearn";
    u.summary =
        "online dictionary learning on time-series or DCAE feature shards, scored against the task";
    u.description =
        "Learns K atoms (Mairal et al. 2010: LARS-Lasso codes, mini-batches, block-coordinate\n"
        "updates) from every voxel of the shards (signals centred and scaled to unit norm), one\n"
        "dictionary for all runs, and codes every voxel. Each run's temporal atoms are least\n"
        "squares of its own time series on its voxels' codes. Outputs (BIDS derivatives), per "
        "run:\n"
        "<run>_desc-<label>_mixing.tsv (temporal atoms) and <run>_desc-<label>_components.nii.gz\n"
        "(the codes as maps, one volume per atom), <run>_desc-<label>corr_components.nii.gz\n"
        "(r-maps: each voxel's r with each of the run's temporal atoms); and\n"
        "<prefix>_desc-<label>_decomposition.json.\n"
        "Feature shards (from dcae-encode) are recognised from their sidecar; with --checkpoint\n"
        "their atoms are also brought to time through the decoder (desc-<label>decoder).\n"
        "With --events, each run is scored against its own HRF-convolved design, sampled at the\n"
        "times its volumes represent and high-pass filtered as the data were (from the shard's\n"
        "sidecar); atoms are assigned to conditions one-to-one (Hungarian), and every score is\n"
        "given with its chance level NullR95 (95th percentile of the best |r| of the K atoms\n"
        "against circularly shifted designs).";
    auto& shards = add_argument(u, "shards", ArgKind::kInputFileList,
                                "raw time-series or feature shards (.npy), one per run");
    shards.positional = shards.required = true;
    auto& out =
        add_argument(u, "output-dir", ArgKind::kOutputDir, "derivatives folder for the outputs");
    out.short_flag = "o";
    out.required = true;
    add_argument(u, "events", ArgKind::kInputFileList,
                 "BIDS events.tsv or HCP EVs/ folder of each run (one per shard, in order), or one "
                 "for all runs")
        .value_name = "PATH";
    add_argument(u, "signals", ArgKind::kInputFileList,
                 "raw shards behind feature shards (default: the sources their sidecars name)");
    add_argument(u, "prefix", ArgKind::kString,
                 "file-name prefix (default: the entities the runs share)");
    add_argument(u, "label", ArgKind::kString, "desc label (default: rawodl or dcaeodl)");
    auto& k = add_argument(u, "atoms", ArgKind::kInt, "number of atoms K", "Dictionary learning");
    k.default_value = std::to_string(dict::kDefaultAtoms);
    k.min = 1;
    add_argument(u, "lambda", ArgKind::kFloat,
                 "l1 weight (default 3/sqrt(T), T the raw series' length, for raw signals and "
                 "features alike)",
                 "Dictionary learning")
        .min = 0;
    auto& b = add_argument(u, "batch-size", ArgKind::kInt, "signals per mini-batch",
                           "Dictionary learning");
    b.default_value = "256";
    b.min = 1;
    auto& p =
        add_argument(u, "passes", ArgKind::kFloat, "passes over the data", "Dictionary learning");
    p.default_value = "1";
    p.min = 0;
    add_argument(u, "iterations", ArgKind::kInt, "mini-batches (overrides --passes)",
                 "Dictionary learning")
        .min = 1;
    add_argument(u, "time-budget", ArgKind::kFloat, "stop learning after this many seconds",
                 "Dictionary learning")
        .min = 0;
    auto& s = add_argument(u, "seed", ArgKind::kInt, "random seed", "Dictionary learning");
    s.default_value = "1";
    s.min = 0;
    add_argument(u, "positive", ArgKind::kFlag, "non-negative codes", "Dictionary learning");
    add_argument(
        u, "highpass", ArgKind::kFloat,
        "high-pass cutoff (s) applied to the design (default: the shard sidecar's; 0 = none)",
        "Scoring")
        .min = 0;
    add_argument(
        u, "start-time", ArgKind::kFloat,
        "time (s) within the TR that volume 0 represents (default: the shard sidecar's StartTime)",
        "Scoring")
        .min = 0;
    auto& shifts = add_argument(u, "null-shifts", ArgKind::kInt,
                                "circular shifts of the design for the chance level", "Scoring");
    shifts.default_value = "200";
    shifts.min = 1;
    add_argument(u, "checkpoint", ArgKind::kInputFile,
                 "model.pt: also bring feature atoms to time through the decoder", "Decoder");
    auto& readout = add_argument(
        u, "decoder-readout", ArgKind::kChoice,
        "upsampling: each atom decoded without switches (the paper's); ablation: per run, what "
        "the atom adds to the decoded series of the voxels that use it",
        "Decoder");
    readout.choices = {"upsampling", "ablation"};
    readout.default_value = "upsampling";
    auto& per = add_argument(u, "decoder-voxels", ArgKind::kInt,
                             "voxels per atom behind the decoder readout", "Decoder");
    per.default_value = "32";
    per.min = 1;
    auto& dev =
        add_argument(u, "device", ArgKind::kString, "cpu or cuda:N for the decoder", "Decoder");
    dev.default_value = "cpu";
    u.examples = {"dcae-dictlearn --events sub-01/func/sub-01_task-motor_events.tsv -o out/ "
                  "shards/sub-01_task-motor_desc-preproc_timeseries.npy",
                  "dcae-dictlearn --checkpoint model/model.pt --events ev1.tsv ev2.tsv -o out/ "
                  "features/*_desc-features_timeseries.npy"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    torch::set_num_threads(thread_count());
    dict::DictlearnOptions o;
    for (const auto& s : a.strings("shards")) o.shards.emplace_back(s);
    if (a.has("signals"))
      for (const auto& s : a.strings("signals")) o.signals.emplace_back(s);
    o.output_dir = a.string("output-dir");
    if (a.has("events"))
      for (const auto& e : a.strings("events")) {
        o.events.emplace_back(e);
        if (!fs::exists(o.events.back()))
          throw input_error(e + ": no such events file or EV folder");
      }
    if (a.has("prefix")) o.prefix = a.string("prefix");
    if (a.has("label")) o.label = a.string("label");
    if (a.has("highpass")) o.highpass_s = a.number("highpass");
    if (a.has("start-time")) o.start_time_s = a.number("start-time");
    o.null.shifts = static_cast<int>(a.integer("null-shifts"));
    auto& dl = o.dictionary;
    dl.n_atoms = static_cast<int>(a.integer("atoms"));
    if (a.has("lambda")) {
      dl.lambda = a.number("lambda");
    } else {
      // The raw series' length for raw signals and features alike: one λ for both.
      const auto info = io::read_shard_info(o.shards.front());
      std::int64_t t = info.n_timepoints;
      if (!o.signals.empty())
        t = io::read_shard_info(o.signals.front()).n_timepoints;
      else if (info.provenance.is_object() && info.provenance.value("Step", "") == "dcae-encode" &&
               !info.source.empty() && fs::exists(info.source))
        t = io::read_shard_info(info.source).n_timepoints;
      dl.lambda = dict::default_lambda(t);
      log::info("lambda = ", dict::kLambdaNoiseSDs, "/sqrt(", t, ") = ", dl.lambda);
    }
    dl.batch_size = static_cast<int>(a.integer("batch-size"));
    dl.passes = a.number("passes");
    if (a.has("iterations")) dl.iterations = a.integer("iterations");
    if (a.has("time-budget")) dl.time_budget_s = a.number("time-budget");
    dl.seed = static_cast<std::uint64_t>(a.integer("seed"));
    dl.positive = a.flag("positive");
    std::optional<dict::DecoderReadout> readout;
    if (a.has("checkpoint")) {
      const int per = static_cast<int>(a.integer("decoder-voxels"));
      readout = a.string("decoder-readout") == "ablation"
                    ? ablation_readout(a.string("checkpoint"), per, a.string("device"))
                    : upsampling_readout(a.string("checkpoint"), per, a.string("device"));
    }
    const auto r = dict::run_dictlearn(o, readout);

    log::info("objective ", r.objective, "; wrote ", r.decomposition.string(),
              " and the mixing and maps of ", r.runs.size(), " run(s)");
    if (!r.evaluation.summary.empty()) {
      std::cout << "condition\tatom\tmedian_r\tmin_r\tnull_r95\truns_above_null"
                << (r.decoder_evaluation.summary.empty()
                        ? ""
                        : "\tdecoder_atom\tdecoder_median_r\tdecoder_null_r95")
                << '\n';
      for (std::size_t i = 0; i < r.evaluation.summary.size(); ++i) {
        const auto& s = r.evaluation.summary[i];
        std::cout << s.condition << '\t' << s.atom << '\t' << std::fixed << std::setprecision(3)
                  << s.median_r << '\t' << s.min_r << '\t' << s.median_null_r95 << '\t'
                  << s.runs_above_null << '/' << s.runs;
        if (i < r.decoder_evaluation.summary.size()) {
          const auto& g = r.decoder_evaluation.summary[i];
          std::cout << '\t' << g.atom << '\t' << g.median_r << '\t' << g.median_null_r95;
        }
        std::cout << '\n';
      }
    }
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> make_dictlearn_command() {
  return std::make_unique<DictlearnCommand>();
}

} // namespace dcae::app
