// The final model of a distributed job, assembled from its servers: model.pt, loss.tsv, dist.json.
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "io/shard.h"
#include "model/trainer.h"
#include "ps/task_client.h"
#include "train/binding.h"
#include "train/launch.h"

namespace fs = std::filesystem;

namespace dcae::train {

void write_distributed_result(const model::ModelConfig& cfg, const std::vector<fs::path>& shards,
                              ps::ClientOptions co, const fs::path& out,
                              const std::string& extra_json) {
  const std::vector<std::string> servers = co.servers;
  co.worker_name = "final model";
  co.observer = true;
  co.fp16 = false; // the final model travels in full precision
  ps::Client client(co);
  client.connect();
  const ps::ServerStatus st = ps::TaskClient(client).status();
  const auto& c = st.coordination;
  if (!c.finished)
    throw runtime_error("the job did not finish: " + std::to_string(c.partitions_completed) +
                        " partitions completed (" + std::to_string(c.partitions_per_epoch) +
                        " per epoch)");
  const std::int64_t t = io::read_shard_info(shards.at(0)).n_timepoints;
  torch::manual_seed(cfg.seed);
  model::Autoencoder net(cfg, t);
  ModelBinding binding(net);
  if (binding.size() != client.total_size())
    throw runtime_error("the servers hold " + std::to_string(client.total_size()) +
                        " parameters, the model has " + std::to_string(binding.size()));
  std::vector<float> params(static_cast<std::size_t>(binding.size())), accum(params.size());
  client.fetch(params.data(), accum.data());
  binding.write_parameters(params.data());
  const std::int64_t step = st.versions.empty() ? 0 : st.versions.front();
  const double last_loss = c.epoch_losses.empty() ? 0.0 : c.epoch_losses.rbegin()->second.first;
  model::save_model_checkpoint(out / "model.pt", cfg, t, net, binding.split(accum.data()), step,
                               last_loss);

  std::ostringstream tsv;
  tsv << "epoch\tloss\n";
  for (const auto& [e, v] : c.epoch_losses) tsv << e << '\t' << v.first << '\n';
  write_file_atomic(out / "loss.tsv", tsv.str());

  nlohmann::json j =
      extra_json.empty() ? nlohmann::json::object() : nlohmann::json::parse(extra_json);
  j["parameters"] = binding.size();
  j["updates"] = step;
  j["partitions_per_epoch"] = c.partitions_per_epoch;
  j["partitions_completed"] = c.partitions_completed;
  j["leases_expired"] = c.leases_expired;
  j["requeued_completed_by_other"] = c.requeued_completed_by_other;
  j["warmup_done"] = c.warmup_done;
  j["stop_reason"] = c.stop_reason;
  j["steps"] = c.steps;
  nlohmann::json by_worker = nlohmann::json::object();
  for (const auto& [w, n] : c.partitions_by_worker) by_worker[std::to_string(w)] = n;
  j["partitions_by_worker"] = by_worker;
  nlohmann::json losses = nlohmann::json::array();
  for (const auto& [e, v] : c.epoch_losses)
    losses.push_back({{"epoch", e}, {"mean_loss", v.first}});
  j["epoch_losses"] = losses;
  j["last_epoch_loss"] = last_loss;
  nlohmann::json srv = nlohmann::json::array();
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const auto s = client.status(i);
    srv.push_back({{"address", servers[i]},
                   {"shards", s.shards},
                   {"versions", s.versions},
                   {"pushes_applied", s.pushes_applied},
                   {"pushes_stale", s.pushes_stale},
                   {"pushes_refused", s.pushes_refused},
                   {"calls_unauthenticated", s.calls_unauthenticated},
                   {"bytes_received", s.bytes_received},
                   {"bytes_sent", s.bytes_sent},
                   {"checkpoints_written", s.checkpoints_written},
                   {"resumed", s.resumed}});
  }
  j["servers"] = srv;
  write_file_atomic(out / "dist.json", j.dump(2) + "\n");
  log::info("distributed training done: ", c.partitions_completed, " partitions, ", step,
            " updates, last epoch loss ", last_loss, "; model ", (out / "model.pt").string());
}

} // namespace dcae::train
