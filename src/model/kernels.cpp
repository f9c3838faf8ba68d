#include "model/kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <type_traits>

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <immintrin.h>

#include "core/error.h"

#ifdef DCAE_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

namespace dcae::model {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Rows ([B, C] pairs) per parallel task: a row is a few hundred samples.
constexpr std::int64_t kGrain = 32;

bool use_fused(const torch::Tensor& t) {
  return t.device().is_cpu() && t.layout() == torch::kStrided &&
         (t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kDouble);
}

/// relu(v), NaN kept (as torch::relu).
template <typename T> inline T relu(T v) {
  return v < T(0) ? T(0) : v;
}

/// The default configuration's case (float, pool 2) eight pairs at a time with AVX2, where the
/// CPU has it: the scalar loop's compares compile to branches that mispredict on every other
/// pair of data. Same rules as the scalar loop (ties to the first, NaN kept and winning).
/// Returns how many outputs of the row it did.
__attribute__((target("avx2"))) std::int64_t pool2_row_avx2(const float* x, float* v,
                                                            std::int64_t* s, std::int64_t out_len) {
  const __m256 zero = _mm256_setzero_ps();
  std::int64_t j = 0;
  for (; j + 8 <= out_len; j += 8) {
    const __m256 p0 = _mm256_loadu_ps(x + 2 * j);     // a0 b0 a1 b1 | a2 b2 a3 b3
    const __m256 p1 = _mm256_loadu_ps(x + 2 * j + 8); // a4 b4 a5 b5 | a6 b6 a7 b7
    // Even and odd elements, then the 128-bit lanes back in order.
    __m256 a = _mm256_shuffle_ps(p0, p1, _MM_SHUFFLE(2, 0, 2, 0)); // a0 a1 a4 a5 | a2 a3 a6 a7
    __m256 b = _mm256_shuffle_ps(p0, p1, _MM_SHUFFLE(3, 1, 3, 1));
    a = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(a), _MM_SHUFFLE(3, 1, 2, 0)));
    b = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(b), _MM_SHUFFLE(3, 1, 2, 0)));
    a = _mm256_blendv_ps(a, zero, _mm256_cmp_ps(a, zero, _CMP_LT_OQ)); // relu, NaN kept
    b = _mm256_blendv_ps(b, zero, _mm256_cmp_ps(b, zero, _CMP_LT_OQ));
    const __m256 second =
        _mm256_or_ps(_mm256_cmp_ps(b, a, _CMP_GT_OQ), _mm256_cmp_ps(b, b, _CMP_UNORD_Q));
    _mm256_storeu_ps(v + j, _mm256_blendv_ps(a, b, second));
    const int bits = _mm256_movemask_ps(second);
    for (int k = 0; k < 8; ++k) s[j + k] = 2 * (j + k) + ((bits >> k) & 1);
  }
  return j;
}

