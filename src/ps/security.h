#pragma once
/// \file security.h
/// The job's shared token (read from a file or an environment variable, never from the
/// command line, so that it does not show in `ps`) and TLS settings.

#include <filesystem>
#include <string>

namespace dcae::ps {

/// Metadata key that carries the token on every call.
inline constexpr const char* kTokenMetadataKey = "x-dcae-token";
/// Environment variable read when no token file is given.
inline constexpr const char* kTokenEnvVar = "DCAE_PS_TOKEN";

/// The token from `file` (first line, surrounding white space removed) when given, else from
/// the environment variable DCAE_PS_TOKEN. Throws usage_error when neither gives a token, or
/// input_error naming the file when it is unreadable or empty.
std::string read_token(const std::filesystem::path& file);

/// A fresh random token (hex, 32 bytes from /dev/urandom).
std::string generate_token();

/// Constant-time comparison (the time does not depend on where the strings differ).
bool tokens_equal(const std::string& a, const std::string& b);

/// TLS settings; all empty = plain TCP.
struct TlsFiles {
  std::filesystem::path cert; ///< server: certificate chain (PEM)
  std::filesystem::path key;  ///< server: private key (PEM)
  std::filesystem::path ca;   ///< client: root certificate that signed the server's (PEM)
  bool enabled() const { return !cert.empty() || !ca.empty(); }
};

} // namespace dcae::ps
