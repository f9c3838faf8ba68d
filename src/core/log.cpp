#include "core/log.h"

#include <atomic>
#include <iostream>
#include <mutex>

namespace dcae::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mutex;
std::string g_program = "dcae"; // guarded by g_mutex
} // namespace

void set_level(Level lvl) {
  g_level = static_cast<int>(lvl);
}
Level level() {
  return static_cast<Level>(g_level.load());
}
std::string program() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_program;
}

void set_program(std::string name) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_program = std::move(name);
}

void write(Level lvl, const std::string& message) {
  if (static_cast<int>(lvl) > g_level.load()) return;
  static constexpr const char* kTags[] = {"error", "warning", "info", "debug"};
  std::lock_guard<std::mutex> lock(g_mutex);
  std::cerr << g_program << ": ";
  if (lvl != Level::kInfo) std::cerr << '[' << kTags[static_cast<int>(lvl)] << "] ";
  std::cerr << message << '\n' << std::flush;
}

} // namespace dcae::log
