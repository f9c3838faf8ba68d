#pragma once
/// \file binding.h
/// Binds the autoencoder's parameters to the flat float vector that `ps` moves: the named
/// tensors of model->named_parameters() laid end to end (a ps::ParameterLayout). Includes
/// LibTorch (through model/autoencoder.h); only train's LibTorch parts include it.

#include <string>
#include <utility>
#include <vector>

#include "model/autoencoder.h"
#include "ps/parameter_layout.h"

namespace dcae::train {

/// The model ⇄ flat-vector adapter. Not thread-safe (it reads and writes the model).
class ModelBinding {
public:
  explicit ModelBinding(model::Autoencoder model);

  /// (name, number of values) of each parameter tensor, in the flat vector's order.
  const std::vector<std::pair<std::string, std::int64_t>>& tensors() const { return tensors_; }
  /// Length of the flat vector.
  std::int64_t size() const { return size_; }
  /// The layout over `num_shards` shards.
  ps::ParameterLayout layout(int num_shards) const { return {tensors_, num_shards}; }

  /// Copies the model's parameters into `out` (size() values).
  void read_parameters(float* out) const;
  /// Sets the model's parameters from `in` (size() values).
  void write_parameters(const float* in);
  /// Adds the model's current gradients to `accumulator` (size() values); parameters without
  /// a gradient add nothing.
  void add_gradients(float* accumulator) const;
  /// `flat` (size() values) cut into tensors shaped like the parameters (CPU, copies).
  std::vector<torch::Tensor> split(const float* flat) const;

private:
  model::Autoencoder model_;
  std::vector<torch::Tensor> params_;
  std::vector<std::pair<std::string, std::int64_t>> tensors_;
  std::int64_t size_ = 0;
};

} // namespace dcae::train
