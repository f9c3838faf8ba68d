#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "model/autoencoder.h"

namespace dcae::model {

TEST(Autoencoder, ShapesForSeveralConfigurations) {
  torch::manual_seed(0);
  struct Case {
    std::vector<std::int64_t> channels;
    std::int64_t kernel, pool, t;
  };
  for (const Case& c : {Case{{16, 16}, 9, 2, 284}, Case{{8}, 5, 2, 30}, Case{{4, 8, 8}, 3, 2, 50},
                        Case{{6, 6}, 7, 3, 100}}) {
    ModelConfig cfg;
    cfg.channels = c.channels;
    cfg.kernel_size = c.kernel;
    cfg.pool = c.pool;
    Autoencoder m(cfg, c.t);
    const auto out = m->forward(torch::randn({5, 1, c.t}));
    EXPECT_EQ(out.reconstruction.sizes(), (std::vector<std::int64_t>{5, 1, c.t}));
    EXPECT_EQ(out.features.sizes(), (std::vector<std::int64_t>{5, cfg.feature_size(c.t)}));
    EXPECT_EQ(out.bottom.size(1), c.channels.back());
    EXPECT_EQ(out.switches.size(), c.channels.size());
    EXPECT_EQ(m->encode(torch::randn({3, c.t})).sizes(),
              (std::vector<std::int64_t>{3, cfg.feature_size(c.t)}));
  }
}

TEST(Autoencoder, DecodeWithTheSwitchesReproducesForward) {
  torch::manual_seed(3);
  for (std::int64_t t : {284, 50, 31}) { // 31 and 50: padded to a multiple of the pooling
    ModelConfig cfg;
    cfg.channels = {6, 6};
    cfg.kernel_size = 5;
    Autoencoder m(cfg, t);
    const auto out = m->forward(torch::randn({4, 1, t}));
    torch::Tensor bottom;
    const auto again = m->decode(out.features, out.switches, &bottom);
    EXPECT_TRUE(torch::allclose(again, out.reconstruction)) << "T = " << t;
    EXPECT_TRUE(torch::allclose(bottom, out.bottom));
    // Other features through the same switches: a different series of the same shape.
    const auto other = m->decode(out.features * 2 + 0.1, out.switches);
    EXPECT_EQ(other.sizes(), out.reconstruction.sizes());
    EXPECT_FALSE(torch::allclose(other, out.reconstruction));
  }
  ModelConfig cfg;
  cfg.channels = {4, 4};
  Autoencoder m(cfg, 40);
  const auto out = m->forward(torch::randn({2, 1, 40}));
  EXPECT_THROW(m->decode(out.features, {out.switches[0]}), Error);
}

TEST(Autoencoder, UnpoolingPutsValuesAtTheSwitches) {
  const auto x = torch::tensor({3.f, 1.f, -2.f, 5.f, 0.5f, 0.7f, 9.f, 8.f}).view({1, 1, 8});
  auto [pooled, idx] = torch::max_pool1d_with_indices(x, {2}, {2});
  EXPECT_TRUE(torch::equal(idx.view({4}), torch::tensor({0, 3, 5, 6}, torch::kLong)));
  const auto up = unpool1d(pooled, idx, 8).view({8});
  EXPECT_TRUE(torch::equal(up, torch::tensor({3.f, 0.f, 0.f, 5.f, 0.f, 0.7f, 9.f, 0.f})));
}

// The fused CPU kernels give exactly what relu + max_pool1d_with_indices and max_unpool give:
// values, switches (ties to the first position, NaN kept) and both gradients, for pooling
// factors 2 and 3, a length with a remainder, float and double, on one thread and several.
TEST(Autoencoder, FusedPoolingMatchesTheReferenceOperatorsExactly) {
  torch::manual_seed(5);
  const int threads = torch::get_num_threads();
  for (int nthreads : {1, 2}) {
    torch::set_num_threads(nthreads);
    for (const auto dtype : {torch::kFloat32, torch::kFloat64}) {
      for (const auto& [pool, len] :
           {std::pair<std::int64_t, std::int64_t>{2, 284}, {2, 9}, {3, 100}, {4, 8}}) {
        auto base = torch::randn({37, 5, len}, dtype);
        // Ties (equal values, both positive or both negative) and zeros.
        base.index_put_({torch::indexing::Slice(), 0, torch::indexing::Slice(0, 4)}, 0.25);
        base.index_put_({torch::indexing::Slice(), 1, torch::indexing::Slice(0, 4)}, -1.0);
        const auto g = torch::randn({37, 5, len / pool}, dtype);
        const auto x1 = base.clone().requires_grad_(true);
        const auto x2 = base.clone().requires_grad_(true);
        const PoolOutput fused = relu_max_pool1d(x1, pool);
        const PoolOutput ref = relu_max_pool1d_reference(x2, pool);
        ASSERT_TRUE(torch::equal(fused.switches, ref.switches))
            << "pool " << pool << " length " << len;
        ASSERT_TRUE(torch::equal(fused.values, ref.values));
        (fused.values * g).sum().backward();
        (ref.values * g).sum().backward();
        EXPECT_TRUE(torch::equal(x1.grad(), x2.grad())) << "pool " << pool << " length " << len;

        const auto y = torch::randn(fused.values.sizes(), dtype);
        const auto y1 = y.clone().requires_grad_(true);
        const auto y2 = y.clone().requires_grad_(true);
        const auto up1 = unpool1d(y1, fused.switches, len);
        const auto up2 = unpool1d_reference(y2, ref.switches, len);
        ASSERT_TRUE(torch::equal(up1, up2)) << "pool " << pool << " length " << len;
        const auto gu = torch::randn({37, 5, len}, dtype);
        (up1 * gu).sum().backward();
        (up2 * gu).sum().backward();
        EXPECT_TRUE(torch::equal(y1.grad(), y2.grad()));
      }
    }
  }
  torch::set_num_threads(threads);
  // NaN propagates as through the reference operators, in the vectorised part of a row (the
  // first 8 pairs) and in its scalar tail, first or second in a pair, beside a negative value.
  auto nan = torch::randn({2, 3, 40});
  for (std::int64_t i : {0, 3, 6, 9, 17, 30, 35, 38}) nan.index_put_({1, 1, i}, std::nanf(""));
  nan.index_put_({1, 1, 7}, -2.0f);
  const PoolOutput p = relu_max_pool1d(nan, 2);
  const PoolOutput pr = relu_max_pool1d_reference(nan, 2);
  EXPECT_TRUE(std::isnan(p.values[1][1][0].item<float>()));
  EXPECT_TRUE(std::isnan(p.values[1][1][19].item<float>()));
  EXPECT_TRUE(torch::equal(p.switches, pr.switches));
  EXPECT_TRUE(torch::equal(torch::isnan(p.values), torch::isnan(pr.values)));
  EXPECT_TRUE(torch::equal(torch::nan_to_num(p.values, 7.0), torch::nan_to_num(pr.values, 7.0)));
  // A switch outside the output is an error, not a write out of bounds.
  EXPECT_THROW(unpool1d(torch::ones({1, 1, 2}), torch::tensor({0L, 9L}).view({1, 1, 2}), 4), Error);
  // Inference mode (dcae-encode) takes the fused path without recording a graph.
  {
    c10::InferenceMode guard;
    const PoolOutput q = relu_max_pool1d(torch::randn({3, 2, 10}), 2);
    EXPECT_EQ(q.values.sizes(), (std::vector<std::int64_t>{3, 2, 5}));
    EXPECT_EQ(unpool1d(q.values, q.switches, 10).sizes(), (std::vector<std::int64_t>{3, 2, 10}));
  }
}

// The decoder's last convolution (C → 1 channel) through its own kernel: output and all three
// gradients equal LibTorch's conv1d to float rounding, for several C, K and lengths (shorter
// than the kernel included), float and double, one and two threads.
TEST(Autoencoder, SingleOutputConvolutionMatchesConv1d) {
  torch::manual_seed(7);
  const int threads = torch::get_num_threads();
  for (int nthreads : {1, 2}) {
    torch::set_num_threads(nthreads);
    for (const auto dtype : {torch::kFloat32, torch::kFloat64}) {
      const double tol = dtype == torch::kFloat32 ? 1e-4 : 1e-10;
      for (const auto& [c, k, len] :
           {std::tuple<std::int64_t, std::int64_t, std::int64_t>{16, 9, 284},
            {3, 5, 31},
            {1, 3, 8},
            {4, 9, 5},
            {6, 1, 17}}) {
        const auto x = torch::randn({11, c, len}, dtype);
        const auto w = torch::randn({1, c, k}, dtype);
        const auto b = torch::randn({1}, dtype);
        const auto g = torch::randn({11, 1, len}, dtype);
        std::vector<torch::Tensor> ours{x.clone().requires_grad_(true),
                                        w.clone().requires_grad_(true),
                                        b.clone().requires_grad_(true)};
        std::vector<torch::Tensor> ref{x.clone().requires_grad_(true),
                                       w.clone().requires_grad_(true),
                                       b.clone().requires_grad_(true)};
        const auto y1 = conv1d_single_output(ours[0], ours[1], ours[2]);
        const auto y2 = torch::conv1d(ref[0], ref[1], ref[2], 1, k / 2);
        ASSERT_EQ(y1.sizes(), y2.sizes());
        EXPECT_TRUE(torch::allclose(y1, y2, tol, tol)) << "C " << c << " K " << k << " L " << len;
        (y1 * g).sum().backward();
        (y2 * g).sum().backward();
        for (int i = 0; i < 3; ++i) {
          EXPECT_TRUE(torch::allclose(ours[static_cast<std::size_t>(i)].grad(),
                                      ref[static_cast<std::size_t>(i)].grad(), tol,
                                      tol * static_cast<double>(len)))
              << "gradient " << i << ", C " << c << " K " << k << " L " << len;
        }
        // Without a bias.
        EXPECT_TRUE(torch::allclose(conv1d_single_output(x, w, torch::Tensor()),
                                    torch::conv1d(x, w, {}, 1, k / 2), tol, tol));
      }
    }
  }
  torch::set_num_threads(threads);
}

// The fully connected layers through oneDNN's sgemm: output and all three gradients equal
// LibTorch's linear to float rounding, for the default model's shape and small, odd ones, a
// non-contiguous input, one and two threads; other types take LibTorch's linear itself.
TEST(Autoencoder, LinearMatchesTorchLinear) {
  EXPECT_TRUE(linear_uses_onednn()) << "the full build links oneDNN (libdnnl-dev)";
  torch::manual_seed(11);
  const int threads = torch::get_num_threads();
  for (int nthreads : {1, 2}) {
    torch::set_num_threads(nthreads);
    for (const auto& [rows, in, out] :
         {std::tuple<std::int64_t, std::int64_t, std::int64_t>{256, 1136, 1136},
          {7, 13, 5},
          {1, 3, 4},
          {33, 100, 1},
          {5, 1, 9}}) {
      for (const bool transposed : {false, true}) {
        const auto x = transposed ? torch::randn({in, rows}).t() : torch::randn({rows, in});
        const auto w = torch::randn({out, in});
        const auto b = torch::randn({out});
        const auto g = torch::randn({rows, out});
        std::vector<torch::Tensor> ours{x.clone().requires_grad_(true),
                                        w.clone().requires_grad_(true),
                                        b.clone().requires_grad_(true)};
        std::vector<torch::Tensor> ref{x.clone().requires_grad_(true),
                                       w.clone().requires_grad_(true),
                                       b.clone().requires_grad_(true)};
        const auto y1 = linear(ours[0], ours[1], ours[2]);
        const auto y2 = torch::nn::functional::linear(ref[0], ref[1], ref[2]);
        ASSERT_EQ(y1.sizes(), y2.sizes());
        // Sums of `in` products of unit normals: rounding grows with sqrt(in).
        const double tol = 1e-5 * std::sqrt(static_cast<double>(std::max(in, rows)) + 1.0) * 10;
        EXPECT_TRUE(torch::allclose(y1, y2, tol, tol)) << rows << " x " << in << " -> " << out;
        (y1 * g).sum().backward();
        (y2 * g).sum().backward();
        for (int i = 0; i < 3; ++i) {
          EXPECT_TRUE(torch::allclose(ours[static_cast<std::size_t>(i)].grad(),
                                      ref[static_cast<std::size_t>(i)].grad(), tol, tol))
              << "gradient " << i << ", " << rows << " x " << in << " -> " << out
              << (transposed ? " (transposed input)" : "");
        }
      }
    }
  }
  torch::set_num_threads(threads);
  // Inference mode, and double precision (LibTorch's linear itself).
  {
    c10::InferenceMode guard;
    const auto x = torch::randn({4, 6});
    const auto w = torch::randn({3, 6});
    const auto b = torch::randn({3});
    EXPECT_TRUE(
        torch::allclose(linear(x, w, b), torch::nn::functional::linear(x, w, b), 1e-5, 1e-5));
  }
  const auto xd = torch::randn({4, 6}, torch::kFloat64);
  const auto wd = torch::randn({3, 6}, torch::kFloat64);
  const auto bd = torch::randn({3}, torch::kFloat64);
  EXPECT_TRUE(torch::equal(linear(xd, wd, bd), torch::nn::functional::linear(xd, wd, bd)));
}

TEST(Autoencoder, GradientsMatchFiniteDifferences) {
  torch::manual_seed(3);
  ModelConfig cfg;
  cfg.channels = {2, 3};
  cfg.kernel_size = 3;
  cfg.l1_lambda = 0.05;
  cfg.consistency = 0.5;
  Autoencoder m(cfg, 12);
  m->to(torch::kFloat64);
  const auto x = torch::randn({4, 1, 12}, torch::kFloat64);
  m->zero_grad();
  autoencoder_loss(m->forward(x), x, cfg).backward();
  int checked = 0;
  double worst = 0;
  for (auto& p : m->parameters()) {
    auto flat = p.data().view({-1});
    auto grad = p.grad().view({-1});
    for (std::int64_t i = 0; i < flat.size(0); i += std::max<std::int64_t>(1, flat.size(0) / 5)) {
      const double h = 1e-6, orig = flat[i].item<double>();
      torch::NoGradGuard ng;
      flat[i] = orig + h;
      const double up = autoencoder_loss(m->forward(x), x, cfg).item<double>();
      flat[i] = orig - h;
      const double down = autoencoder_loss(m->forward(x), x, cfg).item<double>();
      flat[i] = orig;
      const double numeric = (up - down) / (2 * h), analytic = grad[i].item<double>();
      worst = std::max(worst, std::fabs(numeric - analytic) / std::max(1e-4, std::fabs(numeric)));
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
  EXPECT_LT(worst, 1e-4);
}

TEST(Autoencoder, LossIsMsePlusL1OnFeatureMapsPlusConsistency) {
  torch::manual_seed(1);
  ModelConfig cfg;
  Autoencoder m(cfg, 40);
  const auto x = torch::randn({2, 1, 40});
  const auto out = m->forward(x);
  const double mse = torch::mse_loss(out.reconstruction, x).item<double>();
  const double l1 =
      out.features.abs().mean().item<double>() + out.bottom.abs().mean().item<double>();
  const double tie = torch::mse_loss(out.bottom, out.encoder_maps).item<double>();
  EXPECT_GT(tie, 0.0);
  cfg.l1_lambda = 0.1;
  cfg.consistency = 0.3;
  EXPECT_NEAR(autoencoder_loss(out, x, cfg).item<double>(), mse + 0.1 * l1 + 0.3 * tie, 1e-6);
  cfg.l1_lambda = cfg.consistency = 0.0;
  EXPECT_NEAR(autoencoder_loss(out, x, cfg).item<double>(), mse, 1e-7);
}

TEST(Autoencoder, FeatureSizeIsTheInputLengthByDefaultAndASettingOtherwise) {
  torch::manual_seed(2);
  ModelConfig cfg; // the paper's: H as long as the series
  Autoencoder m(cfg, 50);
  const auto out = m->forward(torch::randn({3, 1, 50}));
  EXPECT_EQ(out.features.size(1), 50);
  EXPECT_EQ(out.encoder_maps.sizes(), out.bottom.sizes());
  EXPECT_EQ(out.bottom.size(1) * out.bottom.size(2), cfg.bottom_size(50));
  cfg.features = cfg.bottom_size(50); // the earlier, over-complete layout
  Autoencoder wide(cfg, 50);
  EXPECT_EQ(wide->forward(torch::randn({3, 1, 50})).features.size(1), 16 * 52 / 4);
}

TEST(Autoencoder, DecodingWithoutSwitchesSpreadsEachValueOverItsPool) {
  torch::manual_seed(4);
  // Without pooling there are no switches to miss: both decodings agree.
  ModelConfig flat;
  flat.channels = {4, 4};
  flat.kernel_size = 3;
  flat.pool = 1;
  Autoencoder m(flat, 20);
  const auto out = m->forward(torch::randn({3, 1, 20}));
  EXPECT_TRUE(torch::allclose(m->decode_upsampled(out.features),
                              m->decode(out.features, out.switches), 1e-5, 1e-6));
  // With pooling: the mean of the decodings over every placement of the switches, for a
  // one-layer model (linear after the unpooling): switches all at the first or all at the
  // second position of each pair average to the spread.
  ModelConfig one;
  one.channels = {3};
  one.kernel_size = 3;
  Autoencoder n(one, 16);
  const auto h = torch::rand({2, 16});
  auto at = [&](std::int64_t offset) {
    return (torch::arange(8, torch::kLong) * 2 + offset)
        .view({1, 1, 8})
        .expand({2, 3, 8})
        .contiguous();
  };
  const auto mean = (n->decode(h, {at(0)}) + n->decode(h, {at(1)})) / 2;
  EXPECT_TRUE(torch::allclose(n->decode_upsampled(h), mean, 1e-5, 1e-6));
  EXPECT_EQ(n->decode_upsampled(h).sizes(), (std::vector<std::int64_t>{2, 1, 16}));
}

} // namespace dcae::model
