#pragma once
/// \file bids_layout.h
/// Query of a raw BIDS dataset's functional runs without opening any image.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dcae::io {

/// One functional run (`*_bold.nii[.gz]`).
struct BoldRun {
  std::filesystem::path bold;                  ///< the image file
  std::map<std::string, std::string> entities; ///< "sub" → "01", "task" → "motor", ...
  std::string subject;                         ///< label without "sub-"
  std::string session;                         ///< label or ""
  std::string task;
  std::string run;                                    ///< label as written ("01", "1") or ""
  std::optional<std::filesystem::path> events;        ///< nearest applicable _events.tsv
  std::vector<std::filesystem::path> sidecars;        ///< applicable _bold.json, root → leaf
  nlohmann::json metadata = nlohmann::json::object(); ///< sidecars merged (leaf wins)
  std::optional<double> repetition_time_s;            ///< RepetitionTime
  std::vector<double> slice_timing_s;                 ///< SliceTiming (empty if absent)

  /// "sub-01_ses-1_task-motor_run-01": the file name before "_bold".
  std::string stem() const;
};

/// Which runs to select; empty lists select everything. Labels may carry their prefix
/// ("sub-01" and "01" are the same participant).
struct RunFilter {
  std::vector<std::string> participants;
  std::vector<std::string> sessions;
  std::vector<std::string> tasks;
};

/// A raw BIDS dataset.
class BidsLayout {
public:
  /// Indexes `root`; throws input_error if it is not a folder or has no
  /// dataset_description.json.
  static BidsLayout open(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }
  /// Participant labels (without "sub-"), sorted: from the sub-* folders.
  std::vector<std::string> subjects() const;
  /// Task labels with at least one bold run, sorted.
  std::vector<std::string> tasks() const;
  /// All bold runs, sorted by path.
  const std::vector<BoldRun>& runs() const { return runs_; }
  /// Runs matching `filter`. Throws usage_error listing what exists when a requested
  /// participant, session or task has no run.
  std::vector<BoldRun> select(const RunFilter& filter) const;

private:
  std::filesystem::path root_;
  std::vector<std::string> subjects_;
  std::vector<BoldRun> runs_;
};

/// Parses BIDS entities from a file name ("sub-01_task-x_run-2_bold.nii.gz" →
/// {sub:01, task:x, run:2}); the suffix ("bold") and extension (".nii.gz") are returned too.
struct ParsedName {
  std::map<std::string, std::string> entities;
  std::vector<std::string> entity_order; ///< keys in the order they appear
  std::string suffix;
  std::string extension;
};
ParsedName parse_bids_name(const std::string& filename);

/// Strips an optional prefix ("sub-01" → "01" for prefix "sub-").
std::string strip_prefix(const std::string& label, const std::string& prefix);

} // namespace dcae::io
