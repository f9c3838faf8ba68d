#pragma once
/// \file progress.h
/// RAII progress display with rate and ETA on stderr.
/// On a terminal it redraws one line; otherwise it logs a line every `log_interval` seconds
/// (so batch logs still show progress). Silent below log level kInfo (--quiet).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace dcae {

class ProgressBar {
public:
  /// `total` = number of units (0 if unknown); `unit` names them ("volumes", "steps").
  ProgressBar(std::string label, std::uint64_t total, std::string unit = "items",
              double log_interval_s = 10.0);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Advances by `n` units. Thread-safe.
  void advance(std::uint64_t n = 1);
  /// Units done so far.
  std::uint64_t done() const;
  /// Marks the work complete and prints the final line (called by the destructor too).
  void finish();

  /// Forces terminal mode on/off (tests); by default isatty(stderr).
  static void set_terminal_override(int mode); // -1 auto, 0 off, 1 on

private:
  void draw(bool final_line);
  std::string label_;
  std::uint64_t total_;
  std::string unit_;
  double log_interval_s_;
  std::uint64_t done_ = 0;
  bool finished_ = false;
  bool terminal_ = false;
  bool enabled_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  mutable std::mutex mutex_;
};

/// Formats seconds as "1h02m", "3m05s" or "12.3s".
std::string format_duration(double seconds);

} // namespace dcae
