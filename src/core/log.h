#pragma once
/// \file log.h
/// Levelled logging to stderr. Thread-safe: each message is written as one line under a lock.

#include <sstream>
#include <string>

namespace dcae::log {

enum class Level : int { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

/// Sets the most verbose level that is printed (default kInfo; --quiet → kWarning).
void set_level(Level level);
Level level();
/// Sets the program name that prefixes each line ("dcae-simulate: ...").
void set_program(std::string name);
std::string program();

/// Writes one line "program: [level] message" to stderr if `lvl` is enabled.
void write(Level lvl, const std::string& message);

namespace detail {
template <typename... Args> std::string concat(const Args&... args) {
  std::ostringstream s;
  (s << ... << args);
  return s.str();
}
} // namespace detail

template <typename... Args> void error(const Args&... a) {
  write(Level::kError, detail::concat(a...));
}
template <typename... Args> void warn(const Args&... a) {
  if (level() >= Level::kWarning) write(Level::kWarning, detail::concat(a...));
}
template <typename... Args> void info(const Args&... a) {
  if (level() >= Level::kInfo) write(Level::kInfo, detail::concat(a...));
}
template <typename... Args> void debug(const Args&... a) {
  if (level() >= Level::kDebug) write(Level::kDebug, detail::concat(a...));
}

} // namespace dcae::log
