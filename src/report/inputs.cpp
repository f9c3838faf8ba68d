#include "report/inputs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "io/json.h"
#include "io/motion_params.h"

namespace fs = std::filesystem;

namespace dcae::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string name_of(const fs::path& p) {
  return p.string();
}

} // namespace

std::optional<std::size_t> TsvTable::column(const std::string& name) const {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) return std::nullopt;
  return static_cast<std::size_t>(it - header.begin());
}

std::vector<double> TsvTable::numbers(const std::string& name) const {
  const auto c = column(name);
  if (!c)
    throw input_error(name_of(path) + ": no column '" + name + "' (columns: " + join(header, ", ") +
                      ")");
  std::vector<double> out;
  out.reserve(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const std::string& cell = rows[r][*c];
    if (cell.empty() || cell == "n/a") {
      out.push_back(kNaN);
      continue;
    }
    const auto v = parse_double(cell);
    if (!v) {
      throw input_error(name_of(path) + ":" + std::to_string(r + 2) + ": column '" + name + "': '" +
                        cell + "' is not a number");
    }
    out.push_back(*v);
  }
  return out;
}

TsvTable read_tsv(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(name_of(path) + ": cannot open");
  TsvTable t;
  t.path = path;
  std::string line;
  std::size_t line_no = 0;
  bool have_header = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    std::vector<std::string> fields = split(line, '\t');
    for (auto& f : fields) f = trim(f);
    if (!have_header) {
      t.header = std::move(fields);
      have_header = true;
      continue;
    }
    if (fields.size() != t.header.size()) {
      throw input_error(name_of(path) + ":" + std::to_string(line_no) + ": expected " +
                        std::to_string(t.header.size()) +
                        " tab-separated fields (as the header), found " +
                        std::to_string(fields.size()));
    }
    t.rows.push_back(std::move(fields));
  }
  if (!have_header) throw input_error(name_of(path) + ": empty file (no header line)");
  return t;
}

double Confounds::mean_fd() const {
  double s = 0;
  std::size_t n = 0;
  for (double v : fd) {
    if (std::isfinite(v)) s += v, ++n;
  }
  return n > 0 ? s / static_cast<double>(n) : kNaN;
}

double Confounds::max_fd() const {
  double m = kNaN;
  for (double v : fd) {
    if (std::isfinite(v) && !(v <= m)) m = v;
  }
  return m;
}

Confounds read_confounds(const fs::path& path) {
  const TsvTable t = read_tsv(path);
  if (t.rows.empty()) throw input_error(name_of(path) + ": no volumes (only a header)");
  Confounds c;
  for (std::size_t a = 0; a < 6; ++a) {
    c.motion[a] = t.numbers(io::kMotionColumns[a]);
    for (std::size_t v = 0; v < c.motion[a].size(); ++v) {
      if (!std::isfinite(c.motion[a][v])) {
        throw input_error(name_of(path) + ":" + std::to_string(v + 2) + ": column '" +
                          io::kMotionColumns[a] + "' has no value");
      }
    }
  }
  if (t.column("framewise_displacement")) {
    c.fd = t.numbers("framewise_displacement");
  } else {
    std::vector<io::MotionParams> p(t.rows.size());
    for (std::size_t v = 0; v < p.size(); ++v) {
      for (std::size_t a = 0; a < 6; ++a) p[v][a] = c.motion[a][v];
    }
    c.fd = io::framewise_displacement(p);
  }
  if (!c.fd.empty()) c.fd[0] = kNaN;
  if (t.column("dvars")) {
    c.dvars = t.numbers("dvars");
    if (!c.dvars.empty()) c.dvars[0] = kNaN;
  }
  if (t.column("global_signal")) c.global_signal = t.numbers("global_signal");
  return c;
}

std::vector<LossLog::EpochMean> LossLog::epoch_means() const {
  std::vector<EpochMean> out;
  std::size_t i = 0;
  while (i < loss.size()) {
    const double e = epoch[i];
    double s = 0;
    std::size_t n = 0;
    double last_step = step[i];
    for (; i < loss.size() && epoch[i] == e; ++i) {
      if (std::isfinite(loss[i])) s += loss[i], ++n;
      last_step = step[i];
    }
    if (n > 0) out.push_back({e, last_step, s / static_cast<double>(n)});
  }
  return out;
}

LossLog read_loss_log(const fs::path& path) {
  const TsvTable t = read_tsv(path);
  LossLog l;
  l.epoch = t.numbers("epoch");
  // Distributed training logs one row per epoch (epoch, loss): its step axis is the epoch.
  l.step = t.column("step") ? t.numbers("step") : l.epoch;
  l.loss = t.numbers("loss");
  return l;
}

ValidationLog read_validation_log(const fs::path& path) {
  const TsvTable t = read_tsv(path);
  ValidationLog v;
  v.epoch = t.numbers("epoch");
  v.step = t.numbers("step");
  v.train_loss = t.numbers("train_loss");
  v.loss = t.numbers("validation_loss");
  v.mse = t.numbers("validation_mse");
  return v;
}

