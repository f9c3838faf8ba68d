#include "io/bids_layout.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <system_error>
#include <utility>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/json.h"

namespace dcae::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBoldSuffix = "bold";
constexpr const char* kEventsSuffix = "events";

bool is_folder(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

/// Entries of `dir` sorted by name, hidden ones (".*", e.g. macOS "._" files) left out.
std::vector<fs::directory_entry> sorted_entries(const fs::path& dir) {
  std::vector<fs::directory_entry> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!starts_with(it->path().filename().string(), ".")) out.push_back(*it);
  }
  if (ec) throw input_error(dir.string() + ": cannot list folder: " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  return out;
}

/// Sub-folders of `dir` whose names start with `prefix` ("sub-", "ses-"), sorted.
std::vector<fs::path> prefixed_folders(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (const auto& entry : sorted_entries(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > prefix.size() && starts_with(name, prefix) && is_folder(entry.path())) {
      out.push_back(entry.path());
    }
  }
  return out;
}

/// A file of one folder with its parsed name.
struct NamedFile {
  fs::path path;
  ParsedName name;
};

/// True if every entity of `file` is among `run`'s entities with the same value (the BIDS
/// inheritance principle's applicability test).
bool applies_to(const ParsedName& file, const std::map<std::string, std::string>& run) {
  return std::all_of(file.entities.begin(), file.entities.end(), [&](const auto& kv) {
    const auto it = run.find(kv.first);
    return it != run.end() && it->second == kv.second;
  });
}

/// Walks a dataset's folders once, caching folder listings and parsed sidecars.
class Indexer {
public:
  /// Files of `dir` with the given suffix and extension, sorted by name.
  const std::vector<NamedFile>& files(const fs::path& dir, const std::string& suffix,
                                      const std::string& extension) {
    const std::string key = dir.string() + "\n" + suffix + "\n" + extension;
    auto it = listings_.find(key);
    if (it != listings_.end()) return it->second;
    std::vector<NamedFile> found;
    for (const auto& entry : sorted_entries(dir)) {
      if (is_folder(entry.path())) continue;
      ParsedName name = parse_bids_name(entry.path().filename().string());
      if (name.suffix == suffix && name.extension == extension) {
        found.push_back({entry.path(), std::move(name)});
      }
    }
    return listings_.emplace(key, std::move(found)).first->second;
  }

  /// Applicable files of one folder, least specific (fewest entities) first.
  std::vector<const NamedFile*> applicable(const fs::path& dir, const std::string& suffix,
                                           const std::string& extension,
                                           const std::map<std::string, std::string>& entities) {
    std::vector<const NamedFile*> out;
    for (const NamedFile& f : files(dir, suffix, extension)) {
      if (applies_to(f.name, entities)) out.push_back(&f);
    }
    std::stable_sort(out.begin(), out.end(), [](const NamedFile* a, const NamedFile* b) {
      return a->name.entities.size() < b->name.entities.size();
    });
    return out;
  }

  /// A sidecar's JSON object, parsed once.
  const nlohmann::json& sidecar(const fs::path& file) {
    auto it = json_.find(file);
    if (it != json_.end()) return it->second;
    nlohmann::json j = read_json(file);
    if (!j.is_object()) throw input_error(file.string() + ": a JSON sidecar must hold an object");
    return json_.emplace(file, std::move(j)).first->second;
  }

private:
  std::map<std::string, std::vector<NamedFile>> listings_;
  std::map<fs::path, nlohmann::json> json_;
};

/// The sidecar that last sets `key` (for error messages), or the run's image if none does.
fs::path source_of(const BoldRun& run, const std::string& key, Indexer& index) {
  for (auto it = run.sidecars.rbegin(); it != run.sidecars.rend(); ++it) {
    if (index.sidecar(*it).contains(key)) return *it;
  }
  return run.bold;
}

