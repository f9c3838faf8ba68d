#pragma once
/// \file pipeline.h
/// FEAT-equivalent preprocessing of one BOLD run, in FEAT's order: motion correction, slice
/// timing, brain mask, smoothing, grand-mean scaling, high-pass filtering; then the in-mask
/// time series, with the motion regressors taken out and z-scored, as a shard. Outputs in
/// BIDS-derivatives naming, written together (staged, then moved into place), with a provenance
/// record so an identical re-run is skipped.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "preproc/brain_mask.h"
#include "preproc/motion_correction.h"
#include "preproc/template_registration.h"

namespace dcae::preproc {

struct PreprocOptions {
  bool motion_correction = true;
  MotionCorrectionOptions motion;
  bool slice_timing = true; ///< when the run's SliceTiming is known
  BrainMaskOptions mask;
  double fwhm_mm = 5.0;        ///< 0 = no smoothing
  double grand_mean = 10000.0; ///< target in-mask median; 0 = no scaling
  double highpass_s = 100.0;   ///< cutoff (s); 0 = no filter
  bool write_shard = true;
  /// Motion regressors taken out of the shard's series before z-scoring: 0, 6 or 24
  /// (preproc/nuisance.h); only when motion correction ran.
  int motion_regressors = 6;
  /// Also regress out the mean white-matter and CSF series (preproc/tissue.h; off by default:
  /// the tissue split from the EPI alone is coarse).
  bool tissue_regressors = false;
  bool force = false;                             ///< redo even if the outputs are up to date
  std::filesystem::path template_image;           ///< optional: register to it and resample the run
  std::string template_space = "MNI152NLin6Asym"; ///< the space- label of template outputs

  /// The options as JSON (for provenance).
  nlohmann::json to_json() const;
};

/// One run to preprocess: the image and what is known about it.
struct RunInput {
  std::filesystem::path bold;
  std::map<std::string, std::string> entities; ///< BIDS entities (sub, ses, task, run, ...)
  std::optional<double> repetition_time_s;     ///< from the sidecar (wins over the header)
  std::vector<double> slice_timing_s;          ///< from the sidecar; empty if unknown
  std::vector<std::filesystem::path> sidecars; ///< where the metadata came from
};

/// Where the outputs went.
struct PreprocOutputs {
  /// bold: motion-corrected and slice-timed, not smoothed (fMRIPrep's desc-preproc);
  /// filtered: smoothed, scaled and high-passed as FEAT's filtered_func_data (desc-filtered),
  /// what the shard comes from.
  std::filesystem::path bold, bold_sidecar, filtered, filtered_sidecar, mask, mask_sidecar,
      confounds, confounds_sidecar, shard;
  bool skipped = false; ///< up to date: nothing was recomputed
};

/// Resolves a run's metadata: an explicit sidecar; else the BIDS dataset around the file
/// (inheritance); else a JSON beside it with the same stem. Entities from the BIDS name, or the
/// HCP layout (<subject>/.../tfMRI_<TASK>_<DIR>.nii.gz). Throws input_error naming the file.
RunInput resolve_run(const std::filesystem::path& bold,
                     const std::optional<std::filesystem::path>& sidecar = std::nullopt);

/// Preprocesses one run into the derivatives folder `out_root`. Throws input_error naming the
/// file for a bad run (not 4-D, one volume, NaN/Inf values, no TR, SliceTiming of the wrong
/// length); on any error no output is left behind.
PreprocOutputs preprocess_run(const RunInput& run, const PreprocOptions& options,
                              const std::filesystem::path& out_root);

} // namespace dcae::preproc
