#include "core/process.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"

namespace dcae {
namespace {

using Clock = std::chrono::steady_clock;

/// Starts argv (searched in PATH) with stdin from /dev/null and, when `out_fd` ≥ 0, stdout and
/// stderr to it (closing `close_fd` in the child). The child gets SIGTERM when this process dies,
/// however it dies (PR_SET_PDEATHSIG; a kill -9 of a launcher takes its servers and workers with
/// it), and exits at once when this process died before it could ask. Between fork and exec the
/// child makes only async-signal-safe calls (this process may have other threads). Returns the
/// pid; throws runtime_error when the program cannot be started (the errno of a failed exec
/// comes back through a close-on-exec pipe).
pid_t spawn(const std::vector<std::string>& argv, int out_fd = -1, int close_fd = -1) {
  if (argv.empty()) throw usage_error("spawn: no program");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0)
    throw runtime_error(argv[0] + ": cannot start: " + std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(status_pipe[0]);
    ::close(status_pipe[1]);
    throw runtime_error(argv[0] + ": cannot start: " + std::strerror(e));
  }
  if (pid == 0) {
    ::close(status_pipe[0]);
    auto fail = [&](int e) {
      ssize_t w = ::write(status_pipe[1], &e, sizeof e);
      (void)w;
      ::_exit(127);
    };
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) fail(errno);
    if (::getppid() != parent) ::_exit(128 + SIGTERM); // the parent is already gone
    // Signals this process ignores or blocks are not the program's business.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0) fail(errno);
    if (null_fd != 0) ::close(null_fd);
    if (out_fd >= 0) {
      if (::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) fail(errno);
      if (out_fd > 2) ::close(out_fd);
    }
    if (close_fd > 2) ::close(close_fd);
    ::execvp(args[0], args.data());
    fail(errno);
  }
  ::close(status_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  while ((n = ::read(status_pipe[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  ::close(status_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    throw runtime_error(argv[0] + ": cannot start: " + std::strerror(child_errno));
  }
  return pid;
}

} // namespace

std::string quote_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain =
        !a.empty() &&
        a.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") ==
            std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : exe.parent_path();
}

int run_process(const std::vector<std::string>& argv, const std::filesystem::path& log,
                std::string* last_line) {
  if (argv.empty()) throw usage_error("run_process: no program");
  int fds[2];
  if (::pipe(fds) != 0)
    throw runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  pid_t pid = 0;
  try {
    pid = spawn(argv, fds[1], fds[0]);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  std::ofstream log_file;
  if (!log.empty()) {
    log_file.open(log, std::ios::app);
    log_file << "$ " << quote_command(argv) << '\n';
  }
  char buf[4096];
  std::string line; // the line being read, for last_line
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::fwrite(buf, 1, static_cast<std::size_t>(n), stderr);
    if (log_file) log_file.write(buf, n);
    if (last_line)
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] != '\n' && buf[i] != '\r') {
          line += buf[i];
        } else if (line.find_first_not_of(" \t") != std::string::npos) {
          *last_line = std::move(line);
          line.clear();
        } else {
          line.clear();
        }
      }
  }
  if (last_line && line.find_first_not_of(" \t") != std::string::npos) *last_line = line;
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (log_file) log_file << "(exit status " << code << ")\n";
  return code;
}

int free_tcp_port(const std::string& host) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw runtime_error("cannot open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    ::close(fd);
    throw usage_error("'" + host + "' is not an IPv4 address");
  }
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw runtime_error("cannot bind a port on " + host);
  }
  const int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

ChildProcess::ChildProcess(std::string role, std::vector<std::string> argv)
    : role_(std::move(role)), argv_(std::move(argv)) {}

void ChildProcess::start() {
  try {
    pid_ = spawn(argv_);
  } catch (const Error& e) {
    throw runtime_error(role_ + ": " + e.what());
  }
  running_ = true;
  exit_code_ = signal_ = 0;
  ++starts_;
}

bool ChildProcess::poll() {
  if (!running_) return true;
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == 0) return false;
  running_ = false;
  exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  signal_ = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  return true;
}

void ChildProcess::signal(int sig) {
  if (running_ && !poll()) ::kill(pid_, sig);
}

std::string ChildProcess::describe_exit() const {
  if (signal_ != 0) return "killed by signal " + std::to_string(signal_);
  return "exit code " + std::to_string(exit_code_);
}

ChildGroup::~ChildGroup() {
  stop_all(3.0);
}

ChildProcess& ChildGroup::add(std::string role, std::vector<std::string> argv) {
  children_.emplace_back(std::move(role), std::move(argv));
  return children_.back();
}

void ChildGroup::wait_all(double seconds) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
  for (auto& c : children_)
    while (!c.poll() && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void ChildGroup::stop_all(double grace_s) {
  for (auto& c : children_) c.signal(SIGTERM);
  wait_all(grace_s);
  for (auto& c : children_) {
    if (c.poll()) continue;
    ::kill(c.pid(), SIGKILL);
    while (!c.poll()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

} // namespace dcae
