#pragma once
/// \file error.h
/// The one exception type of dcae: a message with a chain of context, and an exit code.

#include <exception>
#include <new>
#include <string>
#include <vector>

namespace dcae {

/// Process exit codes shared by every command.
enum class ExitCode : int {
  kOk = 0,
  kBadInput = 1, ///< unreadable, corrupt or inconsistent input data
  kBadUsage = 2, ///< wrong command line or configuration
  kRuntime = 3,  ///< failure while running (I/O, resources, internal)
};

/// An error with a context chain, innermost cause first.
/// `Error(ExitCode::kBadInput, "gzip: unexpected end of file").context("reading x.nii.gz")`
/// prints as "reading x.nii.gz: gzip: unexpected end of file".
class Error : public std::exception {
public:
  explicit Error(std::string message, ExitCode code = ExitCode::kRuntime);

  /// Adds an outer context line (e.g. "reading sub-01_bold.nii.gz"); returns *this for rethrow.
  Error& context(std::string outer);

  ExitCode code() const noexcept { return code_; }
  /// Chain from outermost to innermost.
  const std::vector<std::string>& chain() const noexcept { return chain_; }
  /// One line: "outer: ...: inner".
  const char* what() const noexcept override { return text_.c_str(); }

private:
  void rebuild();
  std::vector<std::string> chain_;
  ExitCode code_;
  std::string text_;
};

/// Bad input data, exit code 1.
inline Error input_error(std::string message) {
  return Error(std::move(message), ExitCode::kBadInput);
}
/// Bad command line or configuration, exit code 2.
inline Error usage_error(std::string message) {
  return Error(std::move(message), ExitCode::kBadUsage);
}
/// Failure while running, exit code 3.
inline Error runtime_error(std::string message) {
  return Error(std::move(message), ExitCode::kRuntime);
}

/// Runs `fn`; any dcae::Error escaping it gets `outer` as context, other std::exceptions become
/// runtime errors with that context.
template <typename Fn> decltype(auto) with_context(const std::string& outer, Fn&& fn) {
  try {
    return fn();
  } catch (Error& e) {
    e.context(outer);
    throw;
  } catch (const std::bad_alloc&) {
    throw Error("out of memory", ExitCode::kRuntime).context(outer);
  } catch (const std::exception& e) {
    throw Error(e.what(), ExitCode::kRuntime).context(outer);
  }
}

} // namespace dcae
