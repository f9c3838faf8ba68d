#pragma once
/// \file autoencoder.h
/// The 1-D convolutional autoencoder (LibTorch). Included only by model/ and app/ sources that
/// bind it: it pulls in <torch/torch.h>.
///
/// Encoder, per layer: Conv1d(k, same) + ReLU + MaxPool(pool) keeping the switches; then
/// flatten the last maps (size B = C·T'/pool^L) and Linear(B → F) + ReLU = the high-level
/// feature H (F = T by default, as in the paper). Decoder mirrored: Linear(F → B) + ReLU,
/// reshape to [C, T'/pool^L] (the "bottom" maps), then per layer: MaxUnpool with the encoder's
/// switches + Conv1d; ReLU between layers, the last conv (→ 1 channel) linear. T is
/// zero-padded to T' (a multiple of pool^L) and the reconstruction cropped back to T.

#include <vector>

#include <torch/torch.h>

#include "model/kernels.h"
#include "model/model_config.h"

namespace dcae::model {

/// What forward() returns.
struct AutoencoderOutput {
  torch::Tensor reconstruction;        ///< [B, 1, T]
  torch::Tensor features;              ///< H, [B, F]
  torch::Tensor bottom;                ///< decoder bottom maps, [B, C, T'/pool^L]
  torch::Tensor encoder_maps;          ///< the encoder's last pooled maps, [B, C, T'/pool^L]
  std::vector<torch::Tensor> switches; ///< max-pool indices, encoder order
};

class AutoencoderImpl : public torch::nn::Module {
public:
  /// Builds the model for inputs of length `input_length` (T). Throws usage_error if the
  /// configuration does not fit T.
  AutoencoderImpl(const ModelConfig& config, std::int64_t input_length);

  /// x: [B, 1, T] or [B, T].
  AutoencoderOutput forward(torch::Tensor x);
  /// H only (no decoder), for encoding.
  torch::Tensor encode(torch::Tensor x);
  /// The decoder alone: features H [B, F] and the encoder's switches (from forward() of
  /// some input) → reconstruction [B, 1, T]. Used to bring feature-space atoms back to time.
  torch::Tensor decode(const torch::Tensor& h, const std::vector<torch::Tensor>& switches,
                       torch::Tensor* bottom = nullptr);
  /// The decoder without any input's switches: each unpooling spreads a value evenly over its
  /// pool positions (the unpooling's mean over where the switch could be), so a feature vector
  /// alone, such as a dictionary atom, can be brought to time. h [B, F] → [B, 1, T].
  torch::Tensor decode_upsampled(const torch::Tensor& h);

  std::int64_t input_length() const { return t_; }
  std::int64_t padded_length() const { return t_pad_; }
  const ModelConfig& config() const { return config_; }

private:
  struct Encoded {
    torch::Tensor h, maps;
    std::vector<torch::Tensor> switches;
  };
  /// dec_fc, ReLU and the reshape to [B, C, T'/pool^L].
  torch::Tensor bottom_maps(const torch::Tensor& h);
  Encoded run_encoder(torch::Tensor x);

  ModelConfig config_;
  std::int64_t t_, t_pad_, bottom_len_;
  torch::nn::ModuleList enc_convs_, dec_convs_;
  torch::nn::Linear enc_fc_{nullptr}, dec_fc_{nullptr};
};
TORCH_MODULE(Autoencoder);

/// MSE(x, x̂) + λ·(mean|H| + mean|bottom|) + γ·MSE(encoder maps, bottom), with λ = l1_lambda
/// and γ = consistency of `config`. x: [B, 1, T].
torch::Tensor autoencoder_loss(const AutoencoderOutput& out, const torch::Tensor& x,
                               const ModelConfig& config);

} // namespace dcae::model
