#pragma once
/// \file pipeline.h
/// dcae-dictlearn's work without the model: load shards (raw time series or DCAE features),
/// centre and normalise the signals, learn the dictionary, code every voxel, bring the atoms
/// to signal space by least squares, orient and score them against the task design, and write
/// the BIDS-derivative decomposition: `_desc-<label>_mixing.tsv`, one
/// `_desc-<label>_components.nii.gz` per input run, `_desc-<label>_decomposition.json`.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "dict/decomposition.h"
#include "dict/online_dictionary.h"

namespace dcae::dict {

enum class SignalSource { kRaw, kFeatures };

struct DictlearnOptions {
  std::vector<std::filesystem::path> shards;   ///< raw time-series or feature shards (one per run)
  std::vector<std::filesystem::path> signals;  ///< for features: the raw shards, same order
  std::filesystem::path events;                ///< events.tsv or EV folder; empty: no scoring
  std::filesystem::path output_dir;
  std::string prefix;                          ///< file-name prefix; empty: from the inputs
  std::string label;                           ///< desc label; empty: rawodl / dcaeodl
  DictionaryOptions dictionary;
};

/// What the model-side step (the decoder) gets to see.
struct LearnedDecomposition {
  SignalSource source = SignalSource::kRaw;
  Eigen::MatrixXf atoms;     ///< m × K in the learned space (features or time), oriented
  Eigen::MatrixXf codes;     ///< K × n, every voxel of every shard, in shard order
  Eigen::VectorXf column_mean, column_norm;  ///< per voxel, before centring/normalising
  std::vector<std::int64_t> shard_offsets;   ///< first column of each shard (+ total at the end)
  std::vector<std::filesystem::path> signal_shards;  ///< raw shards (features' sources)
};

/// Optional step that brings feature atoms to time through the decoder: returns T × K.
using DecoderHook = std::function<Eigen::MatrixXf(const LearnedDecomposition&)>;

/// What was written.
struct DictlearnResult {
  std::filesystem::path mixing, decomposition;
  std::vector<std::filesystem::path> components;
  std::vector<ConditionScore> scores, decoder_scores;
  double objective = 0.0;
  nlohmann::json record;  ///< the decomposition.json content
};

/// Runs everything and writes the outputs (each atomically).
DictlearnResult run_dictlearn(const DictlearnOptions& options, const DecoderHook& decoder = {});

/// Writes temporal atoms (T × K) as a tsv with columns <label>_000, <label>_001, ...
void write_mixing_tsv(const std::filesystem::path& path, const std::string& label,
                      const Eigen::Ref<const Eigen::MatrixXf>& mixing);

}  // namespace dcae::dict