const std::vector<double>* DecompositionRun::atom_series(const std::string& col) const {
  const auto it = std::find(columns.begin(), columns.end(), col);
  if (it == columns.end() || atoms.empty()) return nullptr;
  return &atoms[static_cast<std::size_t>(it - columns.begin())];
}

const Score* DecompositionRun::score(const std::string& condition) const {
  for (const auto& s : scores)
    if (s.condition == condition) return &s;
  return nullptr;
}

const std::vector<double>* DecompositionRun::regressor(const std::string& condition) const {
  for (std::size_t c = 0; c < conditions.size() && c < regressors.size(); ++c)
    if (conditions[c] == condition) return &regressors[c];
  return nullptr;
}

std::vector<std::string> Decomposition::conditions() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  for (const auto& r : runs)
    for (const auto& c : r.conditions) add(c);
  for (const auto& s : scores) add(s.condition);
  return out;
}

const Score* Decomposition::score(const std::string& condition) const {
  for (const auto& s : scores)
    if (s.condition == condition) return &s;
  return nullptr;
}

namespace {

/// Reads a run's mixing table into `run` (columns and atoms), checking it against K and the
/// design's length.
void read_atoms(DecompositionRun& run, const fs::path& mixing, int k,
                const std::string& json_name) {
  run.columns.clear();
  run.atoms.clear();
  if (!fs::exists(mixing)) return;
  const TsvTable t = read_tsv(mixing);
  if (k > 0 && static_cast<int>(t.header.size()) != k)
    throw input_error(name_of(mixing) + ": expected K = " + std::to_string(k) + " columns (as " +
                      json_name + " says), found " + std::to_string(t.header.size()));
  if (!run.regressors.empty() && t.rows.size() != run.regressors.front().size())
    throw input_error(name_of(mixing) + ": " + std::to_string(t.rows.size()) +
                      " rows but the design of " + run.name + " in " + json_name + " has " +
                      std::to_string(run.regressors.front().size()) + " volumes");
  run.columns = t.header;
  for (const auto& c : t.header) run.atoms.push_back(t.numbers(c));
}

std::string subject_of(const std::string& name) {
  for (const std::string& part : split(name, '_'))
    if (starts_with(part, "sub-")) return part.substr(4);
  return "";
}

} // namespace

