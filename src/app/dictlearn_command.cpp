#include <torch/torch.h>

#include <cmath>
#include <iomanip>
#include <iostream>
#include <numeric>

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

/// Feature atoms through the trained decoder: atom k is decoded with the switches of the
/// `per_atom` voxels that use it most (largest codes), each voxel's features rebuilt from the
/// atom alone (its mean + norm · code · atom, undoing the centring and normalisation), and
/// the decoded series averaged with the codes as weights.
dict::DecoderHook decoder_hook(const fs::path& checkpoint, int per_atom, const std::string& device) {
  return [=](const dict::LearnedDecomposition& d) {
    const auto k_atoms = d.atoms.cols();
    std::vector<std::vector<model::AtomVoxel>> voxels(static_cast<std::size_t>(k_atoms));
    std::vector<Eigen::Index> order(static_cast<std::size_t>(d.codes.cols()));
    for (Eigen::Index k = 0; k < k_atoms; ++k) {
      std::iota(order.begin(), order.end(), Eigen::Index{0});
      const auto take = std::min<std::size_t>(static_cast<std::size_t>(per_atom), order.size());
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take), order.end(),
                        [&](Eigen::Index a, Eigen::Index b) { return d.codes(k, a) > d.codes(k, b); });
      for (std::size_t q = 0; q < take; ++q) {
        const Eigen::Index col = order[q];
        const float c = d.codes(k, col);
        if (!(c > 0.0f)) break;
        const auto it = std::upper_bound(d.shard_offsets.begin(), d.shard_offsets.end(), col);
        const auto shard = static_cast<std::size_t>(it - d.shard_offsets.begin() - 1);
        voxels[static_cast<std::size_t>(k)].push_back(
            {shard, col - d.shard_offsets[shard], c * d.column_norm[col], d.column_mean[col], c});
      }
    }
    const std::vector<float> atoms(d.atoms.data(), d.atoms.data() + d.atoms.size());
    log::info("decoding ", k_atoms, " feature atoms through ", checkpoint.string(), " (up to ", per_atom,
              " voxels each)");
    const auto out = model::decode_feature_atoms(checkpoint, d.signal_shards, atoms, k_atoms, voxels, device);
    const auto t = static_cast<Eigen::Index>(out.size()) / k_atoms;
    return Eigen::MatrixXf(Eigen::Map<const Eigen::MatrixXf>(out.data(), t, k_atoms));
  };
}

