#include <torch/torch.h>

#include <algorithm>
#include <iostream>

#include "app/commands.h"
#include "app/dist_launcher.h"
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

void add_distributed_options(Usage& u) {
  const std::string g = "Distributed training (Downpour SGD)";
  auto& w = add_argument(u, "workers", ArgKind::kInt, "train with N worker processes and parameter servers (0: this process alone)", g);
  w.default_value = "0";
  w.min = 0;
  auto& l = add_argument(u, "launcher", ArgKind::kChoice, "local: servers and workers on this machine over loopback; "
                                                           "slurm: under srun, rank 0 serves and the others train (ranks from SLURM_PROCID, SLURM_NTASKS, "
                                                           "SLURM_JOB_NODELIST); manual: print the dcae-ps/dcae-worker commands to start by hand", g);
  auto& port = add_argument(u, "port", ArgKind::kInt, "--launcher slurm: the server's port on the first node", g);
  port.default_value = "50051";
  port.min = 1;
  port.max = 65535;
  l.choices = {"local", "slurm", "manual"};
  l.default_value = "local";
  auto& s = add_argument(u, "servers", ArgKind::kInt, "parameter-server processes", g);
  s.default_value = "1";
  s.min = 1;
  auto& sh = add_argument(u, "ps-shards", ArgKind::kInt, "parameter shards over the servers (0: one per server)", g);
  sh.default_value = "0";
  sh.min = 0;
  auto& nf = add_argument(u, "n-fetch", ArgKind::kInt, "steps between a worker's fetches of the parameters", g);
  nf.default_value = "1";
  nf.min = 1;
  auto& np = add_argument(u, "n-push", ArgKind::kInt, "steps between a worker's pushes of its accumulated gradient", g);
  np.default_value = "1";
  np.min = 1;
  auto& wu = add_argument(u, "warmup-steps", ArgKind::kInt, "steps the first worker trains alone before the others join", g);
  wu.default_value = std::to_string(kDefaultWarmupSteps);
  wu.min = 0;
  auto& ms = add_argument(u, "max-staleness", ArgKind::kInt, "drop pushes more than this many updates old (-1: never)", g);
  ms.default_value = "-1";
  ms.min = -1;
  auto& br = add_argument(u, "block-rows", ArgKind::kInt, "voxels per data partition (partitions = runs x voxel blocks)", g);
  br.default_value = "2048";
  br.min = 1;
  auto& lt = add_argument(u, "lease-timeout", ArgKind::kFloat, "seconds without a heartbeat after which a worker's partition goes to another", g);
  lt.default_value = "10";
  lt.min = 0.5;
  auto& ce = add_argument(u, "ps-checkpoint-every", ArgKind::kFloat, "seconds between the servers' checkpoints", g);
  ce.default_value = "5";
  ce.min = 0;
  add_argument(u, "fp16", ArgKind::kFlag, "transfer parameters and gradients as fp16", g);
  add_argument(u, "overlap", ArgKind::kFlag, "workers push and fetch on a background thread while they compute the next steps", g);
  add_argument(u, "sync", ArgKind::kFlag, "the synchronous baseline instead: gradients all-reduced every step through "
                                          "LibTorch's c10d Gloo process group (local launcher only)", g);
}

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
    add_distributed_options(u);
    u.examples = {"dcae-train -o model/ out/shards/*.npy",
                  "dcae-train --workers 4 --nthreads 1 -o model/ out/shards/*.npy",
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
    if (a.integer("workers") > 0) return run_distributed(a, c, shards, out);
    model::TrainOptions o;
    o.checkpoint = out / "model.pt";
    o.loss_log = out / "loss.tsv";
    o.validation_log = out / "validation.tsv";
    o.resume = a.flag("resume");
    o.device = a.string("device");
    write_file_atomic(out / "model.yaml", model::to_yaml(c));
    const auto r = model::train(c, shards, o);
    log::info("trained ", r.steps, " steps (", r.epochs, " epochs; stop: ", r.stop_reason, "); last loss ",
              r.last_loss, c.validation_fraction > 0 ? "; validation loss " + std::to_string(r.validation_loss) : std::string(),
              "; checkpoint ", o.checkpoint.string());
    write_file_atomic(out / "training.json", nlohmann::json{{"Steps", r.steps},
                                                            {"Epochs", r.epochs},
                                                            {"StopReason", r.stop_reason},
                                                            {"LastEpochLoss", r.last_epoch_loss},
                                                            {"ValidationLoss", r.validation_loss}}
                                                 .dump(2) + "\n");
    return 0;
  }

 private:
  int run_distributed(const ParsedArgs& a, const model::ModelConfig& c, const std::vector<fs::path>& shards,
                      const fs::path& out);
};

int TrainCommand::run_distributed(const ParsedArgs& a, const model::ModelConfig& c, const std::vector<fs::path>& shards,
                                  const fs::path& out) {
  if (a.flag("resume")) throw usage_error("--resume applies to single-process training; a distributed job resumes through its servers' checkpoints");
  DistJob job;
  job.shards = shards;
  job.output_dir = out;
  job.workers = static_cast<int>(a.integer("workers"));
  job.servers = static_cast<int>(a.integer("servers"));
  job.num_shards = static_cast<int>(a.integer("ps-shards"));
  job.n_fetch = a.integer("n-fetch");
  job.n_push = a.integer("n-push");
  job.warmup_steps = a.integer("warmup-steps");
  job.max_staleness = a.integer("max-staleness");
  job.block_rows = a.integer("block-rows");
  job.lease_timeout_s = a.number("lease-timeout");
  job.ps_checkpoint_every_s = a.number("ps-checkpoint-every");
  job.fp16 = a.flag("fp16");
  job.overlap = a.flag("overlap");
  job.device = a.string("device");
  job.worker_threads = std::max(1, thread_count() / job.workers);
  if (a.string("launcher") == "manual") {
    const fs::path yaml = out / "model.yaml";
    write_file_atomic(yaml, model::to_yaml(c));
    std::cout << "# Start these on their machines (servers first; give each the job's token in the file\n"
                 "# named by --token-file or in DCAE_PS_TOKEN; replace 127.0.0.1 by the servers' addresses\n"
                 "# and add --listen 0.0.0.0:PORT with TLS across machines):\n";
    for (const auto& line : manual_commands(c, job, yaml, out / "dist" / "token")) std::cout << line << '\n';
    return 0;
  }
  if (a.flag("sync")) {
    if (a.string("launcher") != "local") throw usage_error("--sync runs with --launcher local only");
    train_sync_local(c, job);
    return 0;
  }
  if (a.string("launcher") == "slurm") {
    job.worker_threads = thread_count();
    train_distributed_slurm(c, job, static_cast<int>(a.integer("port")));
    return 0;
  }
  train_distributed_local(c, job);
  return 0;
}

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
