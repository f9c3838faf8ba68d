#pragma once
/// \file simulator.h
/// dcae's embedded dataset: simulated HCP-MOTOR-like task fMRI with known ground truth,
/// written as a BIDS dataset or in the HCP layout.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/events.h"
#include "io/nifti.h"
#include "sim/anatomy.h"
#include "sim/motion.h"

namespace dcae::sim {

enum class Layout { kBids, kHcp };
enum class SliceOrder { kNone, kAscending, kDescending, kInterleaved };

/// Everything that defines a simulated dataset. Same config and seed → same dataset,
/// whatever the number of threads.
struct SimulationConfig {
  std::uint64_t seed = 1;
  int subjects = 2;
  int runs = 1;
  std::array<std::int64_t, 3> grid{40, 48, 36};
  std::array<double, 3> voxel_mm{4.0, 4.0, 4.0};
  double tr_s = 0.72;
  std::int64_t volumes = 284;
  double tsnr = 60.0;          ///< temporal SNR of grey matter (mean / noise SD)
  double signal_pct = 3.0;     ///< BOLD change at a network's peak (% of baseline)
  double motion_mm = 1.0;      ///< translation scale (mm); 0 = no motion
  double motion_deg = 1.0;     ///< rotation scale (degrees)
  int spikes = 2;              ///< sudden one-volume movements per run
  double drift_pct = 1.0;      ///< slow drift amplitude (% of baseline)
  double ar_coefficient = 0.3; ///< AR(1) coefficient of physiological noise
  SliceOrder slice_order = SliceOrder::kNone;
  Layout layout = Layout::kBids;
  std::string task = "motor";
};

/// Ground truth and data of one simulated run.
struct SimulatedRun {
  io::Image bold; ///< 4-D, float
  io::Events events;
  std::vector<MotionParams> motion; ///< per volume, relative to the middle volume
  std::vector<Network> networks;
  std::vector<std::vector<double>> network_timecourses; ///< [network][volume], at t = i·TR
  std::vector<double> slice_timing_s;                   ///< empty unless slice timing is simulated
  std::vector<std::uint8_t> brain;                      ///< true brain mask
};

/// Slice acquisition times (s) of `n_slices` slices in [0, TR).
std::vector<double> slice_times(SliceOrder order, std::int64_t n_slices, double tr_s);

/// Simulates run `run` (0-based) of subject `subject` (0-based).
SimulatedRun simulate_run(const SimulationConfig& cfg, int subject, int run);

/// Simulates the whole dataset into `out`: written in a temporary folder beside it and
/// renamed at the end, so `out` is complete or absent. `out` must not exist unless
/// `overwrite`, in which case the old folder is replaced.
void simulate_dataset(const SimulationConfig& cfg, const std::filesystem::path& out,
                      bool overwrite = false);

/// Subject label of subject `s` (0-based): "01", "02"... (BIDS) or "100001"... (HCP).
std::string subject_label(const SimulationConfig& cfg, int s);

/// Checks a configuration; throws usage_error naming the bad setting.
void validate(const SimulationConfig& cfg);

} // namespace dcae::sim
