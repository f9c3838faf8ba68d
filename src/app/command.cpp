#include "app/command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/threads.h"
#include "dcae/version.h"

namespace fs = std::filesystem;

namespace dcae::app {
namespace {

bool is_list(ArgKind k) {
  return k == ArgKind::kIntList || k == ArgKind::kFloatList || k == ArgKind::kStringList ||
         k == ArgKind::kInputFileList;
}

config::Type config_type(ArgKind k) {
  switch (k) {
  case ArgKind::kFlag:
    return config::Type::kBool;
  case ArgKind::kInt:
    return config::Type::kInt;
  case ArgKind::kFloat:
    return config::Type::kFloat;
  case ArgKind::kIntList:
    return config::Type::kIntList;
  case ArgKind::kFloatList:
    return config::Type::kFloatList;
  case ArgKind::kStringList:
  case ArgKind::kInputFileList:
    return config::Type::kStringList;
  default:
    return config::Type::kString;
  }
}

const char* kind_name(ArgKind k) {
  switch (k) {
  case ArgKind::kFlag:
    return "flag";
  case ArgKind::kInt:
    return "integer";
  case ArgKind::kFloat:
    return "number";
  case ArgKind::kString:
    return "string";
  case ArgKind::kChoice:
    return "choice";
  case ArgKind::kInputFile:
    return "input-file";
  case ArgKind::kInputDir:
    return "input-dir";
  case ArgKind::kOutputFile:
    return "output-file";
  case ArgKind::kOutputDir:
    return "output-dir";
  case ArgKind::kIntList:
    return "integer-list";
  case ArgKind::kFloatList:
    return "number-list";
  case ArgKind::kStringList:
    return "string-list";
  case ArgKind::kInputFileList:
    return "input-file-list";
  }
  return "string";
}

config::Key key_of(const Argument& a) {
  config::Key k;
  k.name = a.name;
  k.type = config_type(a.kind);
  k.min = a.min;
  k.max = a.max;
  k.choices = a.choices;
  return k;
}

std::string flag_of(const Argument& a) {
  return a.positional ? a.name : "--" + a.name;
}

/// Converts command-line text to a typed value for argument `a`.
config::Scalar convert(const Argument& a, const std::vector<std::string>& texts) {
  const std::string where = flag_of(a);
  auto to_int = [&](const std::string& s) {
    if (auto v = parse_int(s)) return *v;
    throw usage_error(where + ": expected an integer, got '" + s + "'");
  };
  auto to_float = [&](const std::string& s) {
    if (auto v = parse_double(s)) return *v;
    throw usage_error(where + ": expected a number, got '" + s + "'");
  };
  switch (a.kind) {
  case ArgKind::kInt:
    return to_int(texts.back());
  case ArgKind::kFloat:
    return to_float(texts.back());
  case ArgKind::kIntList: {
    std::vector<long long> v;
    for (const auto& s : texts) v.push_back(to_int(s));
    return v;
  }
  case ArgKind::kFloatList: {
    std::vector<double> v;
    for (const auto& s : texts) v.push_back(to_float(s));
    return v;
  }
  case ArgKind::kStringList:
  case ArgKind::kInputFileList:
    return texts;
  case ArgKind::kFlag: {
    const std::string s = to_lower(texts.back());
    if (s == "true" || s == "1" || s == "yes") return true;
    if (s == "false" || s == "0" || s == "no") return false;
    throw usage_error(where + ": expected true or false, got '" + texts.back() + "'");
  }
  default:
    return texts.back();
  }
}

/// Default text → typed value.
config::Scalar default_of(const Argument& a) {
  if (is_list(a.kind)) return convert(a, split_whitespace(*a.default_value));
  return convert(a, {*a.default_value});
}

} // namespace

Argument& add_argument(Usage& usage, std::string name, ArgKind kind, std::string help,
                       std::string group) {
  Argument a;
  a.name = std::move(name);
  a.kind = kind;
  a.help = std::move(help);
  a.group = std::move(group);
  usage.arguments.push_back(std::move(a));
  return usage.arguments.back();
}

const std::vector<Argument>& standard_arguments() {
  static const std::vector<Argument> kStd = [] {
    std::vector<Argument> s;
    auto add = [&](std::string name, ArgKind kind, std::string help, std::string short_flag = {},
                   std::string value_name = {}) {
      Argument a;
      a.name = std::move(name);
      a.kind = kind;
      a.help = std::move(help);
      a.short_flag = std::move(short_flag);
      a.value_name = std::move(value_name);
      a.group = "Standard options";
      s.push_back(std::move(a));
    };
    add("help", ArgKind::kFlag, "print this help and exit", "h");
    add("version", ArgKind::kFlag, "print the version and exit");
    add("quiet", ArgKind::kFlag, "only warnings and errors on stderr; no progress", "q");
    add("verbose", ArgKind::kFlag, "more log output (repeat for more)", "v");
    add("nthreads", ArgKind::kInt,
        "worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, "
        "OMP_NUM_THREADS)",
        "", "N");
    s.back().min = 0;
    s.back().default_value = "0";
    s.back().aliases = {"n-cpus", "nprocs"}; // fMRIPrep's and BIDS-Apps' spellings
    add("config", ArgKind::kInputFile,
        "YAML file of option values (keys = option names); "
        "the command line overrides it",
        "", "FILE");
    add("usage-json", ArgKind::kFlag, "print the command's usage as JSON and exit");
    add("parse-only", ArgKind::kFlag,
        "check the command line (and --config) and print the "
        "parsed values as JSON, without running");
    return s;
  }();
  return kStd;
}

bool ParsedArgs::flag(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && std::get<bool>(it->second);
}
const config::Scalar& ParsedArgs::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw usage_error("missing value for '" + name + "'");
  return it->second;
}
long long ParsedArgs::integer(const std::string& name) const {
  return std::get<long long>(get(name));
}
double ParsedArgs::number(const std::string& name) const {
  const auto& v = get(name);
  if (auto* i = std::get_if<long long>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}
std::string ParsedArgs::string(const std::string& name) const {
  return std::get<std::string>(get(name));
}
std::vector<long long> ParsedArgs::integers(const std::string& name) const {
  return std::get<std::vector<long long>>(get(name));
}
std::vector<double> ParsedArgs::numbers(const std::string& name) const {
  const auto& v = get(name);
  if (auto* il = std::get_if<std::vector<long long>>(&v)) return {il->begin(), il->end()};
  return std::get<std::vector<double>>(v);
}
std::vector<std::string> ParsedArgs::strings(const std::string& name) const {
  return std::get<std::vector<std::string>>(get(name));
}

nlohmann::json ParsedArgs::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : values_) std::visit([&](const auto& x) { j[k] = x; }, v);
  return j;
}

