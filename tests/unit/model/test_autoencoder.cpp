#include "model/autoencoder.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace dcae::model {

TEST(Autoencoder, ShapesForSeveralConfigurations) {
  torch::manual_seed(0);
  struct Case {
    std::vector<std::int64_t> channels;
    std::int64_t kernel, pool, t;
  };
  for (const Case& c : {Case{{16, 16}, 9, 2, 284}, Case{{8}, 5, 2, 30}, Case{{4, 8, 8}, 3, 2, 50}, Case{{6, 6}, 7, 3, 100}}) {
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
    EXPECT_EQ(m->encode(torch::randn({3, c.t})).sizes(), (std::vector<std::int64_t>{3, cfg.feature_size(c.t)}));
  }
}

TEST(Autoencoder, DecodeWithTheSwitchesReproducesForward) {
  torch::manual_seed(3);
  for (std::int64_t t : {284, 50, 31}) {  // 31 and 50: padded to a multiple of the pooling
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

TEST(Autoencoder, GradientsMatchFiniteDifferences) {
  torch::manual_seed(3);
  ModelConfig cfg;
  cfg.channels = {2, 3};
  cfg.kernel_size = 3;
  cfg.l1_lambda = 0.05;
  Autoencoder m(cfg, 12);
  m->to(torch::kFloat64);
  const auto x = torch::randn({4, 1, 12}, torch::kFloat64);
  m->zero_grad();
  autoencoder_loss(m->forward(x), x, cfg.l1_lambda).backward();
  int checked = 0;
  double worst = 0;
  for (auto& p : m->parameters()) {
    auto flat = p.data().view({-1});
    auto grad = p.grad().view({-1});
    for (std::int64_t i = 0; i < flat.size(0); i += std::max<std::int64_t>(1, flat.size(0) / 5)) {
      const double h = 1e-6, orig = flat[i].item<double>();
      torch::NoGradGuard ng;
      flat[i] = orig + h;
      const double up = autoencoder_loss(m->forward(x), x, cfg.l1_lambda).item<double>();
      flat[i] = orig - h;
      const double down = autoencoder_loss(m->forward(x), x, cfg.l1_lambda).item<double>();
      flat[i] = orig;
      const double numeric = (up - down) / (2 * h), analytic = grad[i].item<double>();
      worst = std::max(worst, std::fabs(numeric - analytic) / std::max(1e-4, std::fabs(numeric)));
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
  EXPECT_LT(worst, 1e-4);
}

TEST(Autoencoder, LossIsMsePlusL1OnFeatureMaps) {
  torch::manual_seed(1);
  ModelConfig cfg;
  Autoencoder m(cfg, 40);
  const auto x = torch::randn({2, 1, 40});
  const auto out = m->forward(x);
  const double mse = torch::mse_loss(out.reconstruction, x).item<double>();
  const double l1 = out.features.abs().mean().item<double>() + out.bottom.abs().mean().item<double>();
  EXPECT_NEAR(autoencoder_loss(out, x, 0.1).item<double>(), mse + 0.1 * l1, 1e-6);
  EXPECT_NEAR(autoencoder_loss(out, x, 0.0).item<double>(), mse, 1e-7);
}

}  // namespace dcae::model
