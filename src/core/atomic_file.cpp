#include "core/atomic_file.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

namespace fs = std::filesystem;

namespace dcae {
namespace {
std::atomic<unsigned> g_counter{0};

/// "a/b/sub-01_bold.nii.gz" → "a/b/.sub-01_bold.tmp1234-0.nii.gz" (keeps the full extension).
fs::path make_temp_name(const fs::path& target) {
  const std::string name = target.filename().string();
  std::size_t dot = name.find('.', 1);
  if (dot == std::string::npos) dot = name.size();
  const std::string stem = name.substr(0, dot);
  const std::string ext = name.substr(dot);
  std::ostringstream s;
  s << '.' << stem << ".tmp" << ::getpid() << '-' << g_counter++ << ext;
  return target.parent_path() / s.str();
}
} // namespace

AtomicOutput::AtomicOutput(fs::path target) : target_(std::move(target)) {
  if (target_.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(target_.parent_path(), ec);
    if (ec) {
      throw runtime_error("cannot create folder '" + target_.parent_path().string() +
                          "': " + ec.message());
    }
  }
  temp_ = make_temp_name(target_);
}

AtomicOutput::AtomicOutput(AtomicOutput&& o) noexcept
    : target_(std::move(o.target_)), temp_(std::move(o.temp_)), committed_(o.committed_) {
  o.committed_ = true; // the moved-from object must not delete anything
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicOutput::commit() {
  if (committed_) return;
  std::error_code ec;
  fs::rename(temp_, target_, ec);
  if (ec) {
    throw runtime_error("cannot move '" + temp_.string() + "' to '" + target_.string() +
                        "': " + ec.message());
  }
  committed_ = true;
}

void commit_all(std::vector<AtomicOutput*> outputs) {
  for (AtomicOutput* o : outputs) o->commit();
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    if (!f) throw runtime_error("cannot write '" + path.string() + "': " + std::strerror(errno));
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.flush();
    if (!f) throw runtime_error("error writing '" + path.string() + "' (disk full?)");
  }
  out.commit();
}

void write_private_file_atomic(const fs::path& path, const std::string& content) {
  AtomicOutput out(path);
  const int fd = ::open(out.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw runtime_error("cannot write '" + path.string() + "': " + std::strerror(errno));
  ::fchmod(fd, 0600); // also when the temporary name existed
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw runtime_error("error writing '" + path.string() + "' (disk full?)");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) throw runtime_error("error writing '" + path.string() + "'");
  out.commit();
}

std::string read_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw input_error("cannot read '" + path.string() + "': " + std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

} // namespace dcae