ParsedArgs parse_arguments(const Usage& usage, const std::vector<std::string>& argv) {
  CLI::App cli{usage.summary, usage.name};
  cli.set_help_flag(); // help is handled by run_main from our own usage
  cli.allow_extras(false);
  cli.positionals_at_end(false);

  std::map<std::string, std::vector<std::string>> raw;
  std::map<std::string, int> flag_counts;
  std::map<std::string, CLI::Option*> options;
  for (const Argument& a : usage.arguments) {
    if (a.kind == ArgKind::kFlag && !a.positional) {
      std::string names = "--" + a.name;
      if (!a.short_flag.empty()) names += ",-" + a.short_flag;
      for (const auto& al : a.aliases) names += ",--" + al;
      options[a.name] = cli.add_flag(names, flag_counts[a.name], a.help);
      continue;
    }
    std::string names = a.positional ? a.name : "--" + a.name;
    if (!a.positional && !a.short_flag.empty()) names += ",-" + a.short_flag;
    if (!a.positional)
      for (const auto& al : a.aliases) names += ",--" + al;
    CLI::Option* o = cli.add_option(names, raw[a.name], a.help);
    if (is_list(a.kind)) {
      if (a.list_size > 0) {
        o->expected(a.list_size);
        o->allow_extra_args(false);
      } else {
        o->expected(1, CLI::detail::expected_max_vector_size);
      }
      o->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    } else {
      o->expected(1);
      o->allow_extra_args(false);
      o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    options[a.name] = o;
  }
  int verbose = 0, quiet = 0, parse_only = 0;
  std::string nthreads_text, config_file;
  cli.add_flag("-v,--verbose", verbose);
  cli.add_flag("-q,--quiet", quiet);
  cli.add_flag("--parse-only", parse_only);
  std::string nthreads_names;
  for (const auto& a : standard_arguments())
    if (a.name == "nthreads") {
      nthreads_names = "--" + a.name;
      for (const auto& al : a.aliases) nthreads_names += ",--" + al;
    }
  auto* nthreads_opt = cli.add_option(nthreads_names, nthreads_text);
  cli.add_option("--config", config_file);

  std::vector<const char*> cargv{usage.name.c_str()};
  for (const auto& s : argv) cargv.push_back(s.c_str());
  try {
    cli.parse(static_cast<int>(cargv.size()), cargv.data());
  } catch (const CLI::ParseError& e) {
    throw usage_error(std::string(e.what()) + " (see " + usage.name + " --help)");
  }

  ParsedArgs out;
  out.verbosity = verbose;
  out.quiet = quiet > 0;
  if (nthreads_opt->count()) {
    const auto n = parse_int(nthreads_text);
    if (!n || *n < 0)
      throw usage_error("--nthreads: expected a non-negative integer, got '" + nthreads_text + "'");
    out.nthreads = static_cast<int>(*n);
  }
  out.config_file = config_file;
  if (parse_only) out.set("parse-only", true);

  // 1. defaults, 2. --config YAML, 3. the command line.
  for (const Argument& a : usage.arguments) {
    if (a.default_value)
      out.set(a.name, default_of(a));
    else if (a.kind == ArgKind::kFlag)
      out.set(a.name, false);
  }
  if (!config_file.empty()) {
    if (!fs::is_regular_file(config_file))
      throw usage_error("--config: no such file '" + config_file + "'");
    std::vector<config::Key> keys;
    for (const Argument& a : usage.arguments) keys.push_back(key_of(a));
    for (auto& [name, value] : config::load(config_file, keys)) {
      // YAML keys use '_' for '-'; map back to the declared spelling.
      for (const Argument& a : usage.arguments) {
        std::string n = a.name;
        for (char& c : n)
          if (c == '-') c = '_';
        if (n == name) out.set(a.name, value.value);
      }
    }
  }
  for (const Argument& a : usage.arguments) {
    if (a.kind == ArgKind::kFlag && !a.positional) {
      if (flag_counts[a.name] > 0) out.set(a.name, true);
      continue;
    }
    if (options[a.name]->count() == 0) continue;
    const auto& texts = raw[a.name];
    if (texts.empty()) continue;
    config::Scalar v = convert(a, texts);
    if (a.list_size > 0 && is_list(a.kind) && static_cast<int>(texts.size()) != a.list_size) {
      throw usage_error(flag_of(a) + ": expected " + std::to_string(a.list_size) + " values");
    }
    const std::string problem = config::check(key_of(a), v);
    if (!problem.empty()) throw usage_error(flag_of(a) + " " + problem);
    out.set(a.name, std::move(v));
  }
  for (const auto& group : usage.mutually_exclusive) {
    std::vector<std::string> given;
    for (const auto& name : group) {
      const auto a = std::find_if(usage.arguments.begin(), usage.arguments.end(),
                                  [&](const Argument& x) { return x.name == name; });
      if (a == usage.arguments.end() || a->default_value)
        throw std::logic_error(usage.name + ": mutually exclusive '" + name +
                               "' is not an argument without a default");
      if (a->kind == ArgKind::kFlag ? out.flag(name) : out.has(name)) given.push_back("--" + name);
    }
    if (given.size() > 1)
      throw usage_error(join(given, " and ") + ": give at most one of them (see " + usage.name +
                        " --help)");
  }
  for (const Argument& a : usage.arguments) {
    if (a.required && !out.has(a.name)) {
      throw usage_error("missing required argument " + flag_of(a) + " (see " + usage.name +
                        " --help)");
    }
    if (!out.has(a.name)) continue;
    if (a.kind == ArgKind::kInputFile || a.kind == ArgKind::kInputDir) {
      const std::string p = out.string(a.name);
      std::error_code ec;
      if (!fs::exists(p, ec))
        throw usage_error(flag_of(a) + ": no such " +
                          (a.kind == ArgKind::kInputDir ? "folder" : "file") + " '" + p + "'");
      if (a.kind == ArgKind::kInputDir && !fs::is_directory(p, ec)) {
        throw usage_error(flag_of(a) + ": '" + p + "' is not a folder");
      }
    }
    // A missing file of a list (shards, events) is bad input, as the commands have always
    // reported it (exit 1).
    if (a.kind == ArgKind::kInputFileList)
      for (const auto& p : out.strings(a.name)) {
        std::error_code ec;
        if (!fs::exists(p, ec)) throw input_error(flag_of(a) + ": no such file '" + p + "'");
      }
  }
  return out;
}

std::string help_text(const Usage& usage) {
  std::ostringstream s;
  s << usage.name << " " << kVersion << ": " << usage.summary << "\n\nUsage: " << usage.name;
  for (const auto& a : usage.arguments)
    if (a.positional) s << ' ' << a.name;
  s << " [options]\n";
  if (!usage.description.empty()) s << '\n' << usage.description << '\n';
  std::vector<std::string> groups;
  auto all = usage.arguments;
  all.insert(all.end(), standard_arguments().begin(), standard_arguments().end());
  for (const auto& a : all) {
    if (std::find(groups.begin(), groups.end(), a.positional ? "Arguments" : a.group) ==
        groups.end()) {
      groups.push_back(a.positional ? "Arguments" : a.group);
    }
  }
  for (const auto& g : groups) {
    s << '\n' << g << ":\n";
    for (const auto& a : all) {
      if ((a.positional ? "Arguments" : a.group) != g) continue;
      std::string head = a.positional ? a.name : "--" + a.name;
      if (!a.short_flag.empty()) head = "-" + a.short_flag + ", " + head;
      if (a.kind != ArgKind::kFlag && !a.positional) {
        std::string vn = a.value_name;
        if (vn.empty())
          vn = a.kind == ArgKind::kChoice ? "{" + join(a.choices, ",") + "}"
                                          : to_lower(kind_name(a.kind));
        head +=
            " " + vn +
            (is_list(a.kind) ? (a.list_size ? " (x" + std::to_string(a.list_size) + ")" : " ...")
                             : "");
      }
      s << "  " << head;
      if (head.size() < 30)
        s << std::string(30 - head.size(), ' ');
      else
        s << "\n" << std::string(32, ' ');
      s << a.help;
      if (a.min || a.max) {
        s << " [";
        if (a.min) s << a.min.value();
        s << "..";
        if (a.max) s << a.max.value();
        s << "]";
      }
      if (a.default_value && a.kind != ArgKind::kFlag && a.name != "nthreads")
        s << " (default: " << *a.default_value << ")";
      if (a.required && !a.positional) s << " (required)";
      for (const auto& al : a.aliases) s << " (also --" << al << ")";
      s << '\n';
    }
  }
  if (!usage.examples.empty()) {
    s << "\nExamples:\n";
    for (const auto& e : usage.examples) s << "  " << e << '\n';
  }
  s << "\nExit status: 0 success, 1 bad input data, 2 bad usage, 3 runtime failure.\n";
  return s.str();
}

nlohmann::json usage_json(const Usage& usage) {
  nlohmann::json args = nlohmann::json::array();
  auto add = [&](const Argument& a, bool standard) {
    nlohmann::json j = {{"name", a.name},
                        {"kind", kind_name(a.kind)},
                        {"help", a.help},
                        {"positional", a.positional},
                        {"required", a.required},
                        {"standard", standard},
                        {"group", a.positional ? "Arguments" : a.group}};
    j["flag"] = a.positional ? nlohmann::json() : nlohmann::json("--" + a.name);
    if (!a.short_flag.empty()) j["short_flag"] = "-" + a.short_flag;
    if (!a.aliases.empty()) {
      nlohmann::json al = nlohmann::json::array();
      for (const auto& x : a.aliases) al.push_back("--" + x);
      j["aliases"] = al;
    }
    if (a.default_value) std::visit([&](const auto& x) { j["default"] = x; }, default_of(a));
    if (a.min) j["min"] = *a.min;
    if (a.max) j["max"] = *a.max;
    if (!a.choices.empty()) j["choices"] = a.choices;
    if (is_list(a.kind)) j["list_size"] = a.list_size;
    if (!a.value_name.empty()) j["value_name"] = a.value_name;
    args.push_back(j);
  };
  for (const auto& a : usage.arguments) add(a, false);
  for (const auto& a : standard_arguments()) add(a, true);
  return {
      {"name", usage.name},
      {"version", kVersion},
      {"summary", usage.summary},
      {"description", usage.description},
      {"arguments", args},
      {"examples", usage.examples},
      {"mutually_exclusive", usage.mutually_exclusive},
      {"exit_codes",
       {{"0", "success"}, {"1", "bad input data"}, {"2", "bad usage"}, {"3", "runtime failure"}}}};
}

int run_main(Command& command, int argc, char** argv) {
  Usage usage;
  try {
    usage = command.usage();
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << '\n';
    return static_cast<int>(ExitCode::kRuntime);
  }
  log::set_program(usage.name);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    for (const auto& a : args) {
      if (a == "--") break;
      if (a == "-h" || a == "--help") {
        std::cout << help_text(usage);
        return 0;
      }
      if (a == "--version") {
        std::cout << usage.name << " " << kVersion << '\n';
        return 0;
      }
      if (a == "--usage-json") {
        std::cout << usage_json(usage).dump(2) << '\n';
        return 0;
      }
    }
    ParsedArgs parsed = parse_arguments(usage, args);
    if (parsed.flag("parse-only")) {
      std::cout << parsed.to_json().dump(2) << '\n';
      return 0;
    }
    if (parsed.quiet) log::set_level(log::Level::kWarning);
    if (parsed.verbosity > 0) log::set_level(log::Level::kDebug);
    set_thread_count(parsed.nthreads);
    log::debug("threads: ", thread_count(),
               parsed.nthreads > 0 ? " (--nthreads)"
                                   : " of the CPUs available: " + describe_available_cpus());
    return command.run(parsed);
  } catch (const Error& e) {
    log::error(e.what());
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    log::error("out of memory");
    return static_cast<int>(ExitCode::kRuntime);
  } catch (const std::exception& e) {
    log::error(e.what());
    return static_cast<int>(ExitCode::kRuntime);
  }
}

} // namespace dcae::app
