#pragma once
/// \file command.h
/// The command framework: each command declares its usage (typed arguments with ranges,
/// choices, defaults, input/output roles) and a run(); one shared main parses the command
/// line (and an optional YAML --config), handles the standard options, runs the command and
/// maps errors to exit codes. The usage is also printed as JSON, the single source of truth
/// for Boutiques descriptors and Nipype interfaces.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"

namespace dcae::app {

/// What an argument holds.
enum class ArgKind {
  kFlag, ///< boolean switch, no value
  kInt,
  kFloat,
  kString,
  kChoice,    ///< one string among `choices`
  kInputFile, ///< must exist
  kInputDir,  ///< must exist and be a folder
  kOutputFile,
  kOutputDir,
  kIntList, ///< several values ("--grid 40 48 36")
  kFloatList,
  kStringList,
  kInputFileList, ///< several files, each must exist (else bad input, exit 1): shards, events
};

/// One declared argument. Positional arguments come in declaration order.
struct Argument {
  std::string name; ///< "subjects" → --subjects; positional: "bids_dir"
  ArgKind kind = ArgKind::kString;
  std::string help;
  bool positional = false;
  bool required = false;
  std::optional<std::string> default_value; ///< textual default ("2", "bids", "4 4 4")
  std::optional<double> min;                ///< inclusive range for numbers (each list item)
  std::optional<double> max;
  std::vector<std::string> choices;
  std::string short_flag;           ///< e.g. "w" for -w
  std::vector<std::string> aliases; ///< other long spellings ("participant_label")
  int list_size = 0;                ///< exact number of list items, 0 = one or more
  std::string group = "Options";    ///< heading in --help
  std::string value_name;           ///< placeholder in --help ("N", "DIR")
};

/// A command's usage: name, summary, arguments and examples.
struct Usage {
  std::string name;        ///< executable name ("dcae-simulate")
  std::string summary;     ///< one line
  std::string description; ///< paragraphs
  std::vector<Argument> arguments;
  std::vector<std::string> examples; ///< full command lines
  /// Groups of arguments (without defaults) of which at most one may be given; checked by
  /// parse_arguments and exported (Boutiques "groups", mutually exclusive).
  std::vector<std::vector<std::string>> mutually_exclusive;
};

/// Appends an argument to `usage` and returns it for further settings (range, default, ...).
/// The reference stays valid until the next argument is added.
Argument& add_argument(Usage& usage, std::string name, ArgKind kind, std::string help,
                       std::string group = "Options");

/// Parsed values, typed; every declared argument with a value or default is present.
class ParsedArgs {
public:
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  bool flag(const std::string& name) const;
  long long integer(const std::string& name) const;
  double number(const std::string& name) const;
  std::string string(const std::string& name) const;
  std::vector<long long> integers(const std::string& name) const;
  std::vector<double> numbers(const std::string& name) const;
  std::vector<std::string> strings(const std::string& name) const;

  /// Standard options.
  int verbosity = 0; ///< -v count
  bool quiet = false;
  int nthreads = 0; ///< 0 = all cores
  std::string config_file;

  void set(const std::string& name, config::Scalar value) { values_[name] = std::move(value); }
  const std::map<std::string, config::Scalar>& values() const { return values_; }
  /// Values as JSON ({name: value}) for provenance records and --parse-only.
  nlohmann::json to_json() const;

private:
  const config::Scalar& get(const std::string& name) const;
  std::map<std::string, config::Scalar> values_;
};

/// A command: declares its usage and runs on parsed arguments. Testable in-process.
class Command {
public:
  virtual ~Command() = default;
  virtual Usage usage() const = 0;
  /// Runs the command; returns the exit code (0 on success); throws dcae::Error on failure.
  virtual int run(const ParsedArgs& args) = 0;
};

/// Parses `argv` (without the program name) against `usage`, reading --config YAML first and
/// letting the command line override it. Throws usage_error (exit 2) for a bad command line
/// or configuration, input_error (exit 1) for a missing input file.
ParsedArgs parse_arguments(const Usage& usage, const std::vector<std::string>& argv);

/// The --help text.
std::string help_text(const Usage& usage);

/// The usage as JSON (--usage-json): name, summary, arguments with kinds, flags, defaults,
/// ranges and choices; includes the standard options.
nlohmann::json usage_json(const Usage& usage);

/// The shared main: parses, handles --help, --version, --usage-json, --parse-only, --quiet,
/// -v, --nthreads, --config; runs; catches every error and maps it to an exit code with a
/// one-line message on stderr.
int run_main(Command& command, int argc, char** argv);

/// The standard options every command has (for documentation and descriptor generation).
const std::vector<Argument>& standard_arguments();

} // namespace dcae::app