/// Its backward: both inputs of each pair written (so the output needs no zeroing), the
/// gradient at the switch where the value is > 0, zero elsewhere.
__attribute__((target("avx2"))) std::int64_t pool2_backward_row_avx2(const float* g, const float* v,
                                                                     const std::int64_t* s,
                                                                     float* gx,
                                                                     std::int64_t out_len) {
  const __m256 zero = _mm256_setzero_ps();
  std::int64_t j = 0;
  for (; j + 8 <= out_len; j += 8) {
    const __m256 gv = _mm256_blendv_ps(_mm256_loadu_ps(g + j), zero,
                                       _mm256_cmp_ps(_mm256_loadu_ps(v + j), zero, _CMP_LE_OQ));
    // Which of each pair holds the switch: the parity of the switch.
    const __m256i s0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + j));
    const __m256i s1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + j + 4));
    const __m256i one = _mm256_set1_epi64x(1);
    // 64-bit parities → 32-bit lanes in order: pack the low halves.
    const __m256i p = _mm256_permutevar8x32_epi32(
        _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(_mm256_and_si256(s0, one)),
                                              _mm256_castsi256_ps(_mm256_and_si256(s1, one)),
                                              _MM_SHUFFLE(2, 0, 2, 0))),
        _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
    const __m256 odd = _mm256_castsi256_ps(_mm256_cmpeq_epi32(p, _mm256_set1_epi32(1)));
    const __m256 ga = _mm256_blendv_ps(gv, zero, odd); // to the first of each pair
    const __m256 gb = _mm256_blendv_ps(zero, gv, odd); // to the second
    // Interleave a0 b0 a1 b1 ...: unpack within lanes, then put the lanes in order.
    const __m256 lo = _mm256_unpacklo_ps(ga, gb); // a0 b0 a1 b1 | a4 b4 a5 b5
    const __m256 hi = _mm256_unpackhi_ps(ga, gb); // a2 b2 a3 b3 | a6 b6 a7 b7
    _mm256_storeu_ps(gx + 2 * j, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(gx + 2 * j + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
  }
  return j;
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

template <typename T>
void pool_forward(const T* x, T* values, std::int64_t* switches, std::int64_t rows,
                  std::int64_t len, std::int64_t out_len, std::int64_t pool) {
  at::parallel_for(0, rows, kGrain, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * len;
      T* vr = values + r * out_len;
      std::int64_t* sr = switches + r * out_len;
      if (pool == 2) {
        std::int64_t j0 = 0;
        if constexpr (std::is_same_v<T, float>) {
          if (have_avx2()) j0 = pool2_row_avx2(xr, vr, sr, out_len);
        }
        // The rest, branch-free: which of a pair wins is data, and a mispredicted branch per pair
        // costs more than the rest of the loop.
        for (std::int64_t j = j0; j < out_len; ++j) {
          const T a = relu(xr[2 * j]);
          const T b = relu(xr[2 * j + 1]);
          const int second =
              static_cast<int>(b > a) | static_cast<int>(b != b); // ties to the first; NaN wins
          vr[j] = second != 0 ? b : a;
          sr[j] = 2 * j + second;
        }
        continue;
      }
      for (std::int64_t j = 0; j < out_len; ++j) {
        const std::int64_t base = j * pool;
        T best = relu(xr[base]);
        std::int64_t at = base;
        for (std::int64_t q = 1; q < pool; ++q) {
          const T c = relu(xr[base + q]);
          if (c > best || std::isnan(c)) {
            best = c;
            at = base + q;
          }
        }
        vr[j] = best;
        sr[j] = at;
      }
    }
  });
}

/// Gradient of relu + max-pool: the output's gradient goes to the switch position where the
/// ReLU passed the value (threshold_backward's rule: nothing where the value is ≤ 0).
template <typename T>
void pool_backward(const T* grad, const T* values, const std::int64_t* switches, T* grad_x,
                   std::int64_t rows, std::int64_t len, std::int64_t out_len, std::int64_t pool) {
  at::parallel_for(0, rows, kGrain, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const T* gr = grad + r * out_len;
      const T* vr = values + r * out_len;
      const std::int64_t* sr = switches + r * out_len;
      T* gx = grad_x + r * len;
      std::int64_t j0 = 0;
      if constexpr (std::is_same_v<T, float>) {
        if (pool == 2 && have_avx2()) j0 = pool2_backward_row_avx2(gr, vr, sr, gx, out_len);
      }
      for (std::int64_t j = j0; j < out_len; ++j) {
        gx[sr[j]] = vr[j] <= T(0) ? T(0) : gr[j]; // branch-free, as above
      }
    }
  });
}

/// out[r, switches[r, j]] = y[r, j] (out zeroed by the caller). Returns false when a switch
/// lies outside [0, len).
template <typename T>
bool unpool_forward(const T* y, const std::int64_t* switches, T* out, std::int64_t rows,
                    std::int64_t in_len, std::int64_t len) {
  std::atomic<bool> ok{true};
  at::parallel_for(0, rows, kGrain, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const T* yr = y + r * in_len;
      const std::int64_t* sr = switches + r * in_len;
      T* o = out + r * len;
      for (std::int64_t j = 0; j < in_len; ++j) {
        const std::int64_t at = sr[j];
        if (at < 0 || at >= len) {
          ok = false;
          return;
        }
        o[at] = yr[j];
      }
    }
  });
  return ok;
}

template <typename T>
void unpool_backward(const T* grad, const std::int64_t* switches, T* grad_y, std::int64_t rows,
                     std::int64_t in_len, std::int64_t len) {
  at::parallel_for(0, rows, kGrain, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const T* g = grad + r * len;
      const std::int64_t* sr = switches + r * in_len;
      T* gy = grad_y + r * in_len;
      for (std::int64_t j = 0; j < in_len; ++j) gy[j] = g[sr[j]];
    }
  });
}

std::vector<std::int64_t> with_last(torch::IntArrayRef sizes, std::int64_t last) {
  std::vector<std::int64_t> s = sizes.vec();
  s.back() = last;
  return s;
}

