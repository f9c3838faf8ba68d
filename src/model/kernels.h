#pragma once
/// \file kernels.h
/// Hand-written CPU kernels for the autoencoder's operations that LibTorch runs poorly at this
/// model's shapes, each a LibTorch autograd function with its own backward pass.
///
/// The pooling pair along the last axis:
/// - relu_max_pool1d(x, p): ReLU followed by max-pooling with window = stride = p, returning the
///   pooled values and the switches (the argmax positions along the axis, in the format of
///   torch::max_pool1d_with_indices). One pass over x instead of three (ReLU, pooling through
///   the 2-D kernel, and ReLU's backward mask); max(relu(a), relu(b)) = relu(max(a, b)), and
///   ties go to the first position, so values, switches and gradients are exactly those of
///   torch::relu + torch::max_pool1d_with_indices.
/// - unpool1d(y, switches, length): max-unpooling, y placed at the switches of a zero output.
///
/// - conv1d_single_output(x, w, b): the decoder's last convolution (C channels → 1, "same"
///   padding). LibTorch lowers it to im2col + a matrix-vector product, materialising K copies
///   of the input for a product with one output row; here it is K·C shifted multiply-adds over
///   each series, in cache, and the same for its two gradients.
/// - linear(x, w, b): a fully connected layer, y = x wᵀ + b. Float CPU tensors go through
///   oneDNN's sgemm (built with libdnnl-dev), whose own kernels use the CPU's widest vector
///   unit (AVX-512 where there is one) whatever BLAS kernel LibTorch's OpenBLAS picks; about
///   twice LibTorch's rate at this model's shapes on an AVX-512 machine.
/// Float and double CPU tensors take the fused kernels (threads through at::parallel_for);
/// any other device or type takes the reference LibTorch operators, so a CUDA model works
/// unchanged. Included only by model/ sources and tests (pulls in <torch/torch.h>).

#include <cstdint>

#include <torch/torch.h>

namespace dcae::model {

/// ReLU + max-pooling with switches. x: [B, C, L]; returns values [B, C, L / pool] and
/// switches (int64, same shape; positions in [0, L)). Trailing L % pool samples are dropped,
/// as max_pool1d does.
struct PoolOutput {
  torch::Tensor values;
  torch::Tensor switches;
};
PoolOutput relu_max_pool1d(const torch::Tensor& x, std::int64_t pool);

/// The reference: torch::relu then torch::max_pool1d_with_indices (also the path for CUDA).
PoolOutput relu_max_pool1d_reference(const torch::Tensor& x, std::int64_t pool);

/// Max-unpooling along the last axis: puts y [B, C, J] at the positions `switches` of an
/// output [B, C, length], zeros elsewhere. Throws when a switch lies outside [0, length).
torch::Tensor unpool1d(const torch::Tensor& y, const torch::Tensor& switches, std::int64_t length);

/// The reference: torch::max_unpool2d through a 1 × length plane (also the path for CUDA).
torch::Tensor unpool1d_reference(const torch::Tensor& y, const torch::Tensor& switches,
                                 std::int64_t length);

/// Conv1d with one output channel and "same" padding (odd kernel K, padding K/2):
/// x [B, C, L], weight [1, C, K], bias [1] (or undefined) → [B, 1, L]. Equals
/// torch::conv1d(x, weight, bias, 1, K/2) up to float rounding.
torch::Tensor conv1d_single_output(const torch::Tensor& x, const torch::Tensor& weight,
                                   const torch::Tensor& bias);

/// Fully connected layer: x [B, in], weight [out, in], bias [out] → x weightᵀ + bias [B, out].
/// Equals torch::nn::functional::linear up to float rounding (and is it for other devices and
/// types, other shapes, or a build without oneDNN).
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias);

/// Whether this build's linear() uses oneDNN for float CPU tensors.
bool linear_uses_onednn();

} // namespace dcae::model
