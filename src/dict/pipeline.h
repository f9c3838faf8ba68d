#pragma once
/// \file pipeline.h
/// dcae-dictlearn's work without the model: load shards (raw time series or DCAE features) of
/// one or more runs, centre and normalise the signals, learn one dictionary over all of them,
/// code every voxel, and read each run's temporal atoms out on that run's own voxels (least
/// squares of the run's time series on its codes). Each run is scored against its own task
/// design (filtered and timed as its data, dict/scoring.h: one-to-one assignment, chance
/// levels). Outputs, BIDS-derivative names, each written atomically:
///   per run   <run>_desc-<label>_mixing.tsv        temporal atoms (T × K)
///             <run>_desc-<label>_components.nii.gz spatial maps (the codes, one volume per atom)
///             <run>_desc-<label>corr_components.nii.gz each voxel's r with each temporal atom
///             <run>_desc-<label>decoder_mixing.tsv atoms through the decoder (features, optional)
///   per input <prefix>_desc-<label>_decomposition.json  method, K, λ, designs, scores, chance
///   levels

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "dict/decomposition.h"
#include "dict/defaults.h"
#include "dict/online_dictionary.h"
#include "dict/scoring.h"

namespace dcae::dict {

enum class SignalSource { kRaw, kFeatures };

/// The default ℓ1 weight for unit-norm signals of length `signal_length` (the raw series' T,
/// also for features, so raw signals and features get the same λ): kLambdaNoiseSDs/√T. A
/// unit-norm noise series correlates with any fixed atom at about 1/√T (one SD), and LARS-Lasso
/// gives a signal an atom only where their correlation exceeds λ: at 3 SDs, codes leave noise
/// out. (The 1.2/√T of Mairal et al.'s image patches left task networks unfound in simulated
/// runs of 120 volumes that 3/√T finds: see the README's "Dictionary learning".)
inline constexpr double kLambdaNoiseSDs = 3.0;
double default_lambda(std::int64_t signal_length);

struct DictlearnOptions {
  std::vector<std::filesystem::path> shards;  ///< raw time-series or feature shards (one per run)
  std::vector<std::filesystem::path> signals; ///< for features: the raw shards, same order
  /// events.tsv or EV folder of each run (one per shard), or one for every run; empty: no scoring
  std::vector<std::filesystem::path> events;
  std::filesystem::path output_dir;
  std::string prefix; ///< file-name prefix; empty: from the inputs
  std::string label;  ///< desc label; empty: rawodl / dcaeodl
  DictionaryOptions dictionary;
  /// High-pass cutoff (s) applied to the design; default: what the shard's sidecar records.
  std::optional<double> highpass_s;
  /// Time of volume 0 within the TR (s); default: the sidecar's StartTime (TR/2 after
  /// slice-timing correction), else 0.
  std::optional<double> start_time_s;
  NullOptions null;
};

/// What the model-side readouts (the decoder) get to see.
struct LearnedDecomposition {
  SignalSource source = SignalSource::kRaw;
  Eigen::MatrixXf atoms; ///< m × K in the learned space (features or time), oriented
  Eigen::MatrixXf codes; ///< K × n, every voxel of every shard, in shard order
  Eigen::VectorXf column_mean, column_norm; ///< per voxel, before centring/normalising
  std::vector<std::int64_t> shard_offsets;  ///< first column of each shard (+ total at the end)
  std::vector<std::filesystem::path> signal_shards;  ///< raw shards (features' sources)
  std::vector<std::filesystem::path> feature_shards; ///< the learned-space shards (features)
};

/// A readout of feature atoms in time through the trained decoder: for run `run`, T × K.
struct DecoderReadout {
  std::string method; ///< recorded in the decomposition ("upsampling", "ablation")
  std::function<Eigen::MatrixXf(const LearnedDecomposition&, std::size_t run)> read;
};

/// One run's outputs and scores.
struct RunResult {
  std::string name; ///< the run's entities, e.g. sub-01_task-motor_run-01
  std::filesystem::path mixing, decoder_mixing, components;
  std::filesystem::path correlation_components; ///< r of each voxel with each temporal atom
};

/// What was written.
struct DictlearnResult {
  std::filesystem::path decomposition;
  std::vector<RunResult> runs;
  Evaluation evaluation;         ///< least-squares readout (empty without events)
  Evaluation decoder_evaluation; ///< decoder readout (empty without one)
  double objective = 0.0;
  nlohmann::json record; ///< the decomposition.json content
};

/// Runs everything and writes the outputs (each atomically).
DictlearnResult run_dictlearn(const DictlearnOptions& options,
                              const std::optional<DecoderReadout>& decoder = {});

/// Writes temporal atoms (T × K) as a tsv with columns <label>_000, <label>_001, ...
void write_mixing_tsv(const std::filesystem::path& path, const std::string& label,
                      const Eigen::Ref<const Eigen::MatrixXf>& mixing);

} // namespace dcae::dict
