#include "ps/security.h"

#include <cstdlib>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace dcae::ps {
namespace {
std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}
} // namespace

std::string read_token(const std::filesystem::path& file) {
  if (!file.empty()) {
    const std::string text = read_file(file);
    const std::string token = trim(text.substr(0, text.find('\n')));
    if (token.empty()) throw input_error(file.string() + ": the token file is empty");
    return token;
  }
  if (const char* env = std::getenv(kTokenEnvVar)) {
    const std::string token = trim(env);
    if (!token.empty()) return token;
  }
  throw usage_error(std::string("no token: give --token-file FILE or set ") + kTokenEnvVar);
}

std::string generate_token() {
  std::ifstream in("/dev/urandom", std::ios::binary);
  unsigned char bytes[32];
  if (!in.read(reinterpret_cast<char*>(bytes), sizeof bytes))
    throw runtime_error("cannot read /dev/urandom for a token");
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (const unsigned char b : bytes) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

bool tokens_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

} // namespace dcae::ps
