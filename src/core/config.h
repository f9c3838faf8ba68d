#pragma once
/// \file config.h
/// Strict YAML configuration: every key must be declared with a type (and optionally a range
/// or choices); unknown keys and wrong types are errors that name file:line:column.
/// Nested mappings become dotted keys ("model.kernel_size").

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dcae::config {

enum class Type { kBool, kInt, kFloat, kString, kIntList, kFloatList, kStringList };

/// Human name of a type ("integer", "list of numbers", ...).
const char* type_name(Type t);

/// A declared key.
struct Key {
  std::string name; ///< dotted name, e.g. "model.kernel_size"
  Type type = Type::kString;
  std::optional<double> min;        ///< inclusive lower bound for numbers (each list item)
  std::optional<double> max;        ///< inclusive upper bound
  std::vector<std::string> choices; ///< allowed strings (empty: any)
};

using Scalar = std::variant<bool, long long, double, std::string, std::vector<long long>,
                            std::vector<double>, std::vector<std::string>>;

/// A value read from a file, with where it came from ("model.yaml:3:5").
struct Value {
  Scalar value;
  std::string origin;
};

using Values = std::map<std::string, Value>;

/// Parses YAML text; `origin` names it in errors (usually the file path).
/// Throws usage_error "<origin>:<line>:<col>: <problem>" for malformed YAML, unknown keys,
/// wrong types, values out of range or not among the choices.
Values parse(const std::string& text, const std::string& origin, const std::vector<Key>& schema);

/// Reads and parses a YAML file (missing file → input_error naming it).
Values load(const std::filesystem::path& file, const std::vector<Key>& schema);

/// Checks a value against its key (range, choices); returns a problem text or "" if fine.
std::string check(const Key& key, const Scalar& value);

} // namespace dcae::config
