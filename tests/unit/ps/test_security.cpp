#include <cstdlib>

#include <gtest/gtest.h>

#include "ps/security.h"
#include "test_data.h"

namespace dcae::ps {
namespace {

TEST(Security, TokenFromAFileOrTheEnvironment) {
  test::TempDir dir;
  test::put(dir / "token", "  abc123 \nignored\n");
  EXPECT_EQ(read_token(dir / "token"), "abc123");
  ::setenv(kTokenEnvVar, "from-env", 1);
  EXPECT_EQ(read_token({}), "from-env");
  EXPECT_EQ(read_token(dir / "token"), "abc123") << "the file wins";
  ::unsetenv(kTokenEnvVar);
  test::expect_error([] { read_token({}); }, ExitCode::kBadUsage, {"--token-file", kTokenEnvVar});
  test::put(dir / "empty", "\n");
  test::expect_error([&] { read_token(dir / "empty"); }, ExitCode::kBadInput, {"empty"});
  test::expect_error([&] { read_token(dir / "missing"); }, ExitCode::kBadInput, {"missing"});
}

TEST(Security, GeneratedTokensAreLongAndDiffer) {
  const auto a = generate_token(), b = generate_token();
  EXPECT_EQ(a.size(), 64U);
  EXPECT_NE(a, b);
  EXPECT_TRUE(tokens_equal(a, a));
  EXPECT_FALSE(tokens_equal(a, b));
  EXPECT_FALSE(tokens_equal(a, a.substr(0, 63)));
  EXPECT_FALSE(tokens_equal("", "x"));
}

} // namespace
} // namespace dcae::ps
