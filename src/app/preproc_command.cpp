#include "app/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "io/derivatives.h"
#include "preproc/pipeline.h"

namespace dcae::app {
namespace {

class PreprocCommand final : public Command {
public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-preproc";
    u.summary = "FEAT-equivalent preprocessing of one BOLD run, with BIDS-derivative outputs";
    u.description =
        "Motion correction (rigid, ITK v4 registration to the reference volume), slice-timing\n"
        "correction from SliceTiming, brain mask from the mean image (p2 + 10% of the p2..p98\n"
        "range, largest component, holes filled, dilated), Gaussian smoothing in the mask,\n"
        "grand-mean scaling to a median of 10000, high-pass filtering as fslmaths -bptf; then\n"
        "the in-mask time series as a shard (.npy + .json), with the motion parameters\n"
        "(high-passed like the data) regressed out and z-scored. Metadata comes from\n"
        "--sidecar, else the BIDS dataset around the file (inheritance), else <stem>.json.\n"
        "Writes <out>/sub-*/func/*_desc-preproc_bold.nii.gz (motion- and slice-timing-corrected,\n"
        "not smoothed: fMRIPrep's), *_desc-filtered_bold.nii.gz (smoothed, scaled, high-passed:\n"
        "FEAT's filtered_func_data), *_desc-brain_mask.nii.gz, each with a JSON sidecar,\n"
        "*_desc-confounds_timeseries.tsv (+ .json) and "
        "<out>/shards/*_desc-preproc_timeseries.npy.\n"
        "An identical re-run (same inputs, parameters and version) is skipped.";
    auto arg = [&](std::string name, ArgKind kind, std::string help,
                   std::string group = "Options") -> Argument& {
      return add_argument(u, std::move(name), kind, std::move(help), std::move(group));
    };
    auto& bold = arg("bold", ArgKind::kInputFile, "the run's 4-D BOLD image (.nii or .nii.gz)");
    bold.positional = bold.required = true;
    auto& out = arg("output_dir", ArgKind::kOutputDir, "derivatives folder to write into");
    out.positional = out.required = true;
    arg("sidecar", ArgKind::kInputFile, "JSON sidecar with RepetitionTime / SliceTiming")
        .value_name = "JSON";
    auto& ref =
        arg("reference", ArgKind::kChoice, "motion-correction reference", "Motion correction");
    ref.choices = {"middle", "mean", "index"};
    ref.default_value = "middle";
    auto& refv = arg("reference-volume", ArgKind::kInt,
                     "reference volume with --reference index (0-based)", "Motion correction");
    refv.min = 0;
    auto& interp = arg("interpolation", ArgKind::kChoice,
                       "final interpolation of the corrected volumes", "Motion correction");
    interp.choices = {"linear", "bspline"};
    interp.default_value = "bspline";
    arg("no-motion-correction", ArgKind::kFlag, "skip motion correction", "Motion correction");
    arg("no-slice-timing", ArgKind::kFlag,
        "skip slice-timing correction even when SliceTiming is known", "Steps");
    auto& frac = arg("mask-fraction", ArgKind::kFloat,
                     "brain-mask threshold as a fraction of the p2..p98 range", "Steps");
    frac.default_value = "0.1";
    frac.min = 0;
    frac.max = 1;
    auto& dil = arg("mask-dilations", ArgKind::kInt, "3x3x3 dilations of the brain mask", "Steps");
    dil.default_value = "1";
    dil.min = 0;
    dil.max = 10;
    auto& fwhm = arg("fwhm", ArgKind::kFloat, "smoothing FWHM in mm (0 = off)", "Steps");
    fwhm.default_value = "5";
    fwhm.min = 0;
    fwhm.max = 50;
    fwhm.value_name = "MM";
    auto& gm =
        arg("grand-mean", ArgKind::kFloat, "in-mask median after scaling (0 = off)", "Steps");
    gm.default_value = "10000";
    gm.min = 0;
    auto& hp = arg("highpass", ArgKind::kFloat, "high-pass cutoff in s (0 = off)", "Steps");
    hp.default_value = "100";
    hp.min = 0;
    hp.value_name = "S";
    auto& mr = arg("motion-regressors", ArgKind::kChoice,
                   "motion regressors taken out of the shard's series before z-scoring: 0 "
                   "(none), 6 (the parameters) or 24 (with derivatives and squares)",
                   "Steps");
    mr.choices = {"0", "6", "24"};
    mr.default_value = "6";
    arg("tissue-regressors", ArgKind::kFlag,
        "also take the mean white-matter and CSF series (the confounds' white_matter and csf) "
        "out of the shard's series",
        "Steps");
    arg("no-shard", ArgKind::kFlag, "do not write the time-series shard", "Steps");
    arg("template", ArgKind::kInputFile,
        "register the mean image to this 3-D template (12-DOF affine, "
        "mutual information) and resample the run into its grid",
        "Template")
        .value_name = "NIFTI";
    auto& space =
        arg("template-space", ArgKind::kString, "space- label of the template outputs", "Template");
    space.default_value = "MNI152NLin6Asym";
    arg("force", ArgKind::kFlag, "recompute even if the outputs are up to date");
    u.examples = {
        "dcae-preproc ds/sub-01/func/sub-01_task-motor_run-01_bold.nii.gz out",
        "dcae-preproc --fwhm 6 --highpass 128 --sidecar bold.json sub-01_task-x_bold.nii.gz out"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    preproc::PreprocOptions o;
    o.motion_correction = !a.flag("no-motion-correction");
    const std::string ref = a.string("reference");
    o.motion.reference = ref == "mean"    ? preproc::ReferenceMode::kMean
                         : ref == "index" ? preproc::ReferenceMode::kIndex
                                          : preproc::ReferenceMode::kMiddle;
    if (o.motion.reference == preproc::ReferenceMode::kIndex) {
      if (!a.has("reference-volume"))
        throw usage_error("--reference index needs --reference-volume N");
      o.motion.reference_index = a.integer("reference-volume");
    }
    o.motion.interpolation = a.string("interpolation") == "bspline"
                                 ? preproc::Interpolation::kBSpline
                                 : preproc::Interpolation::kLinear;
    o.slice_timing = !a.flag("no-slice-timing");
    o.mask.fraction = a.number("mask-fraction");
    o.mask.dilations = static_cast<int>(a.integer("mask-dilations"));
    o.fwhm_mm = a.number("fwhm");
    o.grand_mean = a.number("grand-mean");
    o.highpass_s = a.number("highpass");
    o.write_shard = !a.flag("no-shard");
    o.motion_regressors = std::stoi(a.string("motion-regressors"));
    o.tissue_regressors = a.flag("tissue-regressors");
    o.force = a.flag("force");
    if (a.has("template")) {
      o.template_image = a.string("template");
      o.template_space = a.string("template-space");
    }
    std::optional<std::filesystem::path> sidecar;
    if (a.has("sidecar")) sidecar = a.string("sidecar");
    const auto run = preproc::resolve_run(a.string("bold"), sidecar);
    preproc::preprocess_run(run, o, a.string("output_dir"));
    // The output folder is a BIDS-derivative dataset: describe it, linked to the raw dataset
    // the run came from (its sidecars' Sources are BIDS URIs into it), as the BIDS-App does.
    io::write_derivative_description(a.string("output_dir"), io::enclosing_dataset(run.bold));
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> make_preproc_command() {
  return std::make_unique<PreprocCommand>();
}

} // namespace dcae::app