struct ReluMaxPool : torch::autograd::Function<ReluMaxPool> {
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& input,
                               std::int64_t pool) {
    const torch::Tensor x = input.contiguous();
    const std::int64_t len = x.size(-1);
    const std::int64_t out_len = len / pool;
    const std::int64_t rows = x.numel() / len;
    torch::Tensor values = torch::empty(with_last(x.sizes(), out_len), x.options());
    torch::Tensor switches = torch::empty(values.sizes(), x.options().dtype(torch::kLong));
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "relu_max_pool1d", [&] {
      pool_forward<scalar_t>(x.data_ptr<scalar_t>(), values.data_ptr<scalar_t>(),
                             switches.data_ptr<std::int64_t>(), rows, len, out_len, pool);
    });
    ctx->save_for_backward({values, switches});
    ctx->saved_data["length"] = len;
    ctx->saved_data["pool"] = pool;
    ctx->mark_non_differentiable({switches});
    return {values, switches};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& values = saved[0];
    const torch::Tensor& switches = saved[1];
    const std::int64_t len = ctx->saved_data["length"].toInt();
    const torch::Tensor grad = grads[0].contiguous();
    const std::int64_t out_len = values.size(-1);
    const std::int64_t rows = out_len > 0 ? values.numel() / out_len : 0;
    torch::Tensor grad_x = torch::zeros(with_last(values.sizes(), len), grad.options());
    AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "relu_max_pool1d_backward", [&] {
      pool_backward<scalar_t>(grad.data_ptr<scalar_t>(), values.data_ptr<scalar_t>(),
                              switches.data_ptr<std::int64_t>(), grad_x.data_ptr<scalar_t>(), rows,
                              len, out_len, ctx->saved_data["pool"].toInt());
    });
    return {grad_x, torch::Tensor()};
  }
};

struct Unpool : torch::autograd::Function<Unpool> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input,
                               const torch::Tensor& switches_in, std::int64_t len) {
    const torch::Tensor y = input.contiguous();
    const torch::Tensor switches = switches_in.contiguous();
    const std::int64_t in_len = y.size(-1);
    const std::int64_t rows = in_len > 0 ? y.numel() / in_len : 0;
    torch::Tensor out = torch::zeros(with_last(y.sizes(), len), y.options());
    bool ok = true;
    AT_DISPATCH_FLOATING_TYPES(y.scalar_type(), "unpool1d", [&] {
      ok = unpool_forward<scalar_t>(y.data_ptr<scalar_t>(), switches.data_ptr<std::int64_t>(),
                                    out.data_ptr<scalar_t>(), rows, in_len, len);
    });
    if (!ok)
      throw usage_error("unpool1d: a switch lies outside an output of length " +
                        std::to_string(len));
    ctx->save_for_backward({switches});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const torch::Tensor switches = ctx->get_saved_variables()[0];
    const torch::Tensor grad = grads[0].contiguous();
    const std::int64_t in_len = switches.size(-1);
    const std::int64_t len = grad.size(-1);
    const std::int64_t rows = in_len > 0 ? switches.numel() / in_len : 0;
    torch::Tensor grad_y = torch::empty(switches.sizes(), grad.options());
    AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "unpool1d_backward", [&] {
      unpool_backward<scalar_t>(grad.data_ptr<scalar_t>(), switches.data_ptr<std::int64_t>(),
                                grad_y.data_ptr<scalar_t>(), rows, in_len, len);
    });
    return {grad_y, torch::Tensor(), torch::Tensor()};
  }
};

/// y[i] += a · x[i], i < n (eight at a time with AVX2 + FMA for float).
__attribute__((target("avx2,fma"))) void axpy_avx2(float a, const float* x, float* y,
                                                   std::int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

/// Σ x[i]·y[i], i < n.
__attribute__((target("avx2,fma"))) double dot_avx2(const float* x, const float* y,
                                                    std::int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  double sum = 0.0;
  for (float l : lanes) sum += l;
  for (; i < n; ++i) sum += static_cast<double>(x[i]) * y[i];
  return sum;
}

template <typename T> void axpy(T a, const T* x, T* y, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    if (have_avx2()) return axpy_avx2(a, x, y, n);
  }
  for (std::int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

template <typename T> double dot(const T* x, const T* y, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    if (have_avx2()) return dot_avx2(x, y, n);
  }
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * y[i];
  return sum;
}

/// The overlap of output positions t and input positions t + s within [0, len): t in [lo, hi).
struct Overlap {
  std::int64_t lo, hi;
};
inline Overlap overlap(std::int64_t shift, std::int64_t len) {
  return {std::max<std::int64_t>(0, -shift), std::min(len, len - shift)};
}

/// y[b, t] = bias + Σ_c Σ_k w[c, k] · x[b, c, t + k − pad].
template <typename T>
void conv_out_forward(const T* x, const T* w, T bias, T* y, std::int64_t batch,
                      std::int64_t channels, std::int64_t len, std::int64_t k) {
  const std::int64_t pad = k / 2;
  at::parallel_for(0, batch, 8, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      T* yb = y + b * len;
      std::fill(yb, yb + len, bias);
      for (std::int64_t c = 0; c < channels; ++c) {
        const T* xc = x + (b * channels + c) * len;
        for (std::int64_t q = 0; q < k; ++q) {
          const auto [lo, hi] = overlap(q - pad, len);
          if (hi > lo) axpy(w[c * k + q], xc + lo + q - pad, yb + lo, hi - lo);
        }
      }
    }
  });
}