Decomposition read_decomposition(const fs::path& json_path) {
  const std::string file = name_of(json_path);
  const std::string fname = json_path.filename().string();
  const std::string tail = "_decomposition.json";
  const auto desc = fname.rfind("_desc-");
  if (!ends_with(fname, tail) || desc == std::string::npos ||
      desc + 6 >= fname.size() - tail.size()) {
    throw input_error(file + ": expected a name <prefix>_desc-<label>_decomposition.json");
  }
  Decomposition d;
  d.json_path = json_path;
  d.prefix = fname.substr(0, desc);
  const std::string file_label = fname.substr(desc + 6, fname.size() - tail.size() - desc - 6);
  d.subject = subject_of(d.prefix);

  const nlohmann::json j = io::read_json(json_path);
  auto bad = [&](const std::string& what) { return input_error(file + ": " + what); };
  if (!j.is_object()) throw bad("expected a JSON object");
  auto str_in = [&](const nlohmann::json& o, const char* key, const std::string& fallback) {
    if (!o.contains(key) || o[key].is_null()) return fallback;
    if (!o[key].is_string()) throw bad(std::string("\"") + key + "\" must be a string");
    return o[key].get<std::string>();
  };
  auto num_in = [&](const nlohmann::json& o, const char* key, double fallback) {
    if (!o.contains(key) || o[key].is_null()) return fallback;
    if (!o[key].is_number()) throw bad(std::string("\"") + key + "\" must be a number");
    return o[key].get<double>();
  };
  d.method = str_in(j, "Method", "");
  d.label = str_in(j, "Label", file_label);
  d.source = str_in(j, "Source", starts_with(file_label, "raw") ? "raw" : "features");
  d.decoder_readout = str_in(j, "DecoderReadout", "");
  d.k = static_cast<int>(num_in(j, "K", 0));
  d.lambda = num_in(j, "Lambda", kNaN);
  d.tr_s = num_in(j, "TR", kNaN);

  auto parse_scores = [&](const nlohmann::json& o, const char* key, const std::string& label,
                          std::vector<Score>& out) {
    if (!o.contains(key)) return;
    if (!o[key].is_array()) throw bad(std::string("\"") + key + "\" must be a list");
    for (const auto& s : o[key]) {
      const bool summary = s.is_object() && s.contains("MedianR");
      if (!s.is_object() || !s.contains("Condition") || !s["Condition"].is_string() ||
          !s.contains("Atom") || !s["Atom"].is_number_integer() ||
          (summary ? !(s["MedianR"].is_number() || s["MedianR"].is_null())
                   : !(s.contains("r") && s["r"].is_number()))) {
        throw bad(std::string("each of \"") + key +
                  "\" needs \"Condition\" (string), \"Atom\" (integer) and \"" +
                  (summary ? "MedianR" : "r") + "\" (number)");
      }
      Score sc;
      sc.condition = s["Condition"].get<std::string>();
      sc.atom = s["Atom"].get<int>();
      if (sc.atom < -1)
        throw bad(std::string("\"") + key + "\": \"Atom\" must be -1 (none) or an atom index");
      sc.r = summary ? num_in(s, "MedianR", kNaN) : s["r"].get<double>();
      sc.min_r = num_in(s, "MinR", kNaN);
      sc.null_r95 = num_in(s, "NullR95", kNaN);
      sc.runs = static_cast<int>(num_in(s, "Runs", 0));
      sc.runs_above_null = static_cast<int>(num_in(s, "RunsAboveNull", 0));
      char buf[32];
      std::snprintf(buf, sizeof buf, "_%03d", sc.atom);
      sc.column = str_in(s, "Column", sc.atom >= 0 ? label + buf : "");
      out.push_back(std::move(sc));
    }
  };
  parse_scores(j, "Scores", d.label, d.scores);
  parse_scores(j, "DecoderScores", d.label + "decoder", d.decoder_scores);

  if (j.contains("Runs")) {
    if (!j["Runs"].is_array()) throw bad("\"Runs\" must be a list");
    for (const auto& rj : j["Runs"]) {
      if (!rj.is_object() || !rj.contains("Name") || !rj["Name"].is_string())
        throw bad("each of \"Runs\" needs a \"Name\" (string)");
      DecompositionRun run;
      run.name = rj["Name"].get<std::string>();
      run.subject = subject_of(run.name);
      auto path = [&](const char* key) {
        const std::string rel = str_in(rj, key, "");
        return rel.empty() ? fs::path() : json_path.parent_path() / rel;
      };
      run.mixing = path("Mixing");
      run.decoder_mixing = path("DecoderMixing");
      run.components = path("Components");
      run.correlation_components = path("CorrelationComponents");
      if (rj.contains("Design")) {
        const auto& des = rj["Design"];
        if (!des.is_object() || !des.contains("Conditions") || !des["Conditions"].is_array() ||
            !des.contains("Regressors") || !des["Regressors"].is_array())
          throw bad("\"Design\" of run " + run.name +
                    " must hold \"Conditions\" (strings) and \"Regressors\" (one list of "
                    "numbers per condition)");
        for (const auto& c : des["Conditions"]) {
          if (!c.is_string()) throw bad("\"Design.Conditions\" must be strings");
          run.conditions.push_back(c.get<std::string>());
        }
        for (const auto& r : des["Regressors"]) {
          if (!r.is_array()) throw bad("\"Design.Regressors\" must be lists of numbers");
          std::vector<double> v;
          for (const auto& x : r) {
            if (!x.is_number()) throw bad("\"Design.Regressors\" must be lists of numbers");
            v.push_back(x.get<double>());
          }
          run.regressors.push_back(std::move(v));
        }
        if (run.regressors.size() != run.conditions.size())
          throw bad("the design of run " + run.name + " has " +
                    std::to_string(run.conditions.size()) + " conditions but " +
                    std::to_string(run.regressors.size()) + " regressors");
        for (const auto& r : run.regressors)
          if (r.size() != run.regressors.front().size())
            throw bad("\"Design.Regressors\" differ in length");
      }
      parse_scores(rj, "Scores", d.label, run.scores);
      parse_scores(rj, "DecoderScores", d.label + "decoder", run.decoder_scores);
      read_atoms(run, run.mixing, d.k, fname);
      if (d.k == 0) d.k = static_cast<int>(run.columns.size());
      d.runs.push_back(std::move(run));
    }
  }
  return d;
}

std::optional<Decomposition> Decomposition::decoder_view() const {
  if (via_decoder || std::none_of(runs.begin(), runs.end(), [](const DecompositionRun& r) {
        return !r.decoder_mixing.empty();
      }))
    return std::nullopt;
  Decomposition v = *this;
  v.via_decoder = true;
  v.label = label + "decoder";
  v.method = method + " (temporal atoms through the decoder: " +
             (decoder_readout.empty() ? "n/a" : decoder_readout) + ")";
  v.scores = decoder_scores;
  v.decoder_scores.clear();
  for (auto& r : v.runs) {
    r.scores = r.decoder_scores;
    r.decoder_scores.clear();
    r.mixing = r.decoder_mixing;
    r.decoder_mixing.clear();
    read_atoms(r, r.mixing, k, json_path.filename().string());
  }
  return v;
}

std::vector<fs::path> find_decompositions(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && starts_with(name, ".")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && ends_with(name, "_decomposition.json") &&
        !starts_with(name, ".")) {
      out.push_back(it->path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace dcae::report
