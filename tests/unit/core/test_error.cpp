#include <stdexcept>

#include <gtest/gtest.h>

#include "core/error.h"

namespace dcae {

TEST(Error, ContextChainReadsOuterToInner) {
  Error e = input_error("gzip: unexpected end of file");
  e.context("reading sub-01_bold.nii.gz");
  EXPECT_STREQ(e.what(), "reading sub-01_bold.nii.gz: gzip: unexpected end of file");
  ASSERT_EQ(e.chain().size(), 2u);
  EXPECT_EQ(e.chain().front(), "reading sub-01_bold.nii.gz");
  EXPECT_EQ(e.code(), ExitCode::kBadInput);
}

TEST(Error, FactoriesCarryTheirExitCodes) {
  EXPECT_EQ(static_cast<int>(input_error("x").code()), 1);
  EXPECT_EQ(static_cast<int>(usage_error("x").code()), 2);
  EXPECT_EQ(static_cast<int>(runtime_error("x").code()), 3);
}

TEST(Error, WithContextWrapsOurErrorsAndForeignExceptions) {
  try {
    with_context("preprocessing run 1", [] { throw input_error("bad TR"); });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "preprocessing run 1: bad TR");
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
  }
  try {
    with_context("loading", [] { throw std::out_of_range("index 7"); });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "loading: index 7");
    EXPECT_EQ(e.code(), ExitCode::kRuntime);
  }
  EXPECT_EQ(with_context("ok", [] { return 42; }), 42);
}

} // namespace dcae
