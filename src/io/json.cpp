#include "io/json.h"

#include "core/atomic_file.h"
#include "core/error.h"

namespace dcae::io {

nlohmann::json read_json(const std::filesystem::path& file) {
  const std::string text = read_file(file);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw input_error(file.string() + ": invalid JSON at byte " + std::to_string(e.byte));
  } catch (const nlohmann::json::exception& e) {
    // e.g. a number too large for a double (found by tests/fuzz: "1e99999" was a runtime
    // failure instead of bad input).
    std::string what = e.what();
    if (const auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    throw input_error(file.string() + ": invalid JSON: " + what);
  }
}

void write_json(const std::filesystem::path& file, const nlohmann::json& value) {
  write_file_atomic(file, value.dump(2) + "\n");
}

} // namespace dcae::io
