#include "core/progress.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <unistd.h>

#include "core/log.h"

namespace dcae {
namespace {
std::atomic<int> g_terminal_override{-1};
}

void ProgressBar::set_terminal_override(int mode) {
  g_terminal_override = mode;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else if (seconds < 3600) {
    const int s = static_cast<int>(seconds);
    std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  } else {
    const int m = static_cast<int>(seconds / 60);
    std::snprintf(buf, sizeof buf, "%dh%02dm", m / 60, m % 60);
  }
  return buf;
}

ProgressBar::ProgressBar(std::string label, std::uint64_t total, std::string unit,
                         double log_interval_s)
    : label_(std::move(label)), total_(total), unit_(std::move(unit)),
      log_interval_s_(log_interval_s) {
  const int o = g_terminal_override.load();
  terminal_ = o < 0 ? ::isatty(STDERR_FILENO) == 1 : o == 1;
  enabled_ = log::level() >= log::Level::kInfo;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  if (enabled_ && !terminal_) log::info(label_, ": started (", total_, ' ', unit_, ')');
}

ProgressBar::~ProgressBar() {
  finish();
}

std::uint64_t ProgressBar::done() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

void ProgressBar::advance(std::uint64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += n;
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since >= (terminal_ ? 0.1 : log_interval_s_)) {
    last_draw_ = now;
    draw(false);
  }
}

void ProgressBar::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(true);
}

void ProgressBar::draw(bool final_line) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  std::ostringstream s;
  s << label_ << ": " << done_;
  if (total_) s << '/' << total_;
  s << ' ' << unit_;
  if (total_ && !final_line) {
    const double frac = static_cast<double>(done_) / static_cast<double>(total_);
    s << " (" << static_cast<int>(100.0 * frac) << "%)";
  }
  char rbuf[32];
  std::snprintf(rbuf, sizeof rbuf, "%.3g", rate);
  s << ", " << rbuf << ' ' << unit_ << "/s";
  if (final_line) {
    s << ", done in " << format_duration(elapsed);
  } else if (total_ && rate > 0 && done_ <= total_) {
    s << ", ETA " << format_duration(static_cast<double>(total_ - done_) / rate);
  }
  if (terminal_) {
    const int width = 24;
    std::string bar;
    if (total_) {
      const int filled = static_cast<int>(width * std::min(1.0, double(done_) / double(total_)));
      bar = '[' + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
    }
    std::fprintf(stderr, "\r\033[K%s%s", bar.c_str(), s.str().c_str());
    if (final_line) std::fputc('\n', stderr);
    std::fflush(stderr);
  } else {
    log::info(s.str());
  }
}

} // namespace dcae
