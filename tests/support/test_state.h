#pragma once
// What tests share beyond data: running a command as its executable would, and leaving the
// process-wide log state as it was found, also when an assertion ends a test early.

#include <string>
#include <vector>

#include "app/command.h"
#include "core/log.h"

namespace dcae::test {

/// The log level (and program name) for a scope; the previous ones come back at its end.
class LogLevel {
public:
  explicit LogLevel(log::Level level) : level_(log::level()), program_(log::program()) {
    log::set_level(level);
  }
  ~LogLevel() {
    log::set_level(level_);
    log::set_program(program_);
  }
  LogLevel(const LogLevel&) = delete;
  LogLevel& operator=(const LogLevel&) = delete;

private:
  log::Level level_;
  std::string program_;
};

/// Runs `command` through the shared main with `args` (without the program name, which is
/// the command's own); returns its exit code. The log state is restored afterwards.
inline int call(app::Command& command, std::vector<std::string> args) {
  const LogLevel keep(log::level());
  args.insert(args.begin(), command.usage().name);
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  return app::run_main(command, static_cast<int>(argv.size()), argv.data());
}

} // namespace dcae::test