/// grad_x[b, c, t + k − pad] += w[c, k] · g[b, t] (grad_x zeroed by the caller).
template <typename T>
void conv_out_backward_input(const T* g, const T* w, T* gx, std::int64_t batch,
                             std::int64_t channels, std::int64_t len, std::int64_t k) {
  const std::int64_t pad = k / 2;
  at::parallel_for(0, batch * channels, 16, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t b = r / channels, c = r % channels;
      const T* gb = g + b * len;
      T* gxc = gx + r * len;
      for (std::int64_t q = 0; q < k; ++q) {
        const auto [lo, hi] = overlap(q - pad, len);
        if (hi > lo) axpy(w[c * k + q], gb + lo, gxc + lo + q - pad, hi - lo);
      }
    }
  });
}

/// grad_w[c, k] = Σ_b Σ_t g[b, t] · x[b, c, t + k − pad], accumulated in double.
template <typename T>
void conv_out_backward_weight(const T* g, const T* x, T* gw, std::int64_t batch,
                              std::int64_t channels, std::int64_t len, std::int64_t k) {
  const std::int64_t pad = k / 2;
  at::parallel_for(0, channels * k, 1, [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      const std::int64_t c = i / k, q = i % k;
      const auto [lo, hi] = overlap(q - pad, len);
      double sum = 0.0;
      if (hi > lo) {
        for (std::int64_t b = 0; b < batch; ++b) {
          sum += dot(g + b * len + lo, x + (b * channels + c) * len + lo + q - pad, hi - lo);
        }
      }
      gw[i] = static_cast<T>(sum);
    }
  });
}

struct ConvSingleOutput : torch::autograd::Function<ConvSingleOutput> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input,
                               const torch::Tensor& weight_in, const torch::Tensor& bias) {
    const torch::Tensor x = input.contiguous();
    const torch::Tensor w = weight_in.contiguous();
    const std::int64_t batch = x.size(0), channels = x.size(1), len = x.size(2), k = w.size(2);
    torch::Tensor y = torch::empty({batch, 1, len}, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "conv1d_single_output", [&] {
      const scalar_t b = bias.item<scalar_t>();
      conv_out_forward<scalar_t>(x.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(), b,
                                 y.data_ptr<scalar_t>(), batch, channels, len, k);
    });
    ctx->save_for_backward({x, w});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& w = saved[1];
    const torch::Tensor g = grads[0].contiguous();
    const std::int64_t batch = x.size(0), channels = x.size(1), len = x.size(2), k = w.size(2);
    torch::Tensor gx, gw, gb;
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "conv1d_single_output_backward", [&] {
      if (ctx->needs_input_grad(0)) {
        gx = torch::zeros_like(x);
        conv_out_backward_input<scalar_t>(g.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(),
                                          gx.data_ptr<scalar_t>(), batch, channels, len, k);
      }
      if (ctx->needs_input_grad(1)) {
        gw = torch::empty_like(w);
        conv_out_backward_weight<scalar_t>(g.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(),
                                           gw.data_ptr<scalar_t>(), batch, channels, len, k);
      }
    });
    if (ctx->needs_input_grad(2)) gb = g.sum().view({1});
    return {gx, gw, gb};
  }
};

#ifdef DCAE_HAVE_DNNL
/// C[M, N] = op(A) op(B) + beta C, row-major float, through oneDNN's sgemm (its own kernels for
/// the CPU's widest vector unit, threads from OpenMP as LibTorch's).
void sgemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
           const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
           std::int64_t ldc) {
  const dnnl_status_t s = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a,
                                     lda, b, ldb, beta, c, ldc);
  if (s != dnnl_success)
    throw runtime_error("oneDNN sgemm failed (status " + std::to_string(static_cast<int>(s)) + ")");
}

