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
  }
}

void write_json(const std::filesystem::path& file, const nlohmann::json& value) {
  write_file_atomic(file, value.dump(2) + "\n");
}

} // namespace dcae::io