class DictlearnCommand final : public Command {
 public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-dictlearn";
    u.summary = "online dictionary learning on time-series or DCAE feature shards, scored against the task";
    u.description =
        "Learns K atoms (Mairal et al. 2010: LARS-Lasso codes, mini-batches, block-coordinate\n"
        "updates) from every voxel of the shards (signals centred and scaled to unit norm),\n"
        "codes every voxel, and writes BIDS-derivative outputs: <prefix>_desc-<label>_mixing.tsv\n"
        "(temporal atoms), one <run>_desc-<label>_components.nii.gz per run (the codes as maps,\n"
        "one volume per atom) and <prefix>_desc-<label>_decomposition.json (method, K, lambda,\n"
        "objective, task design, scores). Feature shards (from dcae-encode) are recognised from\n"
        "their sidecar; their atoms are brought to time by least squares of the raw series on\n"
        "the codes and, with --checkpoint, through the trained decoder (desc-<label>decoder).\n"
        "With --events each condition's HRF-convolved regressor is matched to its best atom.";
    auto& shards = add_argument(u, "shards", ArgKind::kStringList, "raw time-series or feature shards (.npy), one per run");
    shards.positional = shards.required = true;
    auto& out = add_argument(u, "output-dir", ArgKind::kOutputDir, "derivatives folder for the outputs");
    out.short_flag = "o";
    out.required = true;
    add_argument(u, "events", ArgKind::kString, "BIDS events.tsv or HCP EVs/ folder of the runs (for scoring)").value_name = "PATH";
    add_argument(u, "signals", ArgKind::kStringList, "raw shards behind feature shards (default: the sources their sidecars name)");
    add_argument(u, "checkpoint", ArgKind::kInputFile, "model.pt: also decode feature atoms through the decoder");
    auto& per = add_argument(u, "decoder-voxels", ArgKind::kInt, "voxels whose switches decode each feature atom");
    per.default_value = "32";
    per.min = 1;
    add_argument(u, "prefix", ArgKind::kString, "file-name prefix (default: the entities the runs share)");
    add_argument(u, "label", ArgKind::kString, "desc label (default: rawodl or dcaeodl)");
    auto& k = add_argument(u, "atoms", ArgKind::kInt, "number of atoms K", "Dictionary learning");
    k.default_value = "400";
    k.min = 1;
    add_argument(u, "lambda", ArgKind::kFloat, "l1 weight (default 1.2/sqrt(signal length))", "Dictionary learning").min = 0;
    auto& b = add_argument(u, "batch-size", ArgKind::kInt, "signals per mini-batch", "Dictionary learning");
    b.default_value = "256";
    b.min = 1;
    auto& p = add_argument(u, "passes", ArgKind::kFloat, "passes over the data", "Dictionary learning");
    p.default_value = "1";
    p.min = 0;
    add_argument(u, "iterations", ArgKind::kInt, "mini-batches (overrides --passes)", "Dictionary learning").min = 1;
    add_argument(u, "time-budget", ArgKind::kFloat, "stop learning after this many seconds", "Dictionary learning").min = 0;
    auto& s = add_argument(u, "seed", ArgKind::kInt, "random seed", "Dictionary learning");
    s.default_value = "1";
    s.min = 0;
    add_argument(u, "positive", ArgKind::kFlag, "non-negative codes", "Dictionary learning");
    auto& dev = add_argument(u, "device", ArgKind::kString, "cpu or cuda:N for the decoder");
    dev.default_value = "cpu";
    u.examples = {"dcae-dictlearn --atoms 100 --events sub-01/func/sub-01_task-motor_events.tsv -o out/ shards/sub-01_task-motor_desc-preproc_timeseries.npy",
                  "dcae-dictlearn --checkpoint model/model.pt --atoms 100 --events events.tsv -o out/ features/*_desc-features_timeseries.npy"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    torch::set_num_threads(thread_count());
    dict::DictlearnOptions o;
    for (const auto& s : a.strings("shards")) o.shards.emplace_back(s);
    if (a.has("signals"))
      for (const auto& s : a.strings("signals")) o.signals.emplace_back(s);
    o.output_dir = a.string("output-dir");
    if (a.has("events")) {
      o.events = a.string("events");
      if (!fs::exists(o.events)) throw input_error(o.events.string() + ": no such events file or EV folder");
    }
    if (a.has("prefix")) o.prefix = a.string("prefix");
    if (a.has("label")) o.label = a.string("label");
    auto& dl = o.dictionary;
    dl.n_atoms = static_cast<int>(a.integer("atoms"));
    if (a.has("lambda")) {
      dl.lambda = a.number("lambda");
    } else {
      const auto m = io::read_shard_info(o.shards.front()).n_timepoints;
      dl.lambda = 1.2 / std::sqrt(static_cast<double>(std::max<std::int64_t>(m, 1)));
      log::info("lambda = 1.2/sqrt(", m, ") = ", dl.lambda);
    }
    dl.batch_size = static_cast<int>(a.integer("batch-size"));
    dl.passes = a.number("passes");
    if (a.has("iterations")) dl.iterations = a.integer("iterations");
    if (a.has("time-budget")) dl.time_budget_s = a.number("time-budget");
    dl.seed = static_cast<std::uint64_t>(a.integer("seed"));
    dl.positive = a.flag("positive");
    dict::DecoderHook hook;
    if (a.has("checkpoint"))
      hook = decoder_hook(a.string("checkpoint"), static_cast<int>(a.integer("decoder-voxels")), a.string("device"));
    const auto r = dict::run_dictlearn(o, hook);

    log::info("objective ", r.objective, "; wrote ", r.mixing.string(), ", ", r.decomposition.string(), " and ",
              r.components.size(), " map file(s)");
    if (!r.scores.empty()) {
      std::cout << "condition\tatom\tr" << (r.decoder_scores.empty() ? "" : "\tdecoder_atom\tdecoder_r") << '\n';
      for (std::size_t i = 0; i < r.scores.size(); ++i) {
        std::cout << r.scores[i].condition << '\t' << r.scores[i].atom << '\t' << std::fixed << std::setprecision(3)
                  << r.scores[i].r;
        if (i < r.decoder_scores.size()) std::cout << '\t' << r.decoder_scores[i].atom << '\t' << r.decoder_scores[i].r;
        std::cout << '\n';
      }
    }
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> make_dictlearn_command() { return std::make_unique<DictlearnCommand>(); }

}  // namespace dcae::app
