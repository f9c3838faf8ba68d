#pragma once
/// \file json.h
/// JSON files: read with errors that name the file and position; write atomically.

#include <filesystem>

#include <nlohmann/json.hpp>

namespace dcae::io {

/// Parses a JSON file; throws input_error "<file>: invalid JSON at byte N: ..." when malformed.
nlohmann::json read_json(const std::filesystem::path& file);

/// Writes pretty-printed JSON (2-space indent, trailing newline) atomically.
void write_json(const std::filesystem::path& file, const nlohmann::json& value);

} // namespace dcae::io