/// y = x wᵀ + b for x [B, in], w [out, in], b [out]; the three products of the forward and
/// backward passes through sgemm.
struct Linear : torch::autograd::Function<Linear> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w, const torch::Tensor& b) {
    const torch::Tensor xc = x.contiguous(), wc = w.contiguous();
    const std::int64_t rows = xc.size(0), in = xc.size(1), out = wc.size(0);
    torch::Tensor y =
        b.reshape({1, out}).expand({rows, out}).contiguous(); // the bias, then += x wᵀ
    sgemm(false, true, rows, out, in, xc.data_ptr<float>(), in, wc.data_ptr<float>(), in, 1.0f,
          y.data_ptr<float>(), out);
    ctx->save_for_backward({xc, wc});
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& w = saved[1];
    const torch::Tensor g = grads[0].contiguous();
    const std::int64_t rows = x.size(0), in = x.size(1), out = w.size(0);
    torch::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) { // g w: [B, out] [out, in]
      gx = torch::empty({rows, in}, x.options());
      sgemm(false, false, rows, in, out, g.data_ptr<float>(), out, w.data_ptr<float>(), in, 0.0f,
            gx.data_ptr<float>(), in);
    }
    if (ctx->needs_input_grad(1)) { // gᵀ x: [out, B] [B, in]
      gw = torch::empty({out, in}, w.options());
      sgemm(true, false, out, in, rows, g.data_ptr<float>(), out, x.data_ptr<float>(), in, 0.0f,
            gw.data_ptr<float>(), in);
    }
    if (ctx->needs_input_grad(2)) gb = g.sum(0);
    return {gx, gw, gb};
  }
};
#endif

} // namespace

PoolOutput relu_max_pool1d_reference(const torch::Tensor& x, std::int64_t pool) {
  auto [values, switches] = torch::max_pool1d_with_indices(torch::relu(x), {pool}, {pool});
  return {values, switches};
}

PoolOutput relu_max_pool1d(const torch::Tensor& x, std::int64_t pool) {
  if (!use_fused(x) || x.dim() < 2 || pool < 1 || x.size(-1) < pool)
    return relu_max_pool1d_reference(x, pool);
  const variable_list out = ReluMaxPool::apply(x, pool);
  return {out[0], out[1]};
}

torch::Tensor unpool1d_reference(const torch::Tensor& y, const torch::Tensor& switches,
                                 std::int64_t length) {
  // Through the 2-D op: [B, C, L] → [B, C, 1, L]; the 1-D indices are valid in a 1×length plane.
  return torch::max_unpool2d(y.unsqueeze(2), switches.unsqueeze(2), {1, length}).squeeze(2);
}

torch::Tensor unpool1d(const torch::Tensor& y, const torch::Tensor& switches, std::int64_t length) {
  if (!use_fused(y) || !switches.device().is_cpu() || switches.scalar_type() != torch::kLong ||
      switches.sizes() != y.sizes() || y.dim() < 2 || length < 1) {
    return unpool1d_reference(y, switches, length);
  }
  return Unpool::apply(y, switches, length);
}

torch::Tensor conv1d_single_output(const torch::Tensor& x, const torch::Tensor& weight,
                                   const torch::Tensor& bias) {
  const bool shapes = x.dim() == 3 && weight.dim() == 3 && weight.size(0) == 1 &&
                      weight.size(1) == x.size(1) && weight.size(2) % 2 == 1 &&
                      (!bias.defined() || bias.numel() == 1);
  if (!shapes || !use_fused(x) || !use_fused(weight) || weight.scalar_type() != x.scalar_type() ||
      (bias.defined() && (!use_fused(bias) || bias.scalar_type() != x.scalar_type()))) {
    return torch::conv1d(x, weight, bias, 1, weight.size(-1) / 2);
  }
  // An undefined input cannot go through an autograd function: no bias is a zero bias
  // (which needs no gradient).
  return ConvSingleOutput::apply(x, weight, bias.defined() ? bias : torch::zeros({1}, x.options()));
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias) {
#ifdef DCAE_HAVE_DNNL
  auto float_cpu = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && !t.is_sparse();
  };
  if (x.dim() == 2 && weight.dim() == 2 && x.size(1) == weight.size(1) && x.size(0) > 0 &&
      bias.defined() && bias.dim() == 1 && bias.size(0) == weight.size(0) && float_cpu(x) &&
      float_cpu(weight) && float_cpu(bias)) {
    return Linear::apply(x, weight, bias);
  }
#endif
  return torch::nn::functional::linear(x, weight, bias);
}

bool linear_uses_onednn() {
#ifdef DCAE_HAVE_DNNL
  return true;
#else
  return false;
#endif
}

} // namespace dcae::model
