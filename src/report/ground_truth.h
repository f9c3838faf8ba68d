#pragma once
/// \file ground_truth.h
/// Comparing results with the networks a simulation planted (dcae-simulate's ground truth,
/// `<raw dataset>/derivatives/groundtruth`): each run's true network maps and the conditions
/// that drive them; how an atom's spatial map matches its planted network; and whether the
/// planted networks survive preprocessing (their cores' mean series against the design).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "report/mosaic.h"

namespace dcae::report {

/// A planted network of one run.
struct PlantedNetwork {
  std::string name, condition; ///< condition "" for networks without task
  Volume3 map;                 ///< peak 1, 0 outside the brain
};

/// The ground truth of one run.
struct GroundTruthRun {
  std::filesystem::path components; ///< the maps file it came from
  std::vector<PlantedNetwork> networks;
  /// The network driven by `condition` (nullptr if none).
  const PlantedNetwork* of_condition(const std::string& condition) const;
};

/// The folder of dcae-simulate's ground truth for a derivatives folder: `given` when not
/// empty (it must exist), else `<raw>/derivatives/groundtruth` of the raw dataset that the
/// derivatives' dataset_description.json links (DatasetLinks, or a file:// URL in
/// SourceDatasets), when it exists.
std::optional<std::filesystem::path> find_ground_truth(const std::filesystem::path& derivatives_dir,
                                                       const std::filesystem::path& given = {});

/// The ground truth of run `run` ("sub-01_task-motor_run-01") under `root`
/// (sub-<label>/[ses-<label>/]func/<run>_desc-groundtruth_components.{nii.gz,json}); nullopt
/// when absent. Throws input_error naming the file when it is malformed.
std::optional<GroundTruthRun> read_ground_truth(const std::filesystem::path& root,
                                                const std::string& run);

/// How an atom's spatial map matches a planted network.
struct MapMatch {
  double spatial_r = 0.0;     ///< Pearson r of the two maps over the mask
  double dice = 0.0;          ///< Dice of {map ≥ half its peak} and {planted ≥ kCoreLevel}
  double planted_at_peak = 0; ///< the planted map's value at the atom map's peak
  bool peak_inside() const;   ///< planted_at_peak ≥ kInsideLevel
};

/// Planted-map level of a network's core (cores for Dice and for the mean series).
inline constexpr double kCoreLevel = 0.5;
/// Planted-map level above which a voxel counts as inside the network.
inline constexpr double kInsideLevel = 0.25;

/// Compares `map` (oriented: the network shows positive) with `planted` over `mask` (> 0;
/// an empty mask: every voxel). Same grid (else input_error).
MapMatch compare_map(const Volume3& map, const Volume3& planted, const Volume3& mask);

/// Voxels of a planted network's core: planted ≥ kCoreLevel (and in `mask` when not empty).
std::vector<std::size_t> core_voxels(const Volume3& planted, const Volume3& mask);

} // namespace dcae::report
