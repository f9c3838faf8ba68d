#include "train/sync.h"

#include <sstream>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/torch.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "model/autoencoder.h"
#include "model/shard_sampler.h"
#include "model/trainer.h"

namespace fs = std::filesystem;

namespace dcae::train {

void run_sync_worker(const SyncWorkerSettings& s) {
  const model::ModelConfig& cfg = s.config;
  if (s.world_size < 1 || s.rank < 0 || s.rank >= s.world_size) {
    throw usage_error("--rank " + std::to_string(s.rank) + " must be in [0, --world-size " +
                      std::to_string(s.world_size) + ")");
  }
  const torch::Device device = model::parse_device(s.device);
  model::configure_allocator();
  model::ShardSampler data(s.shards, cfg.voxel_fraction, cfg.seed, cfg.cache_mb);
  const std::int64_t t = data.length();
  model::validate(cfg, t);
  torch::manual_seed(cfg.seed); // the same initial model on every rank
  model::Autoencoder net(cfg, t);
  net->to(device);
  net->train();
  auto params = net->parameters();
  torch::optim::Adagrad optimizer(params, model::adagrad_options(cfg));
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  try {
    auto store = c10::make_intrusive<c10d::FileStore>(s.rendezvous.string(), s.world_size);
    auto opts = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(300));
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(s.host));
    opts->threads = 1;
    pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, s.rank, s.world_size, opts);
  } catch (const std::exception& e) {
    throw runtime_error(std::string("Gloo process group (") + s.rendezvous.string() +
                        "): " + e.what());
  }
  const std::int64_t n = data.size();
  const std::int64_t batches = (n + cfg.batch_size - 1) / cfg.batch_size;
  const std::int64_t per_epoch = (batches + s.world_size - 1) / s.world_size;
  std::int64_t epochs = cfg.epochs;
  if (epochs == 0 && cfg.target_loss <= 0 && cfg.max_steps <= 0) {
    throw usage_error("training needs a stop: train.epochs, train.max_steps or train.target_loss");
  }
  std::int64_t total = epochs > 0 ? epochs * per_epoch : 0;
  if (cfg.max_steps > 0) total = total > 0 ? std::min(total, cfg.max_steps) : cfg.max_steps;
  log::info("rank ", s.rank, " of ", s.world_size, ": ", per_epoch, " synchronous steps per epoch");
  std::vector<float> batch(static_cast<std::size_t>(cfg.batch_size * t));
  std::ostringstream tsv;
  tsv << "epoch\tloss\n";
  ProgressBar bar("synchronous training", static_cast<std::uint64_t>(total), "steps");
  std::int64_t step = 0;
  double last_epoch_loss = 0.0;
  for (std::int64_t epoch = 0; epochs == 0 || epoch < epochs; ++epoch) {
    const auto order = data.epoch_order(epoch);
    double loss_sum = 0.0;
    std::int64_t i = 0;
    for (; i < per_epoch && (total == 0 || step < total); ++i, ++step) {
      const std::int64_t b = (i * s.world_size + s.rank) % batches; // the last round wraps around
      const std::int64_t first = b * cfg.batch_size;
      const std::int64_t count = std::min(cfg.batch_size, n - first);
      std::vector<model::SampleRef> refs(order.begin() + first, order.begin() + first + count);
      data.fill(refs, batch.data());
      auto x = torch::from_blob(batch.data(), {count, 1, t}, torch::kFloat32).to(device);
      optimizer.zero_grad();
      auto out = net->forward(x);
      auto loss = model::autoencoder_loss(out, x, cfg);
      loss.backward();
      // One all-reduce per step: every gradient and the loss, flattened into one tensor.
      std::vector<torch::Tensor> parts;
      for (const auto& p : params) parts.push_back(p.grad().reshape({-1}));
      parts.push_back(loss.detach().reshape({1}));
      std::vector<torch::Tensor> flat{torch::cat(parts).to(torch::kCPU)};
      pg->allreduce(flat)->wait();
      flat[0].div_(static_cast<double>(s.world_size));
      std::int64_t off = 0;
      for (auto& p : params) {
        p.mutable_grad().copy_(flat[0].narrow(0, off, p.numel()).view(p.sizes()));
        off += p.numel();
      }
      const double l = flat[0][off].item<double>();
      if (!std::isfinite(l))
        throw runtime_error("training diverged: the loss is not finite at step " +
                            std::to_string(step));
      optimizer.step();
      loss_sum += l;
      bar.advance();
    }
    if (i == 0) break;
    last_epoch_loss = loss_sum / static_cast<double>(i);
    tsv << epoch << '\t' << last_epoch_loss << '\n';
    if (s.rank == 0) log::info("epoch ", epoch, ": mean loss ", last_epoch_loss);
    if (cfg.target_loss > 0 && last_epoch_loss < cfg.target_loss) break;
    if (total > 0 && step >= total) break;
  }
  bar.finish();
  if (s.rank == 0) {
    model::save_model_checkpoint(s.output_dir / "model.pt", cfg, t, net,
                                 model::adagrad_sums(optimizer, params), step, last_epoch_loss);
    write_file_atomic(s.output_dir / "loss.tsv", tsv.str());
    log::info("synchronous training done: ", step, " steps per rank, last epoch loss ",
              last_epoch_loss);
  }
}

} // namespace dcae::train
