#pragma once
/// \file inputs.h
/// The report's inputs, read with errors that name the file: tab-separated tables, confounds
/// (motion parameters and framewise displacement), the training loss log, and decompositions
/// written by dcae-dictlearn.

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dcae::report {

/// A tab-separated table with a header line.
struct TsvTable {
  std::filesystem::path path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows; ///< each as long as the header

  /// Index of column `name`, or nullopt.
  std::optional<std::size_t> column(const std::string& name) const;
  /// Column `name` as numbers; "n/a" and empty cells become NaN. Throws input_error
  /// "<file>:<line>: column '<name>': '<cell>' is not a number", or naming the missing column.
  std::vector<double> numbers(const std::string& name) const;
};

/// Reads a TSV (trailing '\r' tolerated, blank lines skipped). Throws input_error naming the
/// file for a missing/empty file or "<file>:<line>: expected N tab-separated fields (as the
/// header), found M".
TsvTable read_tsv(const std::filesystem::path& path);

/// Motion of one run, from `*_desc-confounds_timeseries.tsv`.
struct Confounds {
  /// trans_x, trans_y, trans_z (mm), rot_x, rot_y, rot_z (degrees), [parameter][volume].
  std::array<std::vector<double>, 6> motion;
  /// Framewise displacement (mm) per volume; NaN for the first volume.
  std::vector<double> fd;
  std::size_t volumes() const { return fd.size(); }
  /// Mean of the finite FD values (volumes 2..T), NaN if none.
  double mean_fd() const;
  double max_fd() const;
};

/// Reads the six motion columns and framewise_displacement (computed from the motion with a
/// 50 mm sphere when the column is absent). Throws input_error naming the file.
Confounds read_confounds(const std::filesystem::path& path);

/// The training loss log of dcae-train (`loss.tsv`: step, epoch, loss per step).
struct LossLog {
  std::vector<double> step, epoch, loss;
  /// Mean loss of each epoch: (epoch, last step of the epoch, mean loss).
  struct EpochMean {
    double epoch, step, loss;
  };
  std::vector<EpochMean> epoch_means() const;
};
/// Reads dcae-train's loss.tsv: (step, epoch, loss) per step, or (epoch, loss) per epoch as
/// distributed training writes it (then step = epoch).
LossLog read_loss_log(const std::filesystem::path& path);

/// One row of a decomposition's score table: the best atom for a task condition.
struct Score {
  std::string condition;
  int atom = 0;       ///< 0-based atom index (volume of the components image)
  std::string column; ///< column of the mixing table
  double r = 0;       ///< Pearson correlation of the atom with the HRF-convolved regressor
};

/// A decomposition written by dcae-dictlearn: `<prefix>_desc-<label>_decomposition.json`,
/// `_mixing.tsv` (temporal atoms, one row per volume) and spatial maps (one volume per atom):
/// `<prefix>_desc-<label>_components.nii.gz` beside the JSON, or one file per input run as the
/// JSON's "Components" lists them (paths relative to the JSON's folder). Feature
/// decompositions may also carry atoms brought back through the decoder ("DecoderMixing",
/// "DecoderScores"), seen through decoder_view().
struct Decomposition {
  std::filesystem::path json_path, mixing_path;
  /// Spatial-map files: "Components" resolved, else the one beside the JSON (may not exist).
  std::vector<std::filesystem::path> components;
  std::string prefix;  ///< "sub-01_task-motor" or "task-motor"
  std::string subject; ///< the prefix's sub- label, empty for group decompositions
  std::string method, label, source;
  int k = 0;
  double lambda = 0, tr_s = 0;
  std::vector<std::string> conditions;
  std::vector<std::vector<double>> regressors; ///< [condition][volume]
  std::vector<Score> scores;
  std::vector<std::string> columns;          ///< of the mixing table
  std::vector<std::vector<double>> atoms;    ///< [atom][volume]; empty if mixing.tsv is missing
  bool via_decoder = false;                  ///< a decoder_view()
  std::filesystem::path decoder_mixing_path; ///< empty when there is none
  std::vector<Score> decoder_scores;

  /// The temporal atom of column `column` (nullptr if absent).
  const std::vector<double>* atom_series(const std::string& column) const;
  /// True when the source is raw signals ("raw").
  bool raw() const { return source == "raw"; }
  /// The same decomposition with the decoder's temporal atoms and scores, labelled
  /// "<label>decoder"; nullopt when it has none. Reads the decoder mixing table.
  std::optional<Decomposition> decoder_view() const;
};

/// Reads a decomposition's JSON and its mixing table (when present). Throws input_error
/// naming the file for malformed JSON, missing keys, a mixing table whose columns do not match
/// K, or whose length differs from the design's.
Decomposition read_decomposition(const std::filesystem::path& json_path);

/// Every `*_decomposition.json` under `root`, recursively, sorted.
std::vector<std::filesystem::path> find_decompositions(const std::filesystem::path& root);

} // namespace dcae::report
