#include "train/torch_replica.h"

#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "model/autoencoder.h"
#include "model/shard_sampler.h"
#include "model/trainer.h"
#include "train/binding.h"

namespace dcae::train {
namespace {

class TorchReplica final : public Replica {
public:
  TorchReplica(const model::ModelConfig& cfg, const std::vector<std::filesystem::path>& shards,
               const std::string& device)
      : cfg_(cfg), device_(model::parse_device(device)),
        data_(shards, cfg.voxel_fraction, cfg.seed, cfg.cache_mb), t_(data_.length()),
        net_(make_model(cfg, t_, device_)), binding_(net_),
        batch_(static_cast<std::size_t>(cfg.batch_size * t_)) {}

  std::int64_t size() const override { return binding_.size(); }
  void get_parameters(float* out) const override { binding_.read_parameters(out); }
  void set_parameters(const float* in) override { binding_.write_parameters(in); }
  std::int32_t runs() const override { return static_cast<std::int32_t>(data_.shards()); }
  std::int64_t rows(std::int32_t run) const override { return data_.rows(run); }
  bool selected(std::int32_t run, std::int64_t row) const override {
    return data_.selected(run, row);
  }

  double step(const std::vector<model::SampleRef>& batch, float* accumulator) override {
    const auto count = static_cast<std::int64_t>(batch.size());
    if (static_cast<std::size_t>(count * t_) > batch_.size())
      batch_.resize(static_cast<std::size_t>(count * t_));
    data_.fill(batch, batch_.data());
    auto x = torch::from_blob(batch_.data(), {count, 1, t_}, torch::kFloat32).to(device_);
    net_->zero_grad();
    auto loss = model::autoencoder_loss(net_->forward(x), x, cfg_);
    loss.backward();
    const double l = loss.item<double>();
    if (!std::isfinite(l)) throw runtime_error("training diverged: the loss is not finite");
    binding_.add_gradients(accumulator);
    return l;
  }

private:
  static model::Autoencoder make_model(const model::ModelConfig& cfg, std::int64_t t,
                                       const torch::Device& device) {
    model::validate(cfg, t);
    torch::manual_seed(cfg.seed); // every process builds the same initial model
    model::Autoencoder net(cfg, t);
    net->to(device);
    net->train();
    return net;
  }

  model::ModelConfig cfg_;
  torch::Device device_;
  model::ShardSampler data_;
  std::int64_t t_;
  model::Autoencoder net_;
  ModelBinding binding_;
  std::vector<float> batch_;
};

} // namespace

std::unique_ptr<Replica> make_torch_replica(const model::ModelConfig& config,
                                            const std::vector<std::filesystem::path>& shards,
                                            const std::string& device) {
  model::configure_allocator();
  return std::make_unique<TorchReplica>(config, shards, device);
}

} // namespace dcae::train
