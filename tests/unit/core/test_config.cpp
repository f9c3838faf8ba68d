#include <gtest/gtest.h>

#include "core/config.h"
#include "core/error.h"

namespace dcae::config {
namespace {

const std::vector<Key> kSchema = {
    {"model.kernel_size", Type::kInt, 1, 99, {}},
    {"model.lambda", Type::kFloat, 0, std::nullopt, {}},
    {"optimizer", Type::kString, std::nullopt, std::nullopt, {"adagrad", "adam"}},
    {"grid", Type::kIntList, 8, std::nullopt, {}},
    {"shuffle", Type::kBool, std::nullopt, std::nullopt, {}},
};

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml, "model.yaml", kSchema);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadUsage);
    return e.what();
  }
  return "";
}

} // namespace

TEST(Config, NestedKeysTypesAndOrigins) {
  const Values v = parse("model:\n  kernel_size: 9\n  lambda: 1e-3\noptimizer: adagrad\n"
                         "grid: [40, 48, 36]\nshuffle: yes\n",
                         "model.yaml", kSchema);
  EXPECT_EQ(std::get<long long>(v.at("model.kernel_size").value), 9);
  EXPECT_DOUBLE_EQ(std::get<double>(v.at("model.lambda").value), 1e-3);
  EXPECT_EQ(std::get<std::string>(v.at("optimizer").value), "adagrad");
  EXPECT_EQ(std::get<std::vector<long long>>(v.at("grid").value),
            (std::vector<long long>{40, 48, 36}));
  EXPECT_TRUE(std::get<bool>(v.at("shuffle").value));
  EXPECT_EQ(v.at("model.kernel_size").origin, "model.yaml:2:16");
}

TEST(Config, UnknownKeyNamesFileLineAndKnownKeys) {
  const std::string e = error_of("model:\n  kernal_size: 9\n");
  EXPECT_NE(e.find("model.yaml:2:3"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'model.kernal_size'"), std::string::npos) << e;
  EXPECT_NE(e.find("kernel_size"), std::string::npos) << e;
}

TEST(Config, WrongTypesAndRangesAreErrorsWithPosition) {
  EXPECT_NE(error_of("model:\n  kernel_size: nine\n")
                .find("model.yaml:2:16: 'model.kernel_size' must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of("model:\n  kernel_size: 4.5\n").find("must be an integer"), std::string::npos);
  EXPECT_NE(error_of("model:\n  kernel_size: -3\n").find("must be >= 1"), std::string::npos);
  EXPECT_NE(error_of("model:\n  lambda: .nan\n").find("NaN"), std::string::npos);
  EXPECT_NE(error_of("optimizer: sgd\n").find("must be one of {adagrad, adam}"), std::string::npos);
  EXPECT_NE(error_of("grid: [40, 4, 36]\n").find("must be >= 8"), std::string::npos);
  EXPECT_NE(error_of("shuffle: maybe\n").find("true or false"), std::string::npos);
  EXPECT_NE(error_of("model: 3\n").find("expected a mapping"), std::string::npos);
  EXPECT_NE(error_of("model:\n  kernel_size: [1, 2]\n").find("must be of type integer"),
            std::string::npos);
}

TEST(Config, MalformedYamlIsAUsageErrorWithPosition) {
  const std::string e = error_of("model:\n  kernel_size: [9\n");
  EXPECT_NE(e.find("model.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed YAML"), std::string::npos) << e;
  EXPECT_NE(error_of("- a\n- b\n").find("expected a mapping"), std::string::npos);
}

TEST(Config, EmptyDocumentSetsNothing) {
  EXPECT_TRUE(parse("", "x.yaml", kSchema).empty());
}

TEST(Config, DashesAndUnderscoresAreTheSameKey) {
  const Values v = parse("model:\n  kernel-size: 5\n", "x.yaml", kSchema);
  EXPECT_EQ(std::get<long long>(v.at("model.kernel_size").value), 5);
}

TEST(Config, MissingFileIsAnInputError) {
  try {
    load("/nonexistent/model.yaml", kSchema);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.yaml"), std::string::npos);
  }
}

} // namespace dcae::config
