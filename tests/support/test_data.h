#pragma once
// Locations of real test data; tests skip with a clear message when they are absent.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace dcae::test {

/// ../shared/data beside the checkout (override with DCAE_SHARED_DATA).
inline std::filesystem::path shared_data() {
  if (const char* env = std::getenv("DCAE_SHARED_DATA")) return env;
  return DCAE_SHARED_DATA_DIR;
}

/// The real NIfTI files that Debian's python3-nibabel ships.
inline std::filesystem::path nibabel_data() { return DCAE_NIBABEL_DATA_DIR; }

inline std::filesystem::path bin_dir() { return DCAE_BIN_DIR; }

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

}  // namespace dcae::test

/// Skips the current test when `path` does not exist, saying what is missing.
#define DCAE_REQUIRE_DATA(path)                                                             \
  do {                                                                                     \
    if (!std::filesystem::exists(path)) {                                                  \
      GTEST_SKIP() << "test data not found: " << (path)                                    \
                   << " (../shared/data beside the checkout, or python3-nibabel)";         \
    }                                                                                      \
  } while (0)
