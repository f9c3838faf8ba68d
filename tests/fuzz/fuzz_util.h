#pragma once
// Shared by the fuzz targets: the input as a file (the readers under test take paths), and
// the rule every target checks: a reader either succeeds or throws dcae::Error (a clear,
// one-line error); any other exception, a crash, a leak or a hang is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "core/error.h"

namespace dcae::fuzz {

/// A file holding `data` with the given name, in a folder private to this process (on
/// /dev/shm when it exists), rewritten for every input.
inline std::filesystem::path as_file(const std::uint8_t* data, std::size_t size,
                                     const std::string& name) {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path base =
        std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    auto d = base / ("dcae-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

/// Runs `f`; dcae::Error is the expected outcome for bad input, anything else aborts.
template <typename F> void expect_clean(F&& f) {
  try {
    f();
  } catch (const dcae::Error& e) {
    if (std::string(e.what()).empty()) {
      std::fprintf(stderr, "an error without a message\n");
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "escaped exception (not dcae::Error): %s\n", e.what());
    std::abort();
  }
}

} // namespace dcae::fuzz
