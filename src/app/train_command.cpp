// dcae-train: the autoencoder trained by this process, or by a distributed job it launches.
#include <algorithm>
#include <iostream>

#include <torch/torch.h>

#include "app/commands.h"
#include "app/train_options.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/threads.h"
#include "model/trainer.h"
#include "train/launch.h"

namespace fs = std::filesystem;

namespace dcae::app {
namespace {

const char* const kGroup = "Distributed training (Downpour SGD)";

void add_distributed_options(Usage& u) {
  auto& w = add_argument(
      u, "workers", ArgKind::kInt,
      "train with N worker processes and parameter servers (0: this process alone)", kGroup);
  w.default_value = "0";
  w.min = 0;
  auto& l = add_argument(
      u, "launcher", ArgKind::kChoice,
      "local: servers and workers on this machine over loopback; "
      "slurm: under srun, rank 0 serves and the others train (ranks from SLURM_PROCID, "
      "SLURM_NTASKS, "
      "SLURM_JOB_NODELIST); manual: print the dcae-ps/dcae-worker commands to start by hand",
      kGroup);
  l.choices = {"local", "slurm", "manual"};
  l.default_value = "local";
  auto& port = add_argument(u, "port", ArgKind::kInt,
                            "--launcher slurm: the server's port on the first node", kGroup);
  port.default_value = "50051";
  port.min = 1;
  port.max = 65535;
  add_argument(u, "ps-address", ArgKind::kString,
               "--launcher slurm: where workers reach rank 0's server (HOST or HOST:PORT); "
               "default: the address rank 0 publishes in <output>/dist/address (its NodeAddr, "
               "else its interface's IPv4 address), then the first node's name",
               kGroup)
      .value_name = "HOST[:PORT]";
  auto& s = add_argument(u, "servers", ArgKind::kInt, "parameter-server processes", kGroup);
  s.default_value = "1";
  s.min = 1;
  auto& sh = add_argument(u, "ps-shards", ArgKind::kInt,
                          "parameter shards over the servers (0: one per server)", kGroup);
  sh.default_value = "0";
  sh.min = 0;
  add_option_group(u, train::exchange_options(), kGroup);
  add_option_group(u, train::server_options(), kGroup);
  auto& ce = add_argument(u, "ps-checkpoint-every", ArgKind::kFloat,
                          "seconds between the servers' checkpoints", kGroup);
  ce.default_value = "5";
  ce.min = 0;
  add_argument(u, "sync", ArgKind::kFlag,
               "the synchronous baseline instead: gradients all-reduced every step through "
               "LibTorch's c10d Gloo process group (local launcher only)",
               kGroup);
  add_tls_options(u, true, true);
}

/// The job the distributed options describe.
train::Job job_of(const ParsedArgs& a, const std::vector<fs::path>& shards, const fs::path& out) {
  train::Job job;
  job.shards = shards;
  job.output_dir = out;
  job.workers = static_cast<int>(a.integer("workers"));
  job.servers = static_cast<int>(a.integer("servers"));
  job.num_shards = static_cast<int>(a.integer("ps-shards"));
  job.exchange = read_option_group(a, train::exchange_options());
  job.server = read_option_group(a, train::server_options());
  job.ps_checkpoint_every_s = a.number("ps-checkpoint-every");
  job.device = a.string("device");
  job.worker_threads = std::max(1, thread_count() / job.workers);
  job.resume = a.flag("resume");
  job.tls = read_tls_options(a);
  return job;
}

int run_distributed(const ParsedArgs& a, const model::ModelConfig& c, train::Job job) {
  const std::string launcher = a.string("launcher");
  if (launcher == "manual") {
    const fs::path yaml = job.output_dir / "model.yaml";
    write_file_atomic(yaml, model::to_yaml(c));
    std::cout
        << "# Start these on their machines (servers first; give each the job's token in the file\n"
           "# named by --token-file or in DCAE_PS_TOKEN; replace 127.0.0.1 by the servers' "
           "addresses\n"
           "# and add --listen 0.0.0.0:PORT with TLS across machines):\n";
    for (const auto& line : train::manual_commands(c, job, yaml, job.output_dir / "dist" / "token"))
      std::cout << line << '\n';
  } else if (a.flag("sync")) {
    if (launcher != "local") throw usage_error("--sync runs with --launcher local only");
    train::train_sync_local(c, job);
  } else if (launcher == "slurm") {
    job.worker_threads = thread_count();
    train::train_distributed_slurm(c, job, static_cast<int>(a.integer("port")),
                                   a.has("ps-address") ? a.string("ps-address") : "");
  } else {
    train::train_distributed_local(c, job);
  }
  return 0;
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
    auto& shards = add_argument(u, "shards", ArgKind::kInputFileList,
                                "time-series shards (.npy with .json sidecars)");
    shards.positional = shards.required = true;
    auto& out = add_argument(u, "output-dir", ArgKind::kOutputDir,
                             "folder for model.pt, model.yaml, loss.tsv");
    out.short_flag = "o";
    out.required = true;
    add_argument(u, "model-config", ArgKind::kInputFile,
                 "YAML of model./loss./optimizer./train. keys (defaults: DESIGN.md)")
        .value_name = "YAML";
    add_argument(u, "epochs", ArgKind::kInt, "override train.epochs").min = 0;
    add_argument(u, "max-steps", ArgKind::kInt, "override train.max_steps").min = 0;
    add_argument(u, "target-loss", ArgKind::kFloat, "override train.target_loss").min = 0;
    add_argument(u, "resume", ArgKind::kFlag,
                 "continue from output-dir/model.pt if it exists; with --workers, from the "
                 "servers' checkpoints in output-dir/dist (same shards and settings)");
    auto& d =
        add_argument(u, "device", ArgKind::kString, "cpu or cuda:N (needs a LibTorch with CUDA)");
    d.default_value = "cpu";
    add_distributed_options(u);
    u.mutually_exclusive = {{"sync", "resume"}, {"sync", "ps-address"}};
    u.examples = {"dcae-train -o model/ out/shards/*.npy",
                  "dcae-train --workers 4 --nthreads 1 -o model/ out/shards/*.npy",
                  "dcae-train --model-config model.yaml --max-steps 2000 --nthreads 2 -o model/ "
                  "shards/*.npy"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    torch::set_num_threads(thread_count());
    model::ModelConfig c;
    if (a.has("model-config")) c = model::load_model_config(a.string("model-config"));
    if (a.has("epochs")) c.epochs = a.integer("epochs");
    if (a.has("max-steps")) c.max_steps = a.integer("max-steps");
    if (a.has("target-loss")) c.target_loss = a.number("target-loss");
    std::vector<fs::path> shards;
    for (const auto& s : a.strings("shards")) shards.emplace_back(s);
    const fs::path out = a.string("output-dir");
    fs::create_directories(out);
    if (a.integer("workers") > 0) return run_distributed(a, c, job_of(a, shards, out));
    model::TrainOptions o;
    o.checkpoint = out / "model.pt";
    o.loss_log = out / "loss.tsv";
    o.validation_log = out / "validation.tsv";
    o.resume = a.flag("resume");
    o.device = a.string("device");
    write_file_atomic(out / "model.yaml", model::to_yaml(c));
    const auto r = model::train(c, shards, o);
    log::info("trained ", r.steps, " steps (", r.epochs, " epochs; stop: ", r.stop_reason,
              "); last loss ", r.last_loss,
              c.validation_fraction > 0 ? "; validation loss " + std::to_string(r.validation_loss)
                                        : std::string(),
              "; checkpoint ", o.checkpoint.string());
    const nlohmann::json summary = {{"Steps", r.steps},
                                    {"Epochs", r.epochs},
                                    {"StopReason", r.stop_reason},
                                    {"LastEpochLoss", r.last_epoch_loss},
                                    {"ValidationLoss", r.validation_loss}};
    write_file_atomic(out / "training.json", summary.dump(2) + "\n");
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> make_train_command() {
  return std::make_unique<TrainCommand>();
}

} // namespace dcae::app
