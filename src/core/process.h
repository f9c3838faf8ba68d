#pragma once
/// \file process.h
/// Running another program as one step of a pipeline: its output goes to our stderr and,
/// optionally, is appended to a log file.

#include <filesystem>
#include <string>
#include <vector>

namespace dcae {

/// Runs argv[0] (a path, or a name searched in PATH) with the arguments, stdin from /dev/null,
/// stdout and stderr copied line by line to our stderr and to `log` (appended; none if empty).
/// Returns the exit status (128 + signal if killed). Throws runtime_error when it cannot start.
int run_process(const std::vector<std::string>& argv, const std::filesystem::path& log = {});

/// The folder of the running executable (/proc/self/exe), to find sibling programs.
std::filesystem::path executable_dir();

/// A command line as one shell-quoted string, for logs.
std::string quote_command(const std::vector<std::string>& argv);

}  // namespace dcae
