// dcae-worker: the worker role of distributed training (links LibTorch).
#include <torch/torch.h>

#include "app/train_options.h"
#include "core/error.h"
#include "core/log.h"
#include "core/threads.h"
#include "model/model_config.h"
#include "ps/security.h"
#include "train/downpour.h"
#include "train/launch.h"
#include "train/sync.h"

namespace dcae::app {
namespace {

class WorkerCommand final : public Command {
public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-worker";
    u.summary =
        "worker of distributed training: a model replica that trains on leased data partitions";
    u.description =
        "Connects to the parameter servers (retrying with backoff while they start or restart),\n"
        "leases data partitions from the coordinator, fetches the parameters every --n-fetch "
        "steps\n"
        "and pushes the mean of its gradients every --n-push steps, until the job is done. The\n"
        "first worker to connect initializes the servers from the seeded model.";
    auto& shards = add_argument(u, "shards", ArgKind::kInputFileList,
                                "time-series shards (the same list for every worker)");
    shards.positional = shards.required = true;
    auto& ps = add_argument(u, "ps", ArgKind::kStringList,
                            "host:port of every parameter server (not with --sync)");
    ps.value_name = "HOST:PORT";
    add_token_options(u);
    add_tls_options(u, false, true);
    add_argument(u, "model-config", ArgKind::kInputFile,
                 "YAML of model./loss./optimizer./train. keys")
        .value_name = "YAML";
    add_option_group(u, train::exchange_options(), "Options");
    auto& rb = add_argument(u, "retry-budget", ArgKind::kFloat,
                            "seconds to keep retrying an unreachable server");
    rb.default_value = "120";
    rb.min = 0;
    auto& rank = add_argument(u, "rank", ArgKind::kInt, "this worker's number, for the logs");
    rank.default_value = "0";
    rank.min = 0;
    auto& d =
        add_argument(u, "device", ArgKind::kString, "cpu or cuda:N (needs a LibTorch with CUDA)");
    d.default_value = "cpu";
    const std::string g = "Synchronous baseline (c10d Gloo all-reduce)";
    add_argument(u, "sync", ArgKind::kFlag,
                 "synchronous data-parallel training instead of Downpour (no servers)", g);
    auto& ws = add_argument(u, "world-size", ArgKind::kInt, "--sync: number of workers", g);
    ws.default_value = "1";
    ws.min = 1;
    add_argument(u, "rendezvous", ArgKind::kOutputFile,
                 "--sync: file through which the workers meet (shared by all)", g);
    add_argument(u, "output-dir", ArgKind::kOutputDir,
                 "when the job is done, write the final model.pt, loss.tsv and dist.json here "
                 "(--sync: rank 0 does)");
    u.mutually_exclusive = {{"ps", "sync"}};
    u.examples = {"dcae-worker --ps 10.0.0.1:50051 --token-file token --model-config model.yaml "
                  "shards/*.npy"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    log::set_program("dcae-worker[" + std::to_string(a.integer("rank")) + "]");
    torch::set_num_threads(thread_count());
    if (a.flag("sync")) {
      train::SyncWorkerSettings s;
      if (a.has("model-config")) s.config = model::load_model_config(a.string("model-config"));
      for (const auto& f : a.strings("shards")) s.shards.emplace_back(f);
      s.rank = static_cast<int>(a.integer("rank"));
      s.world_size = static_cast<int>(a.integer("world-size"));
      if (!a.has("rendezvous") || !a.has("output-dir"))
        throw usage_error("--sync needs --rendezvous FILE and --output-dir DIR");
      s.rendezvous = a.string("rendezvous");
      s.output_dir = a.string("output-dir");
      s.device = a.string("device");
      train::run_sync_worker(s);
      return 0;
    }
    if (!a.has("ps")) throw usage_error("--ps HOST:PORT is required (the parameter servers)");
    train::WorkerSettings s;
    if (a.has("model-config")) s.config = model::load_model_config(a.string("model-config"));
    for (const auto& f : a.strings("shards")) s.shards.emplace_back(f);
    s.exchange = read_option_group(a, train::exchange_options());
    s.client.servers = a.strings("ps");
    s.client.token = ps::read_token(a.has("token-file") ? a.string("token-file") : std::string());
    if (a.has("tls-ca")) s.client.tls_ca = a.string("tls-ca");
    if (a.has("tls-name")) s.client.tls_target_name = a.string("tls-name");
    s.client.fp16 = s.exchange.fp16;
    s.client.retry_budget_s = a.number("retry-budget");
    s.client.worker_name = "rank " + std::to_string(a.integer("rank"));
    s.device = a.string("device");
    train::run_worker(s);
    if (a.has("output-dir")) {
      std::filesystem::create_directories(a.string("output-dir"));
      train::write_distributed_result(s.config, s.shards, s.client, a.string("output-dir"),
                                      R"({"launcher": "manual"})");
    }
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> make_worker_command() {
  return std::make_unique<WorkerCommand>();
}

} // namespace dcae::app
