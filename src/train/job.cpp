#include "train/job.h"

#include <cstdlib>

#include "core/error.h"
#include "io/shard.h"

namespace dcae::train {
namespace {

std::int64_t to_int(const std::string& name, const std::string& v) {
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') throw usage_error("--" + name + ": '" + v + "' is not an integer");
  return x;
}

double to_float(const std::string& name, const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') throw usage_error("--" + name + ": '" + v + "' is not a number");
  return x;
}

std::string text(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

template <typename S>
OptionSpec<S> int_option(std::string name, std::string help, std::int64_t S::*field, double min) {
  return {name,
          std::move(help),
          OptionSpec<S>::Kind::kInt,
          min,
          [field](const S& s) { return std::to_string(s.*field); },
          [field, name](S& s, const std::string& v) { s.*field = to_int(name, v); }};
}

template <typename S>
OptionSpec<S> flag_option(std::string name, std::string help, bool S::*field) {
  return {std::move(name),
          std::move(help),
          OptionSpec<S>::Kind::kFlag,
          std::nullopt,
          [field](const S& s) { return std::string(s.*field ? "1" : "0"); },
          [field](S& s, const std::string& v) { s.*field = v == "1" || v == "true"; }};
}

} // namespace

const std::vector<OptionSpec<ExchangeSettings>>& exchange_options() {
  using S = ExchangeSettings;
  static const std::vector<OptionSpec<S>> kOptions = {
      int_option<S>("n-fetch", "steps between a worker's fetches of the parameters", &S::n_fetch,
                    1),
      int_option<S>("n-push", "steps between a worker's pushes of its accumulated gradient",
                    &S::n_push, 1),
      int_option<S>("block-rows", "voxels per data partition (partitions = runs x voxel blocks)",
                    &S::block_rows, 1),
      int_option<S>("warmup-steps", "steps the first worker trains alone before the others join",
                    &S::warmup_steps, 0),
      flag_option<S>("fp16", "transfer parameters and gradients as fp16", &S::fp16),
      flag_option<S>(
          "overlap",
          "workers push and fetch on a background thread while they compute the next steps",
          &S::overlap),
  };
  return kOptions;
}

const std::vector<OptionSpec<ServerSettings>>& server_options() {
  using S = ServerSettings;
  static const std::vector<OptionSpec<S>> kOptions = {
      int_option<S>("max-staleness", "drop pushes more than this many updates old (-1: never)",
                    &S::max_staleness, -1),
      {"lease-timeout",
       "seconds without a heartbeat after which a worker's partition goes to another",
       OptionSpec<S>::Kind::kFloat, 0.5, [](const S& s) { return text(s.lease_timeout_s); },
       [](S& s, const std::string& v) { s.lease_timeout_s = to_float("lease-timeout", v); }},
  };
  return kOptions;
}

void check(const Job& job) {
  if (job.workers < 1) throw usage_error("--workers must be ≥ 1");
  if (job.servers < 1) throw usage_error("--servers must be ≥ 1");
  if (job.tls.files.cert.empty() != job.tls.files.key.empty())
    throw usage_error("--tls-cert and --tls-key go together");
  if (!job.tls.files.cert.empty() && job.tls.files.ca.empty())
    throw usage_error("--tls-cert needs --tls-ca: the root certificate the workers check the "
                      "servers' certificates against (the certificate itself when self-signed)");
  if (job.shard_count() < job.servers)
    throw usage_error("--ps-shards (" + std::to_string(job.shard_count()) +
                      ") must be ≥ --servers (" + std::to_string(job.servers) + ")");
  if (job.shards.empty()) throw usage_error("no shards to train on");
  if (job.exchange.n_fetch < 1 || job.exchange.n_push < 1)
    throw usage_error("--n-fetch and --n-push must be ≥ 1");
}

ps::ClientOptions job_client(const Job& job, std::vector<std::string> servers, std::string token) {
  ps::ClientOptions o;
  o.servers = std::move(servers);
  o.token = std::move(token);
  o.tls_ca = job.tls.files.ca;
  o.tls_target_name = job.tls.name;
  return o;
}

WorkerSettings worker_settings(const model::ModelConfig& config, const Job& job,
                               ps::ClientOptions client) {
  WorkerSettings w;
  w.client = std::move(client);
  w.client.fp16 = job.exchange.fp16;
  w.config = config;
  w.shards = job.shards;
  w.exchange = job.exchange;
  w.device = job.device;
  return w;
}

ps::PartitionPlan partition_plan(const model::ModelConfig& c,
                                 const std::vector<std::filesystem::path>& shards,
                                 const ExchangeSettings& exchange) {
  ps::PartitionPlan p;
  for (const auto& s : shards) p.run_rows.push_back(io::read_shard_info(s).n_voxels);
  p.block_rows = exchange.block_rows;
  p.epochs = c.epochs;
  p.target_loss = c.target_loss;
  p.seed = c.seed;
  p.warmup_steps = exchange.warmup_steps;
  p.max_steps = c.max_steps;
  if (p.epochs == 0 && p.target_loss <= 0 && p.max_steps <= 0)
    throw usage_error(
        "distributed training needs a stop: train.epochs, train.target_loss or train.max_steps");
  return p;
}

} // namespace dcae::train
