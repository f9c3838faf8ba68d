#include <cmath>

#include <gtest/gtest.h>

#include "core/strings.h"

namespace dcae {

TEST(Strings, SplitKeepsEmptyFields) {
  EXPECT_EQ(split("a\t\tb", '\t'), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
}

TEST(Strings, SplitWhitespaceDropsRuns) {
  EXPECT_EQ(split_whitespace("  1.5\t 2  3\r\n"), (std::vector<std::string>{"1.5", "2", "3"}));
}

TEST(Strings, ParseNumbersWholeStringOnly) {
  EXPECT_DOUBLE_EQ(*parse_double(" 2.5 "), 2.5);
  EXPECT_FALSE(parse_double("2.5x"));
  EXPECT_FALSE(parse_double(""));
  EXPECT_TRUE(std::isnan(*parse_double("nan")));
  EXPECT_EQ(*parse_int("+42"), 42);
  EXPECT_EQ(*parse_int("-7"), -7);
  EXPECT_FALSE(parse_int("4.0"));
  EXPECT_FALSE(parse_int("n/a"));
}

TEST(Strings, TrimLowerAffixesJoin) {
  EXPECT_EQ(trim(" \tx y\r\n"), "x y");
  EXPECT_EQ(to_lower("MOTOR"), "motor");
  EXPECT_TRUE(starts_with("sub-01", "sub-"));
  EXPECT_FALSE(starts_with("su", "sub-"));
  EXPECT_TRUE(ends_with("x.nii.gz", ".nii.gz"));
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
}

} // namespace dcae
