#include "model/autoencoder.h"

#include "core/error.h"
#include "core/log.h"

namespace F = torch::nn::functional;

namespace dcae::model {

AutoencoderImpl::AutoencoderImpl(const ModelConfig& config, std::int64_t input_length)
    : config_(config), t_(input_length) {
  validate(config_, t_);
  t_pad_ = config_.padded_length(t_);
  if (t_pad_ != t_) {
    log::info("model: input length ", t_, " is not a multiple of the pooling factor ",
              config_.total_pool(), "; zero-padded to ", t_pad_,
              " and the reconstruction cropped back");
  }
  bottom_len_ = t_pad_ / config_.total_pool();
  const auto k = config_.kernel_size;
  const auto& ch = config_.channels;
  std::int64_t in = 1;
  for (std::size_t l = 0; l < ch.size(); ++l) {
    enc_convs_->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(in, ch[l], k).padding(k / 2)));
    in = ch[l];
  }
  // Decoder convs, bottom-up: the mirror of the encoder, ending in one channel.
  for (std::size_t l = ch.size(); l-- > 0;) {
    const std::int64_t out = l == 0 ? 1 : ch[l - 1];
    dec_convs_->push_back(
        torch::nn::Conv1d(torch::nn::Conv1dOptions(ch[l], out, k).padding(k / 2)));
  }
  const std::int64_t b = config_.bottom_size(t_), f = config_.feature_size(t_);
  enc_fc_ = torch::nn::Linear(b, f);
  dec_fc_ = torch::nn::Linear(f, b);
  register_module("enc_convs", enc_convs_);
  register_module("dec_convs", dec_convs_);
  register_module("enc_fc", enc_fc_);
  register_module("dec_fc", dec_fc_);
}

AutoencoderImpl::Encoded AutoencoderImpl::run_encoder(torch::Tensor x) {
  if (x.dim() == 2) x = x.unsqueeze(1);
  if (x.dim() != 3 || x.size(1) != 1 || x.size(2) != t_) {
    throw usage_error("model: expected input [B, 1, " + std::to_string(t_) + "], got " +
                      c10::str(x.sizes()));
  }
  if (t_pad_ != t_) x = F::pad(x, F::PadFuncOptions({0, t_pad_ - t_}));
  Encoded e;
  for (const auto& m : *enc_convs_) {
    PoolOutput pooled = relu_max_pool1d(m->as<torch::nn::Conv1d>()->forward(x), config_.pool);
    e.switches.push_back(std::move(pooled.switches));
    x = std::move(pooled.values);
  }
  e.maps = x;
  e.h = torch::relu(linear(x.flatten(1), enc_fc_->weight, enc_fc_->bias));
  return e;
}

torch::Tensor AutoencoderImpl::encode(torch::Tensor x) {
  return run_encoder(std::move(x)).h;
}

AutoencoderOutput AutoencoderImpl::forward(torch::Tensor x) {
  Encoded e = run_encoder(std::move(x));
  AutoencoderOutput out;
  out.features = e.h;
  out.encoder_maps = e.maps;
  out.reconstruction = decode(e.h, e.switches, &out.bottom);
  out.switches = std::move(e.switches);
  return out;
}

torch::Tensor AutoencoderImpl::bottom_maps(const torch::Tensor& h) {
  return torch::relu(linear(h, dec_fc_->weight, dec_fc_->bias))
      .view({h.size(0), config_.channels.back(), bottom_len_});
}

torch::Tensor AutoencoderImpl::decode(const torch::Tensor& h,
                                      const std::vector<torch::Tensor>& switches,
                                      torch::Tensor* bottom) {
  const std::size_t layers = dec_convs_->size();
  if (switches.size() != layers)
    throw usage_error("model: decoding needs " + std::to_string(layers) + " switch tensors, got " +
                      std::to_string(switches.size()));
  auto y = bottom_maps(h);
  if (bottom) *bottom = y;
  for (std::size_t l = 0; l < layers; ++l) {
    const std::size_t enc_layer = layers - 1 - l;
    // The conv output before pooling layer `enc_layer` had t_pad_ / pool^enc_layer samples.
    std::int64_t length = t_pad_;
    for (std::size_t q = 0; q < enc_layer; ++q) length /= config_.pool;
    y = unpool1d(y, switches[enc_layer], length);
    auto* conv = dec_convs_[l]->as<torch::nn::Conv1d>();
    if (l + 1 < layers) {
      y = torch::relu(conv->forward(y));
    } else {
      y = conv1d_single_output(y, conv->weight, conv->bias); // → 1 channel: its own kernel
    }
  }
  if (t_pad_ != t_) y = y.narrow(2, 0, t_);
  return y;
}

torch::Tensor AutoencoderImpl::decode_upsampled(const torch::Tensor& h) {
  const std::size_t layers = dec_convs_->size();
  auto y = bottom_maps(h);
  for (std::size_t l = 0; l < layers; ++l) {
    const std::size_t enc_layer = layers - 1 - l;
    std::int64_t length = t_pad_;
    for (std::size_t q = 0; q < enc_layer; ++q) length /= config_.pool;
    // Each value spread over its pool positions; samples past the pooled range (max-pooling
    // drops a remainder) stay zero, as unpooling leaves them.
    y = y.repeat_interleave(config_.pool, 2) / static_cast<double>(config_.pool);
    if (y.size(2) < length) y = F::pad(y, F::PadFuncOptions({0, length - y.size(2)}));
    auto* conv = dec_convs_[l]->as<torch::nn::Conv1d>();
    y = l + 1 < layers ? torch::relu(conv->forward(y))
                       : conv1d_single_output(y, conv->weight, conv->bias);
  }
  if (t_pad_ != t_) y = y.narrow(2, 0, t_);
  return y;
}

torch::Tensor autoencoder_loss(const AutoencoderOutput& out, const torch::Tensor& x,
                               const ModelConfig& config) {
  const auto target = x.dim() == 2 ? x.unsqueeze(1) : x;
  auto loss = F::mse_loss(out.reconstruction, target);
  if (config.l1_lambda > 0)
    loss = loss + config.l1_lambda * (out.features.abs().mean() + out.bottom.abs().mean());
  if (config.consistency > 0)
    loss = loss + config.consistency * F::mse_loss(out.bottom, out.encoder_maps);
  return loss;
}

} // namespace dcae::model
