#pragma once
/// \file hcp_layout.h
/// Human Connectome Project layout:
/// `<subject>/MNINonLinear/Results/tfMRI_<TASK>_<LR|RL>/tfMRI_<TASK>_<DIR>.nii.gz`
/// with `EVs/*.txt` (FSL 3-column) and `Movement_Regressors.txt`.

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dcae::io {

/// One HCP task-fMRI run folder.
struct HcpRun {
  std::string subject;          ///< e.g. "100307"
  std::string task;             ///< e.g. "MOTOR"
  std::string phase_encoding;   ///< "LR" or "RL"
  std::filesystem::path folder; ///< .../Results/tfMRI_MOTOR_LR
  std::filesystem::path bold;   ///< .../tfMRI_MOTOR_LR.nii.gz (may be absent)
  bool bold_exists = false;
  std::optional<std::filesystem::path> evs_dir;             ///< EVs/ if present
  std::optional<std::filesystem::path> movement_regressors; ///< Movement_Regressors.txt
};

/// Lists the task runs under an HCP root: either a folder of subjects or one subject folder.
/// Runs are sorted by subject, task, phase encoding. `subjects`/`tasks` filter (empty: all;
/// task matched case-insensitively). Throws input_error if `root` holds no HCP subject.
std::vector<HcpRun> list_hcp_runs(const std::filesystem::path& root,
                                  const std::vector<std::string>& subjects = {},
                                  const std::vector<std::string>& tasks = {});

/// Reads HCP `Movement_Regressors.txt`: rows of 12 (or 6) numbers; returns the first six of
/// each row: trans x, y, z (mm), rot x, y, z (degrees). Throws input_error naming file:line.
std::vector<std::array<double, 6>> read_movement_regressors(const std::filesystem::path& file);

/// True if `root` looks like an HCP subject folder or a folder of them.
bool is_hcp_layout(const std::filesystem::path& root);

} // namespace dcae::io
