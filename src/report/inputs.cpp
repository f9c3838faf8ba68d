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

const std::vector<double>* Decomposition::atom_series(const std::string& col) const {
  const auto it = std::find(columns.begin(), columns.end(), col);
  if (it == columns.end() || atoms.empty()) return nullptr;
  return &atoms[static_cast<std::size_t>(it - columns.begin())];
}

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
  for (const std::string& part : split(d.prefix, '_')) {
    if (starts_with(part, "sub-")) d.subject = part.substr(4);
  }
  const std::string stem = d.prefix + "_desc-" + file_label;
  d.mixing_path = json_path.parent_path() / (stem + "_mixing.tsv");

  const nlohmann::json j = io::read_json(json_path);
  auto bad = [&](const std::string& what) { return input_error(file + ": " + what); };
  if (!j.is_object()) throw bad("expected a JSON object");
  auto str = [&](const char* key, const std::string& fallback) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_string()) throw bad(std::string("\"") + key + "\" must be a string");
    return j[key].get<std::string>();
  };
  auto num = [&](const char* key, double fallback) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    if (!j[key].is_number()) throw bad(std::string("\"") + key + "\" must be a number");
    return j[key].get<double>();
  };
  d.method = str("Method", "");
  d.label = str("Label", file_label);
  d.source = str("Source", starts_with(file_label, "raw") ? "raw" : "features");
  d.k = static_cast<int>(num("K", 0));
  d.lambda = num("Lambda", kNaN);
  d.tr_s = num("TR", kNaN);
  if (j.contains("Design")) {
    const auto& des = j["Design"];
    if (!des.is_object() || !des.contains("Conditions") || !des["Conditions"].is_array() ||
        !des.contains("Regressors") || !des["Regressors"].is_array()) {
      throw bad("\"Design\" must hold \"Conditions\" (strings) and \"Regressors\" (one list of "
                "numbers per condition)");
    }
    for (const auto& c : des["Conditions"]) {
      if (!c.is_string()) throw bad("\"Design.Conditions\" must be strings");
      d.conditions.push_back(c.get<std::string>());
    }
    for (const auto& r : des["Regressors"]) {
      if (!r.is_array()) throw bad("\"Design.Regressors\" must be lists of numbers");
      std::vector<double> v;
      for (const auto& x : r) {
        if (!x.is_number()) throw bad("\"Design.Regressors\" must be lists of numbers");
        v.push_back(x.get<double>());
      }
      d.regressors.push_back(std::move(v));
    }
    if (d.regressors.size() != d.conditions.size()) {
      throw bad("\"Design\" has " + std::to_string(d.conditions.size()) + " conditions but " +
                std::to_string(d.regressors.size()) + " regressors");
    }
    for (const auto& r : d.regressors) {
      if (r.size() != d.regressors.front().size())
        throw bad("\"Design.Regressors\" differ in length");
    }
  }
  auto parse_scores = [&](const char* key, const std::string& label, std::vector<Score>& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_array()) throw bad(std::string("\"") + key + "\" must be a list");
    for (const auto& s : j[key]) {
      if (!s.is_object() || !s.contains("Condition") || !s["Condition"].is_string() ||
          !s.contains("r") || !s["r"].is_number() ||
          (!s.contains("Atom") && !s.contains("Column"))) {
        throw bad(std::string("each of \"") + key +
                  "\" needs \"Condition\" (string), \"r\" (number) and \"Atom\" or \"Column\"");
      }
      Score sc;
      sc.condition = s["Condition"].get<std::string>();
      sc.r = s["r"].get<double>();
      if (s.contains("Atom")) {
        if (!s["Atom"].is_number_integer() || s["Atom"].get<long long>() < 0) {
          throw bad(std::string("\"") + key + "\": \"Atom\" must be a non-negative integer");
        }
        sc.atom = s["Atom"].get<int>();
      }
      if (s.contains("Column")) {
        if (!s["Column"].is_string())
          throw bad(std::string("\"") + key + "\": \"Column\" must be a string");
        sc.column = s["Column"].get<std::string>();
        if (!s.contains("Atom")) {
          const auto us = sc.column.rfind('_');
          const auto n = parse_int(us == std::string::npos ? sc.column : sc.column.substr(us + 1));
          if (!n || *n < 0)
            throw bad(std::string("\"") + key + "\": cannot tell the atom of column '" + sc.column +
                      "'");
          sc.atom = static_cast<int>(*n);
        }
      } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "_%03d", sc.atom);
        sc.column = label + buf;
      }
      out.push_back(std::move(sc));
    }
  };
  parse_scores("Scores", d.label, d.scores);
  parse_scores("DecoderScores", d.label + "decoder", d.decoder_scores);
  if (j.contains("Components")) {
    if (!j["Components"].is_array()) throw bad("\"Components\" must be a list of file names");
    for (const auto& c : j["Components"]) {
      if (!c.is_string()) throw bad("\"Components\" must be a list of file names");
      d.components.push_back(json_path.parent_path() / c.get<std::string>());
    }
  }
  if (d.components.empty())
    d.components.push_back(json_path.parent_path() / (stem + "_components.nii.gz"));
  if (j.contains("DecoderMixing")) {
    if (!j["DecoderMixing"].is_string()) throw bad("\"DecoderMixing\" must be a file name");
    d.decoder_mixing_path = json_path.parent_path() / j["DecoderMixing"].get<std::string>();
  }
  if (fs::exists(d.mixing_path)) {
    const TsvTable t = read_tsv(d.mixing_path);
    const std::string mfile = name_of(d.mixing_path);
    if (d.k > 0 && static_cast<int>(t.header.size()) != d.k) {
      throw input_error(mfile + ": expected K = " + std::to_string(d.k) + " columns (as " + fname +
                        " says), found " + std::to_string(t.header.size()));
    }
    if (!d.regressors.empty() && t.rows.size() != d.regressors.front().size()) {
      throw input_error(mfile + ": " + std::to_string(t.rows.size()) + " rows but the design in " +
                        fname + " has " + std::to_string(d.regressors.front().size()) + " volumes");
    }
    d.columns = t.header;
    for (const auto& c : t.header) d.atoms.push_back(t.numbers(c));
    if (d.k == 0) d.k = static_cast<int>(d.columns.size());
  }
  return d;
}

std::optional<Decomposition> Decomposition::decoder_view() const {
  if (decoder_mixing_path.empty() || via_decoder) return std::nullopt;
  Decomposition v = *this;
  v.via_decoder = true;
  v.label = label + "decoder";
  v.method = method + " (temporal atoms through the decoder)";
  v.mixing_path = decoder_mixing_path;
  v.scores = decoder_scores;
  v.decoder_scores.clear();
  v.decoder_mixing_path.clear();
  v.columns.clear();
  v.atoms.clear();
  if (fs::exists(v.mixing_path)) {
    const TsvTable t = read_tsv(v.mixing_path);
    if (!atoms.empty() && !atoms.front().empty() && t.rows.size() != atoms.front().size()) {
      throw input_error(v.mixing_path.string() + ": " + std::to_string(t.rows.size()) +
                        " rows but " + mixing_path.filename().string() + " has " +
                        std::to_string(atoms.front().size()));
    }
    v.columns = t.header;
    for (const auto& c : t.header) v.atoms.push_back(t.numbers(c));
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
