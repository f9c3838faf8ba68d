#include "train/binding.h"

#include <cstring>

namespace dcae::train {

ModelBinding::ModelBinding(model::Autoencoder model) : model_(std::move(model)) {
  for (const auto& item : model_->named_parameters()) {
    params_.push_back(item.value());
    tensors_.emplace_back(item.key(), item.value().numel());
    size_ += item.value().numel();
  }
}

void ModelBinding::read_parameters(float* out) const {
  std::int64_t off = 0;
  for (const auto& p : params_) {
    const auto cpu = p.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    std::memcpy(out + off, cpu.data_ptr<float>(),
                static_cast<std::size_t>(cpu.numel()) * sizeof(float));
    off += cpu.numel();
  }
}

void ModelBinding::write_parameters(const float* in) {
  torch::NoGradGuard no_grad;
  std::int64_t off = 0;
  for (auto& p : params_) {
    auto src = torch::from_blob(const_cast<float*>(in + off), p.sizes(), torch::kFloat32);
    p.copy_(src);
    off += p.numel();
  }
}

void ModelBinding::add_gradients(float* accumulator) const {
  std::int64_t off = 0;
  for (const auto& p : params_) {
    const auto& g = p.grad();
    if (g.defined()) {
      const auto cpu = g.detach().to(torch::kCPU, torch::kFloat32).contiguous();
      const float* src = cpu.data_ptr<float>();
      float* dst = accumulator + off;
      for (std::int64_t i = 0; i < cpu.numel(); ++i) dst[i] += src[i];
    }
    off += p.numel();
  }
}

std::vector<torch::Tensor> ModelBinding::split(const float* flat) const {
  std::vector<torch::Tensor> out;
  std::int64_t off = 0;
  for (const auto& p : params_) {
    out.push_back(
        torch::from_blob(const_cast<float*>(flat + off), p.sizes(), torch::kFloat32).clone());
    off += p.numel();
  }
  return out;
}

} // namespace dcae::train
