#include <torch/torch.h>

#include "app/commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/threads.h"
#include "model/encoder.h"
#include "model/trainer.h"

namespace fs = std::filesystem;

namespace dcae::app {
namespace {

void add_device(Usage& u) {
  auto& d = add_argument(u, "device", ArgKind::kString, "cpu or cuda:N (needs a LibTorch with CUDA)");
  d.default_value = "cpu";
}

/// LibTorch starts with one thread here: use --nthreads (default: all cores).
void set_torch_threads() { torch::set_num_threads(thread_count()); }

class TrainCommand final : public Command {
 public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-train";
    u.summary = "train the convolutional autoencoder on time-series shards (this machine)";
    u.description =
        "Mini-batches are drawn across all shards (seeded shuffling, optional voxel\n"
        "subsampling, rows read through a bounded cache). Writes <output_dir>/model.pt (a\n"
        "checkpoint: model, Adagrad state, step, RNG state, configuration and its hash; saved\n"
        "atomically every train.checkpoint_every steps and at the end), model.yaml and\n"
        "loss.tsv. --resume continues exactly where the checkpoint stopped.";
    auto& shards = add_argument(u, "shards", ArgKind::kStringList, "time-series shards (.npy with .json sidecars)");
    shards.positional = shards.required = true;
    auto& out = add_argument(u, "output-dir", ArgKind::kOutputDir, "folder for model.pt, model.yaml, loss.tsv");
    out.short_flag = "o";
    out.required = true;
    add_argument(u, "model-config", ArgKind::kInputFile, "YAML of model./loss./optimizer./train. keys (defaults: DESIGN.md)")
        .value_name = "YAML";
    add_argument(u, "epochs", ArgKind::kInt, "override train.epochs").min = 0;
    add_argument(u, "max-steps", ArgKind::kInt, "override train.max_steps").min = 0;
    add_argument(u, "target-loss", ArgKind::kFloat, "override train.target_loss").min = 0;
    add_argument(u, "resume", ArgKind::kFlag, "continue from output-dir/model.pt if it exists");
    add_device(u);
    u.examples = {"dcae-train -o model/ out/shards/*.npy",
                  "dcae-train --model-config model.yaml --max-steps 2000 --nthreads 2 -o model/ shards/*.npy"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    set_torch_threads();
    model::ModelConfig c;
    if (a.has("model-config")) c = model::load_model_config(a.string("model-config"));
    if (a.has("epochs")) c.epochs = a.integer("epochs");
    if (a.has("max-steps")) c.max_steps = a.integer("max-steps");
    if (a.has("target-loss")) c.target_loss = a.number("target-loss");
    std::vector<fs::path> shards;
    for (const auto& s : a.strings("shards")) shards.emplace_back(s);
    const fs::path out = a.string("output-dir");
    fs::create_directories(out);
    model::TrainOptions o;
    o.checkpoint = out / "model.pt";
    o.loss_log = out / "loss.tsv";
    o.resume = a.flag("resume");
    o.device = a.string("device");
    write_file_atomic(out / "model.yaml", model::to_yaml(c));
    const auto r = model::train(c, shards, o);
    log::info("trained ", r.steps, " steps (", r.epochs, " epochs; stop: ", r.stop_reason, "); last loss ",
              r.last_loss, "; checkpoint ", o.checkpoint.string());
    return 0;
  }
};

class EncodeCommand final : public Command {
 public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-encode";
    u.summary = "high-level features of every voxel of time-series shards, with a trained model";
    u.description =
        "Streams each shard through the encoder in batches (inference mode) and writes\n"
        "<stem>_desc-features_timeseries.npy ([n_voxels, F]) and, with --reconstructions,\n"
        "<stem>_desc-reconstruction_timeseries.npy ([n_voxels, T]) into output-dir.";
    auto& shards = add_argument(u, "shards", ArgKind::kStringList, "time-series shards to encode");
    shards.positional = shards.required = true;
    auto& ck = add_argument(u, "checkpoint", ArgKind::kInputFile, "model.pt written by dcae-train");
    ck.short_flag = "m";
    ck.required = true;
    auto& out = add_argument(u, "output-dir", ArgKind::kOutputDir, "folder for the feature shards");
    out.short_flag = "o";
    out.required = true;
    add_argument(u, "reconstructions", ArgKind::kFlag, "also write the reconstructions");
    auto& bs = add_argument(u, "batch-size", ArgKind::kInt, "voxels per batch");
    bs.default_value = "1024";
    bs.min = 1;
    add_device(u);
    u.examples = {"dcae-encode -m model/model.pt -o features/ out/shards/*.npy"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    set_torch_threads();
    model::EncodeOptions o;
    o.batch_size = a.integer("batch-size");
    o.reconstructions = a.flag("reconstructions");
    o.device = a.string("device");
    for (const auto& s : a.strings("shards")) {
      model::encode_shard(a.string("checkpoint"), s, a.string("output-dir"), o);
    }
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> make_train_command() { return std::make_unique<TrainCommand>(); }
std::unique_ptr<Command> make_encode_command() { return std::make_unique<EncodeCommand>(); }

}  // namespace dcae::app
