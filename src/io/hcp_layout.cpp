#include "io/hcp_layout.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <system_error>
#include <tuple>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"

namespace dcae::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTaskPrefix = "tfMRI_";

bool is_folder(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

/// `<subject>/MNINonLinear/Results`.
fs::path results_of(const fs::path& subject_dir) {
  return subject_dir / "MNINonLinear" / "Results";
}

bool is_subject_folder(const fs::path& dir) {
  return is_folder(results_of(dir));
}

/// The last component of a folder path, also when it ends with a separator.
std::string folder_name(const fs::path& dir) {
  const fs::path normal = dir.lexically_normal();
  return normal.has_filename() ? normal.filename().string()
                               : normal.parent_path().filename().string();
}

/// Sub-folders of `dir`, sorted, hidden ones left out.
std::vector<fs::path> sorted_folders(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!starts_with(it->path().filename().string(), ".") && is_folder(it->path()))
      out.push_back(it->path());
  }
  if (ec) throw input_error(dir.string() + ": cannot list folder: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

/// Subject folders under `root`: `root` itself if it is one, else its sub-folders that are.
std::vector<fs::path> subject_folders(const fs::path& root) {
  if (is_subject_folder(root)) return {root};
  std::vector<fs::path> out;
  for (const fs::path& dir : sorted_folders(root)) {
    if (is_subject_folder(dir)) out.push_back(dir);
  }
  return out;
}

/// Parses "tfMRI_<TASK>_<LR|RL>" into the run's task and phase encoding; false for other folder
/// names (e.g. the level-2 folder "tfMRI_EMOTION" or resting-state "rfMRI_REST1_LR").
bool parse_run_folder(const std::string& name, HcpRun& run) {
  if (!starts_with(name, kTaskPrefix)) return false;
  const std::size_t last = name.rfind('_');
  const std::size_t start = std::string(kTaskPrefix).size();
  if (last == std::string::npos || last <= start) return false;
  run.phase_encoding = name.substr(last + 1);
  run.task = name.substr(start, last - start);
  return run.phase_encoding == "LR" || run.phase_encoding == "RL";
}

/// Throws usage_error if a requested label is not among `existing`.
void check_requested(const std::vector<std::string>& requested,
                     const std::set<std::string>& existing, bool ignore_case,
                     const std::string& what, const fs::path& root) {
  for (const std::string& label : requested) {
    const bool found = std::any_of(existing.begin(), existing.end(), [&](const std::string& e) {
      return ignore_case ? to_lower(e) == to_lower(label) : e == label;
    });
    if (!found) {
      std::string message = "HCP ";
      message += what;
      message += " '" + label + "' not found in ";
      message += root.string() + "; ";
      message += what;
      message += "s with task runs: ";
      message += existing.empty()
                     ? std::string("none")
                     : join(std::vector<std::string>(existing.begin(), existing.end()), ", ");
      throw usage_error(message);
    }
  }
}

} // namespace

std::vector<HcpRun> list_hcp_runs(const fs::path& root, const std::vector<std::string>& subjects,
                                  const std::vector<std::string>& tasks) {
  if (!is_folder(root)) throw input_error(root.string() + ": not a folder (HCP data expected)");
  const std::vector<fs::path> subject_dirs = subject_folders(root);
  if (subject_dirs.empty()) {
    throw input_error(root.string() +
                      ": no HCP subject (no <subject>/MNINonLinear/Results folder)");
  }

  std::vector<HcpRun> all;
  for (const fs::path& subject_dir : subject_dirs) {
    for (const fs::path& folder : sorted_folders(results_of(subject_dir))) {
      HcpRun run;
      if (!parse_run_folder(folder.filename().string(), run)) continue;
      run.subject = folder_name(subject_dir);
      run.folder = folder;
      run.bold = folder / (folder.filename().string() + ".nii.gz");
      run.bold_exists = is_file(run.bold);
      if (is_folder(folder / "EVs")) run.evs_dir = folder / "EVs";
      if (is_file(folder / "Movement_Regressors.txt"))
        run.movement_regressors = folder / "Movement_Regressors.txt";
      all.push_back(std::move(run));
    }
  }

  std::set<std::string> subject_labels;
  std::set<std::string> task_labels;
  for (const HcpRun& r : all) {
    subject_labels.insert(r.subject);
    task_labels.insert(r.task);
  }
  check_requested(subjects, subject_labels, false, "subject", root);
  check_requested(tasks, task_labels, true, "task", root);

  std::vector<HcpRun> out;
  for (HcpRun& r : all) {
    const bool subject_ok = subjects.empty() || std::find(subjects.begin(), subjects.end(),
                                                          r.subject) != subjects.end();
    const bool task_ok =
        tasks.empty() || std::any_of(tasks.begin(), tasks.end(), [&](const std::string& t) {
          return to_lower(t) == to_lower(r.task);
        });
    if (subject_ok && task_ok) out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const HcpRun& a, const HcpRun& b) {
    return std::tie(a.subject, a.task, a.phase_encoding) <
           std::tie(b.subject, b.task, b.phase_encoding);
  });
  return out;
}

std::vector<std::array<double, 6>> read_movement_regressors(const fs::path& file) {
  const std::vector<std::string> lines = split(read_file(file), '\n');
  std::vector<std::array<double, 6>> rows;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = file.string() + ":" + std::to_string(i + 1);
    const std::vector<std::string> fields = split_whitespace(lines[i]);
    if (fields.empty()) continue;
    if (fields.size() != 12 && fields.size() != 6) {
      throw input_error(where + ": expected 12 (or 6) columns, found " +
                        std::to_string(fields.size()));
    }
    std::array<double, 6> row{};
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const std::optional<double> v = parse_double(fields[c]);
      if (!v || !std::isfinite(*v)) {
        throw input_error(where + ": column " + std::to_string(c + 1) + " '" + fields[c] +
                          "' is not a number");
      }
      if (c < row.size()) row[c] = *v;
    }
    rows.push_back(row);
  }
  if (rows.empty()) throw input_error(file.string() + ": no movement parameters (empty file)");
  return rows;
}

bool is_hcp_layout(const fs::path& root) {
  if (!is_folder(root)) return false;
  if (is_subject_folder(root)) return true;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_subject_folder(it->path())) return true;
  }
  return false;
}

} // namespace dcae::io
