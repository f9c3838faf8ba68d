#pragma once
/// \file report.h
/// The HTML reports of a dcae derivatives folder: one page per participant (motion, brain mask
/// over the mean image, that participant's decompositions, a summary table) and one for the
/// group (training loss, temporal atoms against the task design, spatial maps of the best
/// atoms, the raw-DL vs DCAE-DL score table). A missing input leaves a note in place of its
/// figure; a malformed one is an input_error naming the file.

#include <filesystem>
#include <string>
#include <vector>

namespace dcae::report {

struct ReportOptions {
  std::filesystem::path derivatives_dir;
  std::filesystem::path output_dir; ///< empty: the derivatives folder
  std::filesystem::path loss_log;   ///< empty: <derivatives>/model/loss.tsv if present
  /// dcae-simulate's ground truth; empty: <raw>/derivatives/groundtruth of the raw dataset the
  /// derivatives link (DatasetLinks), when it exists
  std::filesystem::path ground_truth;
  std::vector<std::string> participants; ///< labels ("01" or "sub-01"); empty: all
  bool participant_pages = true;         ///< write sub-<label>.html
  bool group_page = true;                ///< write group.html
  int mask_slices = 12;                  ///< axial slices in a mask mosaic
  int map_slices = 8;                    ///< axial slices in a spatial-map mosaic
  double map_threshold = 0.25;           ///< shown: |value| ≥ this × the map's max |value|
};

/// One preprocessed run of a participant, found by its confounds or preprocessed BOLD.
struct RunFiles {
  std::string name;                            ///< "sub-01_task-motor_run-01"
  std::filesystem::path confounds, bold, mask; ///< empty when absent
  std::filesystem::path filtered; ///< *_desc-filtered_bold beside `bold`; empty when absent
};

/// Participant labels (without "sub-") that have a sub-<label> folder or a failed step recorded
/// by dcae-bids-app (logs/errors/*.json), sorted.
std::vector<std::string> find_participants(const std::filesystem::path& derivatives_dir);

/// The runs of a participant (under sub-<label>/, any session), sorted by name; for each, the
/// native-space preprocessed BOLD and its mask are preferred over template-space ones.
std::vector<RunFiles> find_runs(const std::filesystem::path& derivatives_dir,
                                const std::string& label);

/// Writes the pages; returns the paths written (participants in label order, then group.html).
/// Each page is written atomically. Throws usage_error for an unknown participant label.
std::vector<std::filesystem::path> write_reports(const ReportOptions& opt);

} // namespace dcae::report
