#include "io/events.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <system_error>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"

namespace dcae::io {

namespace {

constexpr const char* kNotAvailable = "n/a";

/// "<file>:<line>" for messages about one line of a text file (lines counted from 1).
std::string where(const std::filesystem::path& file, std::size_t line) {
  return file.string() + ":" + std::to_string(line);
}

/// The file's lines without their end-of-line characters ("\n" or "\r\n").
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (std::string& line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
  }
  return lines;
}

bool is_blank(const std::string& line) {
  return trim(line).empty();
}

/// Index of `name` among the header columns, if present.
std::optional<std::size_t> column(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) return std::nullopt;
  return static_cast<std::size_t>(it - header.begin());
}

/// Parses a finite number from a table cell; throws input_error naming file:line and column.
double parse_cell(const std::string& cell, const std::string& what,
                  const std::filesystem::path& file, std::size_t line) {
  const std::optional<double> v = parse_double(cell);
  if (!v || !std::isfinite(*v)) {
    throw input_error(where(file, line) + ": " + what + " '" + trim(cell) + "' is not a number");
  }
  return *v;
}

/// Shortest text that reads back as the same double.
std::string format_number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

/// Parses every row of an FSL EV file; throws input_error naming file:line on a bad row.
std::vector<Event> parse_fsl_rows(const std::filesystem::path& txt, const std::string& condition) {
  const std::vector<std::string> lines = lines_of(read_file(txt));
  std::vector<Event> events;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::size_t line = i + 1;
    const std::vector<std::string> fields = split_whitespace(lines[i]);
    if (fields.empty()) continue;
    if (fields.size() != 3) {
      throw input_error(where(txt, line) +
                        ": expected 3 columns (onset duration amplitude), found " +
                        std::to_string(fields.size()));
    }
    Event e;
    e.onset_s = parse_cell(fields[0], "onset", txt, line);
    e.duration_s = parse_cell(fields[1], "duration", txt, line);
    e.amplitude = parse_cell(fields[2], "amplitude", txt, line);
    if (e.duration_s < 0) {
      throw input_error(where(txt, line) + ": negative duration " + fields[1]);
    }
    e.trial_type = condition;
    events.push_back(std::move(e));
  }
  return events;
}

} // namespace

std::vector<std::string> Events::conditions() const {
  std::vector<std::string> out;
  for (const Event& e : events) {
    if (std::find(out.begin(), out.end(), e.trial_type) == out.end()) out.push_back(e.trial_type);
  }
  return out;
}

std::vector<Event> Events::of(const std::string& condition) const {
  std::vector<Event> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out),
               [&](const Event& e) { return e.trial_type == condition; });
  return out;
}

Events read_bids_events(const std::filesystem::path& tsv) {
  std::vector<std::string> lines = lines_of(read_file(tsv));
  if (lines.empty() || is_blank(lines.front())) {
    throw input_error(tsv.string() + ": empty file; expected a header with 'onset' and 'duration'");
  }
  std::string& first = lines.front();
  if (starts_with(first, "\xEF\xBB\xBF")) first.erase(0, 3); // UTF-8 byte order mark

  std::vector<std::string> header = split(first, '\t');
  for (std::string& name : header) name = trim(name);
  const std::optional<std::size_t> onset_col = column(header, "onset");
  const std::optional<std::size_t> duration_col = column(header, "duration");
  for (const auto& [col, name] :
       {std::pair{onset_col, "onset"}, std::pair{duration_col, "duration"}}) {
    if (!col) {
      throw input_error(where(tsv, 1) + ": missing required column '" + name +
                        "' (header: " + join(header, ", ") + ")");
    }
  }
  const std::optional<std::size_t> type_col = column(header, "trial_type");
  std::optional<std::size_t> amplitude_col = column(header, "modulation");
  if (!amplitude_col) amplitude_col = column(header, "amplitude");

  Events out;
  out.source = tsv.string();
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::size_t line = i + 1;
    if (is_blank(lines[i])) continue;
    const std::vector<std::string> fields = split(lines[i], '\t');
    const std::size_t needed = std::max(*onset_col, *duration_col) + 1;
    if (fields.size() < needed) {
      throw input_error(where(tsv, line) + ": " + std::to_string(fields.size()) +
                        " columns, the header has " + std::to_string(header.size()));
    }
    // Optional columns missing at the end of a short row read as n/a.
    const auto cell = [&](std::optional<std::size_t> col) {
      return col && *col < fields.size() ? trim(fields[*col]) : std::string(kNotAvailable);
    };

    const std::string onset = cell(onset_col);
    if (onset == kNotAvailable) continue;
    Event e;
    e.onset_s = parse_cell(onset, "onset", tsv, line);
    const std::string duration = cell(duration_col);
    e.duration_s = duration == kNotAvailable ? 0.0 : parse_cell(duration, "duration", tsv, line);
    if (e.duration_s < 0) {
      throw input_error(where(tsv, line) + ": negative duration " + duration);
    }
    const std::string amplitude = cell(amplitude_col);
    if (amplitude_col && amplitude != kNotAvailable && !amplitude.empty()) {
      e.amplitude = parse_cell(amplitude, header[*amplitude_col], tsv, line);
    }
    const std::string type = cell(type_col);
    e.trial_type = type.empty() || type == kNotAvailable ? kDefaultCondition : type;
    out.events.push_back(std::move(e));
  }
  return out;
}

Events read_fsl_ev(const std::filesystem::path& txt, std::string condition) {
  if (condition.empty()) condition = txt.stem().string();
  Events out;
  out.source = txt.string();
  out.events = parse_fsl_rows(txt, condition);
  return out;
}

Events read_fsl_ev_folder(const std::filesystem::path& evs_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(evs_dir, ec)) {
    throw input_error(evs_dir.string() + ": not a folder of EV files");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(evs_dir)) {
    if (entry.path().extension() == ".txt" && !entry.is_directory()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  Events out;
  std::vector<std::string> used;
  for (const std::filesystem::path& file : files) {
    std::vector<Event> events;
    try {
      events = parse_fsl_rows(file, file.stem().string());
    } catch (const Error& e) {
      if (e.code() != ExitCode::kBadInput) throw;
      log::debug("skipping ", file.string(), ": not a 3-column EV file (", e.what(), ")");
      continue;
    }
    used.push_back(file.string());
    out.events.insert(out.events.end(), events.begin(), events.end());
  }
  if (used.empty()) {
    throw input_error(evs_dir.string() + ": no 3-column EV file (*.txt) in the folder");
  }
  out.source = join(used, ", ");
  return out;
}

void write_bids_events(const std::filesystem::path& tsv, const Events& events) {
  std::string text = "onset\tduration\ttrial_type\n";
  for (const Event& e : events.events) {
    if (!std::isfinite(e.onset_s) || !std::isfinite(e.duration_s)) {
      throw input_error(tsv.string() + ": event '" + e.trial_type +
                        "' has a non-finite onset or duration");
    }
    if (e.trial_type.find_first_of("\t\r\n") != std::string::npos) {
      throw input_error(tsv.string() + ": condition name '" + e.trial_type +
                        "' contains a tab or line break");
    }
    text += format_number(e.onset_s) + "\t" + format_number(e.duration_s) + "\t" +
            (e.trial_type.empty() ? std::string(kNotAvailable) : e.trial_type) + "\n";
  }
  write_file_atomic(tsv, text);
}

} // namespace dcae::io
