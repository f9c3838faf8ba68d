#pragma once
/// \file strings.h
/// Small string utilities shared by the readers.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dcae {

/// Splits on every occurrence of `sep` (empty fields kept).
std::vector<std::string> split(std::string_view text, char sep);
/// Splits on runs of blanks (spaces/tabs), dropping empty fields.
std::vector<std::string> split_whitespace(std::string_view text);
/// Removes leading/trailing whitespace (incl. \r).
std::string trim(std::string_view text);
std::string to_lower(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
/// Parses a whole string as a finite or non-finite double; nullopt if not a number.
std::optional<double> parse_double(std::string_view text);
/// Parses a whole string as an integer; nullopt if not an integer.
std::optional<long long> parse_int(std::string_view text);
/// Joins with a separator.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

} // namespace dcae