/// Resolves inherited sidecars, metadata, timing and events of one run. `levels` are the
/// folders whose files may apply to it, root first: root, subject, [session,] func.
void resolve_metadata(BoldRun& run, const std::vector<fs::path>& levels, Indexer& index) {
  for (const fs::path& dir : levels) {
    for (const NamedFile* f : index.applicable(dir, kBoldSuffix, ".json", run.entities)) {
      run.sidecars.push_back(f->path);
      for (const auto& [key, value] : index.sidecar(f->path).items()) run.metadata[key] = value;
    }
  }
  for (auto dir = levels.rbegin(); dir != levels.rend() && !run.events; ++dir) {
    const auto found = index.applicable(*dir, kEventsSuffix, ".tsv", run.entities);
    if (!found.empty()) run.events = found.back()->path;
  }

  if (const auto it = run.metadata.find("RepetitionTime"); it != run.metadata.end()) {
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() <= 0) {
      throw input_error(source_of(run, "RepetitionTime", index).string() +
                        ": RepetitionTime must be a positive number of seconds, found " +
                        it->dump());
    }
    run.repetition_time_s = it->get<double>();
  }
  if (const auto it = run.metadata.find("SliceTiming"); it != run.metadata.end()) {
    const bool numbers = it->is_array() && std::all_of(it->begin(), it->end(), [](const auto& v) {
                           return v.is_number() && std::isfinite(v.template get<double>());
                         });
    if (!numbers) {
      throw input_error(source_of(run, "SliceTiming", index).string() +
                        ": SliceTiming must be an array of numbers (seconds)");
    }
    for (const auto& v : *it) run.slice_timing_s.push_back(v.get<double>());
  }
}

/// The bold runs of one func/ folder; `levels` as for resolve_metadata, ending with func/.
void index_func_folder(const std::vector<fs::path>& levels, const std::string& subject,
                       const std::string& session, Indexer& index, std::vector<BoldRun>& runs) {
  for (const char* ext : {".nii", ".nii.gz"}) {
    for (const NamedFile& f : index.files(levels.back(), kBoldSuffix, ext)) {
      BoldRun run;
      run.bold = f.path;
      run.entities = f.name.entities;
      run.entities.emplace("sub", subject);
      if (!session.empty()) run.entities.emplace("ses", session);
      run.subject = run.entities.at("sub");
      run.session = run.entities.count("ses") ? run.entities.at("ses") : "";
      run.task = run.entities.count("task") ? run.entities.at("task") : "";
      run.run = run.entities.count("run") ? run.entities.at("run") : "";
      if (run.task.empty()) log::warn(f.path.string(), ": bold file without a task- entity");
      with_context("resolving the metadata of " + f.path.string(),
                   [&] { resolve_metadata(run, levels, index); });
      runs.push_back(std::move(run));
    }
  }
}

/// Labels present among `runs` for one field, sorted and unique.
template <typename Field>
std::vector<std::string> labels_of(const std::vector<BoldRun>& runs, Field field) {
  std::set<std::string> s;
  for (const BoldRun& r : runs) {
    const std::string& v = r.*field;
    if (!v.empty()) s.insert(v);
  }
  return {s.begin(), s.end()};
}

/// Requested labels without their prefix; throws usage_error for one that has no run.
std::set<std::string> checked_labels(const std::vector<std::string>& requested,
                                     const std::string& prefix, const std::string& what,
                                     const std::vector<std::string>& existing,
                                     const std::vector<std::string>& known_without_runs,
                                     const fs::path& root) {
  std::set<std::string> out;
  for (const std::string& label : requested) {
    const std::string bare = strip_prefix(trim(label), prefix);
    if (std::find(existing.begin(), existing.end(), bare) == existing.end()) {
      const bool known = std::find(known_without_runs.begin(), known_without_runs.end(), bare) !=
                         known_without_runs.end();
      std::string message = what;
      message += " '" + label + "' ";
      message += known ? "has no bold run" : "not found";
      message += " in " + root.string() + "; " + what + "s with bold runs: ";
      message += existing.empty() ? std::string("none") : join(existing, ", ");
      throw usage_error(message);
    }
    out.insert(bare);
  }
  return out;
}

} // namespace

std::string BoldRun::stem() const {
  const std::string name = bold.filename().string();
  const std::size_t pos = name.rfind("_bold.");
  return pos == std::string::npos ? name.substr(0, name.find('.')) : name.substr(0, pos);
}

