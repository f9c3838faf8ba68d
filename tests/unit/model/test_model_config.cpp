#include <gtest/gtest.h>

#include "core/error.h"
#include "model/model_config.h"
#include "test_data.h"

namespace dcae::model {

TEST(ModelConfig, DefaultsFollowTheDesign) {
  const ModelConfig c;
  EXPECT_EQ(c.channels, (std::vector<std::int64_t>{16, 16}));
  EXPECT_EQ(c.kernel_size, 9);
  EXPECT_EQ(c.total_pool(), 4);
  EXPECT_EQ(c.padded_length(284), 284);
  EXPECT_EQ(c.padded_length(283), 284);
  EXPECT_EQ(c.bottom_size(284), 16 * 71);
  EXPECT_EQ(c.feature_size(284), 284); // the paper's: H as long as the series
  EXPECT_GT(c.consistency, 0.0);       // and the consistency term on
}

TEST(ModelConfig, YamlOverridesAndRoundTrips) {
  test::TempDir dir;
  test::put(dir / "m.yaml", "model:\n  channels: [8, 16, 32]\n  kernel_size: 5\n  features: "
                            "40\nloss:\n  l1_lambda: 0.01\n"
                            "  consistency: 0.25\n"
                            "train:\n  batch_size: 64\n  seed: 7\n");
  const ModelConfig c = load_model_config(dir / "m.yaml");
  EXPECT_EQ(c.channels, (std::vector<std::int64_t>{8, 16, 32}));
  EXPECT_EQ(c.kernel_size, 5);
  EXPECT_DOUBLE_EQ(c.l1_lambda, 0.01);
  EXPECT_DOUBLE_EQ(c.consistency, 0.25);
  EXPECT_EQ(c.feature_size(100), 40);
  EXPECT_EQ(c.batch_size, 64);
  EXPECT_EQ(c.seed, 7u);
  const ModelConfig back = model_config_from(config::parse(to_yaml(c), "x", model_config_keys()));
  EXPECT_EQ(to_yaml(back), to_yaml(c));
  EXPECT_EQ(architecture_hash(back, 100), architecture_hash(c, 100));
  EXPECT_NE(architecture_hash(c, 100), architecture_hash(c, 101));
  // The feature size is part of the architecture; the earlier layout keeps its hash.
  ModelConfig d = c;
  d.features = 41;
  EXPECT_NE(architecture_hash(d, 100), architecture_hash(c, 100));
  ModelConfig legacy, implicit;
  legacy.features = legacy.bottom_size(100);
  implicit.features = 0;
  EXPECT_NE(architecture_hash(legacy, 100), architecture_hash(implicit, 100));
}

TEST(ModelConfig, BadConfigurationsAreUsageErrorsWithPosition) {
  test::TempDir dir;
  auto error_of = [&](const std::string& yaml) {
    test::put(dir / "bad.yaml", yaml);
    try {
      load_model_config(dir / "bad.yaml");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadUsage);
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(
      error_of("model:\n  kernal_size: 9\n").find("bad.yaml:2:3: unknown key 'model.kernal_size'"),
      std::string::npos);
  EXPECT_NE(error_of("model:\n  channels: [16, -4]\n").find("must be >= 1"), std::string::npos);
  EXPECT_NE(error_of("model:\n  kernel_size: 8\n").find("must be odd"), std::string::npos);
  EXPECT_NE(error_of("train:\n  batch_size: many\n").find("must be an integer"), std::string::npos);
  ModelConfig big;
  big.kernel_size = 99;
  try {
    validate(big, 100); // deepest conv sees 50 samples
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "kernel_size 99 is larger than the deepest conv layer's input (50"),
              std::string::npos)
        << e.what();
  }
}

} // namespace dcae::model
