#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/log.h"
#include "core/progress.h"
#include "test_state.h"

namespace dcae {

TEST(Progress, LogsRateAndEtaWhenNotATerminal) {
  ProgressBar::set_terminal_override(0);
  testing::internal::CaptureStderr();
  {
    ProgressBar bar("registering", 4, "volumes", 0.0);
    bar.advance();
    bar.advance(3);
  }
  const std::string err = testing::internal::GetCapturedStderr();
  ProgressBar::set_terminal_override(-1);
  EXPECT_NE(err.find("registering: 1/4 volumes (25%)"), std::string::npos) << err;
  EXPECT_NE(err.find("volumes/s"), std::string::npos) << err;
  EXPECT_NE(err.find("ETA"), std::string::npos) << err;
  EXPECT_NE(err.find("done in"), std::string::npos) << err;
}

TEST(Progress, SilentWhenQuiet) {
  ProgressBar::set_terminal_override(1);
  const test::LogLevel quiet_log(log::Level::kWarning);
  testing::internal::CaptureStderr();
  {
    ProgressBar bar("x", 10);
    bar.advance(10);
  }
  const std::string err = testing::internal::GetCapturedStderr();
  ProgressBar::set_terminal_override(-1);
  EXPECT_EQ(err, "");
}

TEST(Progress, CountsFromManyThreads) {
  ProgressBar::set_terminal_override(0);
  const test::LogLevel quiet_log(log::Level::kWarning);
  ProgressBar bar("x", 4000);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) bar.advance();
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(bar.done(), 4000u);
  ProgressBar::set_terminal_override(-1);
}

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(format_duration(12.34), "12.3s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
}

} // namespace dcae
