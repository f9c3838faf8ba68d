#pragma once
// Locations of real test data; tests skip with a clear message when they are absent.

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "core/error.h"

namespace dcae::test {

/// ../shared/data beside the checkout (override with DCAE_SHARED_DATA).
inline std::filesystem::path shared_data() {
  if (const char* env = std::getenv("DCAE_SHARED_DATA")) return env;
  return DCAE_SHARED_DATA_DIR;
}

/// The real NIfTI files that Debian's python3-nibabel ships.
inline std::filesystem::path nibabel_data() {
  return DCAE_NIBABEL_DATA_DIR;
}

inline std::filesystem::path bin_dir() {
  return DCAE_BIN_DIR;
}

/// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("dcae-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

private:
  std::filesystem::path path_;
};

/// Runs a Python snippet with Debian's /usr/bin/python3 (which has numpy and nibabel);
/// returns its exit status, or -1 when that interpreter or those modules are missing.
inline int run_debian_python(const std::string& code) {
  if (std::system("/usr/bin/python3 -c 'import numpy, nibabel' >/dev/null 2>&1") != 0) return -1;
  const std::string cmd = "/usr/bin/python3 -c \"" + code + "\"";
  const int status = std::system(cmd.c_str());
  return status == -1 ? -1 : WEXITSTATUS(status);
}

/// Writes `text` to `path` as is (binary), creating parent folders.
inline void put(const std::filesystem::path& path, const std::string& text = "") {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

/// Runs `fn` and expects a dcae::Error with `code` whose message contains each of `parts`.
template <typename Fn>
void expect_error(Fn&& fn, ExitCode code, std::initializer_list<std::string> parts) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(code)) << e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "message \"" << e.what() << "\" lacks \"" << part << "\"";
    }
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected dcae::Error, got another exception: " << e.what();
    return;
  }
  ADD_FAILURE() << "expected dcae::Error, nothing was thrown";
}

} // namespace dcae::test

/// Skips the current test when `path` does not exist, saying what is missing.
#define DCAE_REQUIRE_DATA(path)                                                                    \
  do {                                                                                             \
    if (!std::filesystem::exists(path)) {                                                          \
      GTEST_SKIP() << "test data not found: " << (path)                                            \
                   << " (../shared/data beside the checkout, or python3-nibabel)";                 \
    }                                                                                              \
  } while (0)