BidsLayout BidsLayout::open(const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(root, ec))
    throw input_error(root.string() + ": no such folder (BIDS dataset expected)");
  if (!is_folder(root)) throw input_error(root.string() + ": not a folder (BIDS dataset expected)");
  const fs::path description = root / "dataset_description.json";
  if (!fs::is_regular_file(description, ec)) {
    throw input_error(root.string() + ": no dataset_description.json, not a BIDS dataset");
  }
  const nlohmann::json desc = read_json(description);
  if (!desc.is_object()) throw input_error(description.string() + ": must hold a JSON object");
  if (desc.value("DatasetType", std::string()) == "derivative") {
    log::warn(root.string(), ": DatasetType is 'derivative'; its bold files are listed as runs");
  }

  BidsLayout layout;
  layout.root_ = root;
  Indexer index;
  for (const fs::path& sub_dir : prefixed_folders(root, "sub-")) {
    const std::string subject = strip_prefix(sub_dir.filename().string(), "sub-");
    layout.subjects_.push_back(subject);
    if (is_folder(sub_dir / "func")) {
      index_func_folder({root, sub_dir, sub_dir / "func"}, subject, "", index, layout.runs_);
    }
    for (const fs::path& ses_dir : prefixed_folders(sub_dir, "ses-")) {
      const std::string session = strip_prefix(ses_dir.filename().string(), "ses-");
      if (is_folder(ses_dir / "func")) {
        index_func_folder({root, sub_dir, ses_dir, ses_dir / "func"}, subject, session, index,
                          layout.runs_);
      }
    }
  }
  std::sort(layout.runs_.begin(), layout.runs_.end(),
            [](const BoldRun& a, const BoldRun& b) { return a.bold < b.bold; });
  log::debug(root.string(), ": ", layout.subjects_.size(), " subjects, ", layout.runs_.size(),
             " bold runs");
  return layout;
}

std::vector<std::string> BidsLayout::subjects() const {
  return subjects_;
}

std::vector<std::string> BidsLayout::tasks() const {
  return labels_of(runs_, &BoldRun::task);
}

std::vector<BoldRun> BidsLayout::select(const RunFilter& filter) const {
  const std::vector<std::string> subjects_with_runs = labels_of(runs_, &BoldRun::subject);
  const std::set<std::string> participants = checked_labels(
      filter.participants, "sub-", "participant", subjects_with_runs, subjects_, root_);
  const std::set<std::string> sessions = checked_labels(
      filter.sessions, "ses-", "session", labels_of(runs_, &BoldRun::session), {}, root_);
  const std::set<std::string> tasks =
      checked_labels(filter.tasks, "task-", "task", this->tasks(), {}, root_);

  std::vector<BoldRun> out;
  for (const BoldRun& run : runs_) {
    if (!participants.empty() && !participants.count(run.subject)) continue;
    if (!sessions.empty() && !sessions.count(run.session)) continue;
    if (!tasks.empty() && !tasks.count(run.task)) continue;
    out.push_back(run);
  }
  if (out.empty() && !runs_.empty()) {
    throw usage_error(root_.string() + ": no bold run matches participant(s) [" +
                      join(filter.participants, ", ") + "], session(s) [" +
                      join(filter.sessions, ", ") + "], task(s) [" + join(filter.tasks, ", ") +
                      "]");
  }
  return out;
}

ParsedName parse_bids_name(const std::string& filename) {
  ParsedName out;
  const std::size_t dot = filename.find('.');
  const std::string stem = filename.substr(0, dot);
  if (dot != std::string::npos) out.extension = filename.substr(dot);
  const std::vector<std::string> parts = split(stem, '_');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const std::size_t dash = part.find('-');
    if (dash == std::string::npos) {
      if (i + 1 == parts.size()) out.suffix = part;
      continue;
    }
    const std::string key = part.substr(0, dash);
    if (key.empty() || out.entities.count(key)) continue;
    out.entities.emplace(key, part.substr(dash + 1));
    out.entity_order.push_back(key);
  }
  return out;
}

std::string strip_prefix(const std::string& label, const std::string& prefix) {
  return starts_with(label, prefix) ? label.substr(prefix.size()) : label;
}

} // namespace dcae::io
