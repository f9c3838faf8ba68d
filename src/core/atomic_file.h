#pragma once
/// \file atomic_file.h
/// Outputs appear complete or not at all: write to a temporary name in the destination folder,
/// then rename over the final name.

#include <filesystem>
#include <string>
#include <vector>

namespace dcae {

/// A pending output file. `temp_path()` is where the writer writes (same folder and same
/// extension as the target, so libraries that pick compression by extension still work);
/// `commit()` renames it to the final path. If never committed, the destructor removes it.
/// Not thread-safe; one writer per object.
class AtomicOutput {
public:
  explicit AtomicOutput(std::filesystem::path target);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  AtomicOutput(AtomicOutput&&) noexcept;
  AtomicOutput& operator=(AtomicOutput&&) = delete;

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }
  /// Renames the temporary file to the target (atomic on POSIX within one file system).
  void commit();

private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

/// Commits several outputs together: all are written first, then renamed in order.
/// If any rename fails, those not yet renamed are removed.
void commit_all(std::vector<AtomicOutput*> outputs);

/// Writes `content` to `path` atomically (creating parent folders).
void write_file_atomic(const std::filesystem::path& path, const std::string& content);
/// The same for a secret: the file is created readable and writable by this user only (0600)
/// before anything is written to it.
void write_private_file_atomic(const std::filesystem::path& path, const std::string& content);

/// Reads a whole file; throws input_error naming the file when it cannot.
std::string read_file(const std::filesystem::path& path);

} // namespace dcae
