#pragma once
/// \file process.h
/// Other programs as children of this one, through one spawner (fork + exec, stdin from
/// /dev/null, SIGTERM to the child when this process dies, even by kill -9): a pipeline step whose
/// output is copied to our stderr and a log (run_process), and long-running children started,
/// watched, restarted and stopped together (ChildProcess, ChildGroup). Also the small helpers that
/// come with starting them: the running executable's folder, a command line quoted for logs, a free
/// TCP port.

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace dcae {

/// Runs argv[0] (a path, or a name searched in PATH) with the arguments, stdin from /dev/null,
/// stdout and stderr copied line by line to our stderr and to `log` (appended; none if empty).
/// Returns the exit status (128 + signal if killed). Throws runtime_error when it cannot start.
/// With `last_line`, also keeps the child's last non-empty output line there (its one-line
/// error when it failed).
int run_process(const std::vector<std::string>& argv, const std::filesystem::path& log = {},
                std::string* last_line = nullptr);

/// The folder of the running executable (/proc/self/exe), to find sibling programs.
std::filesystem::path executable_dir();

/// A command line as one shell-quoted string, for logs.
std::string quote_command(const std::vector<std::string>& argv);

/// A TCP port free on the IPv4 address `host` at the time of the call (bound and released;
/// the caller's server binds it right after). Throws usage_error for a host that is not an
/// IPv4 address, runtime_error when no port can be bound.
int free_tcp_port(const std::string& host);

/// A child that runs until it exits or is stopped; stdout and stderr are ours.
class ChildProcess {
public:
  ChildProcess(std::string role, std::vector<std::string> argv);
  /// Starts it (again, after it exited). Throws runtime_error naming the role when it cannot.
  void start();
  /// Whether it has exited; reaps it (never blocks).
  bool poll();
  /// Sends `signal` if it is running.
  void signal(int sig);
  bool running() const { return running_; }
  pid_t pid() const { return pid_; }
  const std::string& role() const { return role_; }
  const std::vector<std::string>& argv() const { return argv_; }
  int exit_code() const { return exit_code_; } ///< when it exited normally (-1 otherwise)
  int term_signal() const { return signal_; }  ///< the signal that killed it (0 otherwise)
  bool succeeded() const { return !running_ && exit_code_ == 0 && signal_ == 0; }
  /// "exit code 3" or "killed by signal 9".
  std::string describe_exit() const;
  int starts() const { return starts_; }

private:
  std::string role_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  bool running_ = false;
  int exit_code_ = 0, signal_ = 0, starts_ = 0;
};

/// Children stopped together: on stop_all() and on destruction, SIGTERM to those still
/// running, then SIGKILL to those that outlive a grace period.
class ChildGroup {
public:
  ChildGroup() = default;
  ~ChildGroup();
  ChildGroup(const ChildGroup&) = delete;
  ChildGroup& operator=(const ChildGroup&) = delete;
  ChildProcess& add(std::string role, std::vector<std::string> argv);
  std::vector<ChildProcess>& children() { return children_; }
  /// Waits up to `seconds` for every child to exit by itself.
  void wait_all(double seconds);
  void stop_all(double grace_s);

private:
  std::vector<ChildProcess> children_;
};

} // namespace dcae
