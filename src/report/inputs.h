#pragma once
/// \file inputs.h
/// The report's inputs, read with errors that name the file: tab-separated tables, confounds
/// (motion parameters and framewise displacement), the training loss log, and decompositions
/// written by dcae-dictlearn.

#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
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
  /// DVARS and the global signal per volume; empty when the file has no such column.
  std::vector<double> dvars, global_signal;
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

/// dcae-train's validation.tsv: per epoch, the loss on the held-out voxels.
struct ValidationLog {
  std::vector<double> epoch, step, train_loss, loss, mse;
};
/// Reads validation.tsv (epoch, step, train_loss, validation_loss, validation_mse).
ValidationLog read_validation_log(const std::filesystem::path& path);

/// The score of one task condition: in one run, or summarised over runs.
struct Score {
  std::string condition;
  int atom = -1;      ///< 0-based atom index (volume of the components image); -1: none
  std::string column; ///< column of the mixing table
  double r =
      0; ///< Pearson r of the (oriented) atom with the regressor; median over runs in summaries
  double min_r = std::numeric_limits<double>::quiet_NaN(); ///< summaries: the smallest r over runs
  double null_r95 =
      std::numeric_limits<double>::quiet_NaN(); ///< chance level (summaries: median over runs)
  int runs = 0, runs_above_null = 0;            ///< summaries only
  bool above_null() const { return std::isfinite(null_r95) && r > null_r95; }
};

/// One run of a decomposition: its temporal atoms, maps, design and scores.
struct DecompositionRun {
  std::string name;    ///< "sub-01_task-motor_run-01"
  std::string subject; ///< the name's sub- label
  std::filesystem::path mixing, decoder_mixing, components;
  std::filesystem::path correlation_components; ///< each voxel's r with each temporal atom
  std::vector<std::string> conditions;
  std::vector<std::vector<double>> regressors; ///< [condition][volume], as scored (timed, filtered)
  std::vector<Score> scores, decoder_scores;
  std::vector<std::string> columns;       ///< of the mixing table
  std::vector<std::vector<double>> atoms; ///< [atom][volume]; empty if the mixing table is missing

  /// The temporal atom of column `column` (nullptr if absent).
  const std::vector<double>* atom_series(const std::string& column) const;
  /// The score of `condition` (nullptr if none).
  const Score* score(const std::string& condition) const;
  /// The regressor of `condition` (nullptr if none).
  const std::vector<double>* regressor(const std::string& condition) const;
};

/// A decomposition written by dcae-dictlearn: `<prefix>_desc-<label>_decomposition.json` and,
/// per run, `_mixing.tsv` (temporal atoms, one row per volume) and `_components.nii.gz`
/// (spatial maps, one volume per atom), paths relative to the JSON's folder. Feature
/// decompositions may also carry atoms brought back through the decoder ("DecoderMixing",
/// "DecoderScores"), seen through decoder_view().
struct Decomposition {
  std::filesystem::path json_path;
  std::string prefix;  ///< "sub-01_task-motor" or "task-motor"
  std::string subject; ///< the prefix's sub- label, empty for group decompositions
  std::string method, label, source, decoder_readout;
  int k = 0;
  double lambda = 0, tr_s = 0;
  std::vector<DecompositionRun> runs;
  std::vector<Score> scores;         ///< per condition, summarised over runs
  std::vector<Score> decoder_scores; ///< the same for the decoder's readout
  bool via_decoder = false;          ///< a decoder_view()

  /// True when the source is raw signals ("raw").
  bool raw() const { return source == "raw"; }
  /// Every condition of any run, in first-seen order.
  std::vector<std::string> conditions() const;
  /// The summary score of `condition` (nullptr if none).
  const Score* score(const std::string& condition) const;
  /// The same decomposition with the decoder's temporal atoms and scores, labelled
  /// "<label>decoder"; nullopt when it has none. Reads the decoder mixing tables.
  std::optional<Decomposition> decoder_view() const;
};

/// Reads a decomposition's JSON and each run's mixing table (when present). Throws input_error
/// naming the file for malformed JSON, missing keys, a mixing table whose columns do not match
/// K, or whose length differs from the run's design.
Decomposition read_decomposition(const std::filesystem::path& json_path);

/// Every `*_decomposition.json` under `root`, recursively, sorted.
std::vector<std::filesystem::path> find_decompositions(const std::filesystem::path& root);

} // namespace dcae::report
