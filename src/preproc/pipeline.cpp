#include "preproc/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "dcae/version.h"
#include "io/bids_layout.h"
#include "io/derivatives.h"
#include "io/json.h"
#include "io/motion_params.h"
#include "io/shard.h"
#include "preproc/intensity.h"
#include "preproc/slice_timing.h"
#include "preproc/smoothing.h"
#include "preproc/temporal_filter.h"
#include "preproc/tissue.h"

namespace fs = std::filesystem;

namespace dcae::preproc {
namespace {

/// FNV-1a 64 of a file's bytes, as hex.
std::string file_hash(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw input_error(p.string() + ": cannot read");
  std::uint64_t h = 1469598103934665603ULL;
  std::vector<char> buf(1 << 20);
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(f.gcount());
    for (std::size_t i = 0; i < n; ++i) {
      h ^= static_cast<unsigned char>(buf[i]);
      h *= 1099511628211ULL;
    }
  }
  std::ostringstream s;
  s << std::hex << std::setw(16) << std::setfill('0') << h;
  return s.str();
}

std::optional<fs::path> find_bids_root(const fs::path& bold) {
  fs::path dir = fs::absolute(bold).parent_path();
  for (int up = 0; up < 5 && !dir.empty() && dir != dir.root_path();
       ++up, dir = dir.parent_path()) {
    if (fs::exists(dir / "dataset_description.json")) return dir;
  }
  return std::nullopt;
}

void read_sidecar(const fs::path& json, RunInput& run) {
  const nlohmann::json j = io::read_json(json);
  if (j.contains("RepetitionTime")) {
    if (!j["RepetitionTime"].is_number() || !(j["RepetitionTime"].get<double>() > 0)) {
      throw input_error(json.string() + ": RepetitionTime must be a positive number");
    }
    run.repetition_time_s = j["RepetitionTime"].get<double>();
  }
  if (j.contains("SliceTiming")) {
    if (!j["SliceTiming"].is_array())
      throw input_error(json.string() + ": SliceTiming must be a list of numbers");
    run.slice_timing_s.clear();
    for (const auto& v : j["SliceTiming"]) {
      if (!v.is_number())
        throw input_error(json.string() + ": SliceTiming must be a list of numbers");
      run.slice_timing_s.push_back(v.get<double>());
    }
  }
  run.sidecars.push_back(json);
}

std::string tsv_number(double v) {
  if (!std::isfinite(v)) return "n/a";
  std::ostringstream s;
  s << std::setprecision(8) << v;
  return s.str();
}

} // namespace

nlohmann::json PreprocOptions::to_json() const {
  const char* ref = motion.reference == ReferenceMode::kMean    ? "mean"
                    : motion.reference == ReferenceMode::kIndex ? "index"
                                                                : "middle";
  return {{"motion_correction", motion_correction},
          {"reference", ref},
          {"reference_volume", motion.reference_index},
          {"interpolation", motion.interpolation == Interpolation::kBSpline ? "bspline" : "linear"},
          {"slice_timing", slice_timing},
          {"mask_fraction", mask.fraction},
          {"mask_dilations", mask.dilations},
          {"fwhm_mm", fwhm_mm},
          {"grand_mean", grand_mean},
          {"highpass_s", highpass_s},
          {"shard", write_shard},
          {"motion_regressors", motion_regressors},
          {"tissue_regressors", tissue_regressors},
          {"template", template_image.string()},
          {"template_space", template_image.empty() ? "" : template_space}};
}

RunInput resolve_run(const fs::path& bold, const std::optional<fs::path>& sidecar) {
  if (!fs::is_regular_file(bold)) throw input_error(bold.string() + ": no such file");
  RunInput run;
  run.bold = fs::absolute(bold).lexically_normal();
  const std::string name = run.bold.filename().string();
  const io::ParsedName parsed = io::parse_bids_name(name);
  if (parsed.entities.count("sub")) {
    run.entities = parsed.entities;
  } else if (starts_with(name, "tfMRI_")) {
    // HCP: <subject>/MNINonLinear/Results/tfMRI_<TASK>_<DIR>/tfMRI_<TASK>_<DIR>.nii.gz
    const auto parts = split(name.substr(0, name.find('.')), '_');
    fs::path p = run.bold.parent_path();
    for (int i = 0; i < 3 && p.has_parent_path(); ++i) p = p.parent_path();
    if (parts.size() != 3 || p.filename().empty()) {
      throw input_error(bold.string() + ": cannot tell participant and task from an HCP name");
    }
    run.entities = {
        {"sub", p.filename().string()}, {"task", to_lower(parts[1])}, {"dir", parts[2]}};
  } else {
    throw input_error(bold.string() + ": not a BIDS name (sub-<label>_..._bold.nii[.gz]) or an "
                                      "HCP tfMRI_<TASK>_<DIR> run");
  }
  if (sidecar) {
    read_sidecar(*sidecar, run);
  } else if (const auto root = find_bids_root(run.bold); root && parsed.entities.count("sub")) {
    const io::BidsLayout layout = io::BidsLayout::open(*root);
    for (const auto& r : layout.runs()) {
      if (fs::absolute(r.bold).lexically_normal() != run.bold) continue;
      run.repetition_time_s = r.repetition_time_s;
      run.slice_timing_s = r.slice_timing_s;
      run.sidecars = r.sidecars;
    }
  } else {
    fs::path beside = run.bold;
    beside.replace_filename(name.substr(0, name.find('.')) + ".json");
    if (fs::exists(beside)) read_sidecar(beside, run);
  }
  return run;
}

namespace {

/// Where a run's outputs go (BIDS-derivative names).
PreprocOutputs output_paths(const RunInput& run, const PreprocOptions& opt,
                            const fs::path& out_root) {
  PreprocOutputs out;
  auto deriv = [&](std::map<std::string, std::string> add, const std::string& suffix,
                   const std::string& ext) {
    return io::derivative_path(out_root, run.entities, add, suffix, ext);
  };
  const bool to_template = !opt.template_image.empty();
  const std::string space = to_template ? opt.template_space : "";
  out.bold = deriv({{"space", space}, {"desc", "preproc"}}, "bold", ".nii.gz");
  out.bold_sidecar = deriv({{"space", space}, {"desc", "preproc"}}, "bold", ".json");
  out.filtered = deriv({{"space", space}, {"desc", "filtered"}}, "bold", ".nii.gz");
  out.filtered_sidecar = deriv({{"space", space}, {"desc", "filtered"}}, "bold", ".json");
  out.mask = deriv({{"space", space}, {"desc", "brain"}}, "mask", ".nii.gz");
  out.mask_sidecar = deriv({{"space", space}, {"desc", "brain"}}, "mask", ".json");
  out.confounds = deriv({{"desc", "confounds"}}, "timeseries", ".tsv");
  out.confounds_sidecar = deriv({{"desc", "confounds"}}, "timeseries", ".json");
  if (opt.write_shard)
    out.shard = io::shard_path(out_root / "shards",
                               io::run_name(run.entities) + (to_template ? "_space-" + space : ""),
                               "preproc");
  return out;
}

/// Inputs' hashes, parameters and version: what makes two runs' outputs the same.
nlohmann::json provenance_of(const RunInput& run, const PreprocOptions& opt) {
  nlohmann::json inputs = nlohmann::json::array();
  inputs.push_back({{"path", run.bold.string()}, {"fnv1a64", file_hash(run.bold)}});
  for (const auto& s : run.sidecars)
    inputs.push_back({{"path", s.string()}, {"fnv1a64", file_hash(s)}});
  if (!opt.template_image.empty())
    inputs.push_back(
        {{"path", opt.template_image.string()}, {"fnv1a64", file_hash(opt.template_image)}});
  return {{"Version", kVersion}, {"Parameters", opt.to_json()}, {"Inputs", inputs}};
}

/// Whether every output exists and the sidecar (written last) records `provenance`.
bool up_to_date(const PreprocOutputs& out, const PreprocOptions& opt,
                const nlohmann::json& provenance) {
  for (const fs::path* p : {&out.bold_sidecar, &out.bold, &out.filtered, &out.filtered_sidecar,
                            &out.mask, &out.mask_sidecar, &out.confounds})
    if (!fs::exists(*p)) return false;
  if (opt.write_shard && !fs::exists(out.shard)) return false;
  try {
    return io::read_json(out.bold_sidecar).value("DcaeProvenance", nlohmann::json()) == provenance;
  } catch (const Error&) {
    return false; // an unreadable old sidecar: redo the run
  }
}

/// The run read and checked: 4-D, finite, with a TR, SliceTiming that fits.
struct LoadedRun {
  io::Image bold;
  double tr = 0;
  int slice_axis = 2;
  bool slice_timing = false; ///< slice-timing correction will run
};

LoadedRun load_run(const RunInput& run, const PreprocOptions& opt) {
  const std::string name = run.bold.string();
  io::ImageRequirements req;
  req.min_ndim = 4;
  req.min_volumes = 2;
  LoadedRun r{io::Image::read(run.bold, req)};
  if (const auto bad = r.bold.count_nonfinite(); bad > 0)
    throw input_error(name + ": " + std::to_string(bad) + " voxel values are NaN or infinite");
  r.tr = r.bold.header().tr_s;
  if (run.repetition_time_s) {
    if (r.tr > 0 && std::fabs(r.tr - *run.repetition_time_s) > 0.01 * *run.repetition_time_s)
      log::warn(name, ": header TR ", r.tr, " s differs from the sidecar's RepetitionTime ",
                *run.repetition_time_s, " s; using the sidecar");
    r.tr = *run.repetition_time_s;
  }
  if (!(r.tr > 0))
    throw input_error(
        name + ": no repetition time (header pixdim[4] is 0 and no sidecar gives RepetitionTime)");
  r.bold.header().tr_s = r.tr;
  const int slice_dim = r.bold.header().slice_dim;
  r.slice_axis = slice_dim >= 1 && slice_dim <= 3 ? slice_dim - 1 : 2;
  r.slice_timing = opt.slice_timing && !run.slice_timing_s.empty();
  if (!r.slice_timing) return r;
  const std::string src = run.sidecars.empty() ? name : run.sidecars.back().string();
  const auto slices = r.bold.header().dim[static_cast<std::size_t>(r.slice_axis)];
  if (static_cast<std::int64_t>(run.slice_timing_s.size()) != slices)
    throw input_error(src + ": SliceTiming has " + std::to_string(run.slice_timing_s.size()) +
                      " entries but " + name + " has " + std::to_string(slices) + " slices");
  for (double st : run.slice_timing_s)
    if (!(st >= 0 && st < r.tr))
      throw input_error(src + ": SliceTiming value " + std::to_string(st) +
                        " s is outside [0, TR)");
  return r;
}

/// What the steps produce besides the corrected run.
struct Processed {
  std::vector<io::MotionParams> motion;
  std::int64_t reference_index = -1; ///< -1: no motion correction
  std::vector<std::uint8_t> mask;
  std::vector<double> dvars;
  /// Mean series of the brain mask and of its white-matter and CSF classes (before smoothing).
  std::vector<double> global_signal, white_matter, csf;
  std::size_t white_matter_voxels = 0, csf_voxels = 0;
  double scale = 1.0;
  std::optional<AffineMap> to_space;
};

/// Wall time of the steps of a run, for the log: mark(name) closes the step that began at the
/// previous mark.
class StepTimes {
public:
  void mark(const std::string& step) {
    const auto now = std::chrono::steady_clock::now();
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << std::chrono::duration<double>(now - last_).count();
    parts_ += (parts_.empty() ? "" : ", ") + step + " " + s.str();
    last_ = now;
  }
  const std::string& summary() const { return parts_; }

private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::string parts_;
};

/// FEAT's steps in FEAT's order, on r.bold in place. `write_preproc` receives the run
/// motion-corrected and slice-timed (in the output space), before smoothing.
Processed run_steps(LoadedRun& r, const RunInput& run, const PreprocOptions& opt,
                    const std::function<void(const io::Image&)>& write_preproc) {
  io::Image& bold = r.bold;
  Processed p;
  StepTimes times;
  p.motion.assign(static_cast<std::size_t>(bold.nt()), io::MotionParams{});
  // 1–2. Motion correction to the reference volume.
  if (opt.motion_correction) {
    auto mc = motion_correct(bold, opt.motion);
    p.motion = mc.params;
    p.reference_index = mc.reference_index;
    times.mark("motion correction");
  }
  // 3. Slice timing to the middle of the TR.
  if (r.slice_timing) {
    slice_timing_correct(bold, run.slice_timing_s, r.slice_axis, r.tr);
    times.mark("slice timing");
  } else {
    log::info(run.bold.filename().string(), ": no SliceTiming",
              opt.slice_timing ? " in the metadata" : " (switched off)",
              ", slice-timing correction skipped");
  }
  // 4. Brain mask from the mean of the corrected run.
  const auto mean = temporal_mean(bold);
  p.mask = brain_mask(bold.header(), mean, opt.mask);
  p.dvars = dvars(bold, p.mask);
  const TissueMasks tissues = split_tissues(bold.header(), mean, p.mask);
  p.global_signal = mask_mean_series(bold, p.mask);
  p.white_matter = mask_mean_series(bold, tissues.white_matter);
  p.csf = mask_mean_series(bold, tissues.csf);
  p.white_matter_voxels = static_cast<std::size_t>(
      std::count(tissues.white_matter.begin(), tissues.white_matter.end(), 1));
  p.csf_voxels = static_cast<std::size_t>(std::count(tissues.csf.begin(), tissues.csf.end(), 1));
  times.mark("mask and tissue signals");
  // Optional: 12-DOF affine registration of the mean image to the template; the outputs are
  // resampled into the template's grid.
  std::optional<io::ImageHeader> template_grid;
  std::vector<std::uint8_t> out_mask = p.mask;
  if (!opt.template_image.empty()) {
    io::ImageRequirements three_d;
    three_d.max_ndim = 3;
    const io::Image templ = io::Image::read(opt.template_image, three_d);
    p.to_space = register_to_template(bold.header(), mean, templ);
    out_mask = resample_mask(bold.header(), p.mask, *p.to_space, templ.header());
    template_grid = templ.header();
    times.mark("template registration");
    write_preproc(resample_run(bold, *p.to_space, *template_grid));
  } else {
    write_preproc(bold);
  }
  times.mark("writing the preprocessed run");
  // 5–7. Smoothing in the mask, grand-mean scaling, high-pass filter.
  smooth(bold, p.mask, opt.fwhm_mm);
  times.mark("smoothing");
  if (opt.grand_mean > 0) p.scale = grand_mean_scale(bold, p.mask, opt.grand_mean);
  if (opt.highpass_s > 0) highpass_filter(bold, opt.highpass_s);
  times.mark("scaling and high-pass");
  if (template_grid) bold = resample_run(bold, *p.to_space, *template_grid);
  p.mask = std::move(out_mask);
  const auto nvox = static_cast<std::size_t>(bold.header().voxels_per_volume());
  for (std::int64_t t = 0; t < bold.nt(); ++t) {
    float* v = bold.volume(t);
    for (std::size_t i = 0; i < nvox; ++i)
      if (!p.mask[i]) v[i] = 0.f;
  }
  log::info(run.bold.filename().string(), ": seconds per step: ", times.summary());
  return p;
}

/// The confounds' columns beyond motion, FD and DVARS: tissue signals and the high-pass's
/// cosine basis, by fMRIPrep's names.
std::vector<std::pair<std::string, std::vector<double>>>
extra_confounds(const Processed& p, double tr_s, double highpass_s) {
  std::vector<std::pair<std::string, std::vector<double>>> cols = {
      {"global_signal", p.global_signal}, {"csf", p.csf}, {"white_matter", p.white_matter}};
  const auto cosines = cosine_basis(static_cast<std::int64_t>(p.motion.size()), tr_s, highpass_s);
  for (std::size_t k = 0; k < cosines.size(); ++k) {
    char name[16];
    std::snprintf(name, sizeof name, "cosine%02zu", k);
    cols.emplace_back(name, cosines[k]);
  }
  return cols;
}

std::string confounds_tsv(const Processed& p, double tr_s, double highpass_s) {
  const auto fd = io::framewise_displacement(p.motion);
  const auto extra = extra_confounds(p, tr_s, highpass_s);
  std::ostringstream tsv;
  for (const char* c : io::kMotionColumns) tsv << c << '\t';
  tsv << "framewise_displacement\tdvars";
  for (const auto& [name, col] : extra) tsv << '\t' << name;
  tsv << '\n';
  for (std::size_t t = 0; t < p.motion.size(); ++t) {
    for (double v : p.motion[t]) tsv << tsv_number(v) << '\t';
    tsv << (t ? tsv_number(fd[t]) : "n/a") << '\t' << (t ? tsv_number(p.dvars[t]) : "n/a");
    for (const auto& [name, col] : extra) tsv << '\t' << tsv_number(col[t]);
    tsv << '\n';
  }
  return tsv.str();
}

nlohmann::json confounds_sidecar(const Processed& p, double tr_s, double highpass_s) {
  nlohmann::json cj;
  cj["global_signal"] = {
      {"Description", "Mean over the brain mask of each volume, motion-corrected and slice-timed "
                      "(before smoothing and scaling)"},
      {"Units", "arbitrary (input intensity)"}};
  cj["white_matter"] = {
      {"Description",
       "Mean of the white-matter voxels: the darkest of three intensity classes of the mean "
       "EPI in the brain mask (k-means), eroded once; from the EPI alone (no anatomical image)"},
      {"Voxels", p.white_matter_voxels},
      {"Units", "arbitrary (input intensity)"}};
  cj["csf"] = {{"Description", "Mean of the CSF voxels: the brightest of three intensity classes "
                               "of the mean EPI in the brain mask (k-means), away from the "
                               "mask's edge; from the EPI alone (no anatomical image)"},
               {"Voxels", p.csf_voxels},
               {"Units", "arbitrary (input intensity)"}};
  const auto cosines = cosine_basis(static_cast<std::int64_t>(p.motion.size()), tr_s, highpass_s);
  for (std::size_t k = 0; k < cosines.size(); ++k) {
    char name[16];
    std::snprintf(name, sizeof name, "cosine%02zu", k);
    cj[name] = {{"Description", "Discrete cosine basis function " + std::to_string(k + 1) +
                                    " of the " + tsv_number(highpass_s) +
                                    " s high-pass (for models; the data are already high-passed "
                                    "with fslmaths -bptf)"},
                {"Units", "arbitrary"}};
  }
  for (int a = 0; a < 3; ++a) {
    cj[io::kMotionColumns[a]] = {{"Description", std::string("Translation along ") + "xyz"[a] +
                                                     ", relative to the reference volume"},
                                 {"Units", "mm"}};
    cj[io::kMotionColumns[a + 3]] = {
        {"Description",
         std::string("Rotation about ") + "xyz"[a] +
             " (R = Rz*Rx*Ry about the grid centre), relative to the reference volume"},
        {"Units", "degrees"}};
  }
  cj["framewise_displacement"] = {
      {"Description", "Framewise displacement (Power et al. 2012), rotations on a 50 mm sphere"},
      {"Units", "mm"}};
  cj["dvars"] = {
      {"Description",
       "DVARS: RMS over the brain mask of the volume-to-volume change of the motion-corrected data "
       "(before smoothing and scaling)"},
      {"Units", "arbitrary (input intensity)"}};
  cj["ReferenceVolume"] =
      p.reference_index >= 0 ? nlohmann::json(p.reference_index) : nlohmann::json("mean");
  return cj;
}

/// The sidecars of the two BOLD series and the mask. `preproc` is the unsmoothed series (it
/// carries the provenance and is written last); the others name it as their source.
struct Sidecars {
  nlohmann::json preproc, filtered, mask;
};

Sidecars sidecars(const LoadedRun& r, const Processed& p, const RunInput& run,
                  const PreprocOptions& opt, const PreprocOutputs& out,
                  const nlohmann::json& provenance) {
  const fs::path raw_root = io::enclosing_dataset(run.bold);
  const std::string raw = io::source_uri(run.bold, raw_root);
  // Within this derivative dataset, a BIDS URI with the empty dataset name.
  const fs::path root = out.bold.parent_path().parent_path().parent_path();
  auto here = [&](const fs::path& f) {
    fs::path rel = f.lexically_relative(root);
    if (!rel.empty() && rel.begin()->string().rfind("ses-", 0) == 0) // sub-*/ses-*/func
      rel = f.lexically_relative(root.parent_path());
    return "bids::" + rel.generic_string();
  };
  const std::string preproc_uri = here(out.bold);
  nlohmann::json common = {{"RepetitionTime", r.tr},
                           {"SkullStripped", false},
                           {"SliceTimingCorrected", r.slice_timing},
                           {"StartTime", r.slice_timing ? r.tr / 2 : 0.0}};
  Sidecars sc;
  sc.preproc = common;
  sc.preproc["Description"] =
      std::string(opt.motion_correction ? "Motion-corrected" : "Not motion-corrected") +
      (r.slice_timing ? ", slice-timing corrected" : "") +
      "; not smoothed, scaled or filtered (the series fMRIPrep calls preproc)";
  sc.preproc["Sources"] = nlohmann::json::array({raw});
  sc.preproc["DcaeProvenance"] = provenance;
  sc.filtered = common;
  sc.filtered["Description"] =
      "The preproc series smoothed within the brain mask, grand-mean scaled and high-pass "
      "filtered as FSL FEAT's filtered_func_data (what the time-series shard comes from)";
  sc.filtered["Sources"] = nlohmann::json::array({preproc_uri, here(out.mask)});
  sc.filtered["RawSources"] = nlohmann::json::array({raw});
  sc.filtered["SmoothingFWHM"] = opt.fwhm_mm;
  sc.filtered["GrandMeanScaleFactor"] = p.scale;
  sc.filtered["GrandMeanTarget"] = opt.grand_mean;
  sc.filtered["HighPassCutoff"] = opt.highpass_s;
  sc.mask = {{"Type", "Brain"},
             {"Description", "Brain mask from the mean of the preproc series (threshold at p2 + " +
                                 tsv_number(opt.mask.fraction) +
                                 " of the p2..p98 range, largest component, holes filled, " +
                                 std::to_string(opt.mask.dilations) + " dilation(s))"},
             {"Sources", nlohmann::json::array({preproc_uri})},
             {"RawSources", nlohmann::json::array({raw})}};
  if (p.to_space) {
    nlohmann::json m = nlohmann::json::array();
    for (const auto& row : p.to_space->matrix) m.push_back(row);
    const nlohmann::json transform = {
        {"Description", "affine map of world points (mm) from the template to the run: "
                        "p_run = Matrix * p_template + Offset"},
        {"Matrix", m},
        {"Offset", p.to_space->offset}};
    for (nlohmann::json* j : {&sc.preproc, &sc.filtered, &sc.mask}) {
      (*j)["SpatialReference"] = opt.template_image.string();
      (*j)["TemplateTransform"] = transform;
    }
  }
  return sc;
}

std::vector<std::vector<float>> as_float(const std::vector<std::vector<double>>& columns) {
  std::vector<std::vector<float>> f;
  for (const auto& c : columns) f.emplace_back(c.begin(), c.end());
  return f;
}

/// Writes every output under a temporary name, then renames them into place together, the
/// preproc sidecar (which marks a complete run) last. The preproc series itself was written to
/// its temporary name by run_steps. The shard (with its own sidecar, each atomic) is written
/// first: a run cut short leaves no sidecar, so it is redone.
void write_outputs(const PreprocOutputs& out, AtomicOutput& preproc, const LoadedRun& r,
                   const Processed& p, const RunInput& run, const PreprocOptions& opt,
                   const nlohmann::json& provenance) {
  if (opt.write_shard) {
    // Nuisance regression: the motion estimates, filtered with the data's high-pass, out of
    // every series before it is z-scored (only when motion was estimated).
    NuisanceRegressors nr =
        motion_regressors(p.motion, p.reference_index >= 0 ? opt.motion_regressors : 0);
    if (opt.tissue_regressors) // with as few voxels as they have, still the tissue's signal
      for (const auto* c : {&p.white_matter, &p.csf})
        if (std::all_of(c->begin(), c->end(), [](double v) { return std::isfinite(v); })) {
          nr.names.push_back(c == &p.csf ? "csf" : "white_matter");
          nr.columns.push_back(*c);
        } else {
          log::warn(run.bold.filename().string(), ": no ", c == &p.csf ? "CSF" : "white-matter",
                    " voxels were found, so that regressor is left out");
        }
    if (opt.highpass_s > 0)
      for (auto& c : nr.columns)
        c = highpass_filter(c, highpass_sigma_volumes(opt.highpass_s, r.tr));
    const NuisanceBasis basis(nr.columns, r.bold.nt());
    ShardData sd = extract_shard(r.bold, p.mask, &basis);
    sd.info.source = run.bold.string();
    sd.info.mask = out.mask.string();
    // What a scorer needs to compare the series with a task design as FEAT does: the time each
    // volume represents (StartTime, as in the BOLD sidecar) and the high-pass applied.
    sd.info.provenance = {{"Steps", "dcae-preproc"},
                          {"Parameters", opt.to_json()},
                          {"SliceTimingCorrected", r.slice_timing},
                          {"StartTime", r.slice_timing ? r.tr / 2 : 0.0},
                          {"HighPassCutoff", opt.highpass_s},
                          {"NuisanceRegressors", nr.names},
                          {"NuisanceRegressorsFiltered", opt.highpass_s > 0},
                          // As regressed out (float precision), so that a scorer can take them
                          // out of the task design too.
                          {"NuisanceColumns", as_float(nr.columns)},
                          {"NuisanceRank", basis.rank()},
                          {"Version", kVersion}};
    fs::create_directories(out.shard.parent_path());
    io::write_shard(out.shard, sd.data, sd.info);
  }
  AtomicOutput filtered(out.filtered), filtered_json(out.filtered_sidecar), mask(out.mask),
      mask_json(out.mask_sidecar), confounds(out.confounds), confounds_json(out.confounds_sidecar),
      bold_json(out.bold_sidecar);
  r.bold.write(filtered.temp_path());
  io::Image mask_img(r.bold.header());
  mask_img.header().dim[3] = 1;
  mask_img.data().assign(p.mask.begin(), p.mask.end());
  mask_img.write(mask.temp_path(), {io::StoredType::kUInt8, 1});
  write_file_atomic(confounds.temp_path(), confounds_tsv(p, r.tr, opt.highpass_s));
  io::write_json(confounds_json.temp_path(), confounds_sidecar(p, r.tr, opt.highpass_s));
  const Sidecars sc = sidecars(r, p, run, opt, out, provenance);
  io::write_json(filtered_json.temp_path(), sc.filtered);
  io::write_json(mask_json.temp_path(), sc.mask);
  io::write_json(bold_json.temp_path(), sc.preproc);
  commit_all({&preproc, &filtered, &filtered_json, &mask, &mask_json, &confounds, &confounds_json,
              &bold_json});
  log::info(run.bold.filename().string(), ": wrote ", out.bold.string(), " and ",
            out.filtered.filename().string());
}

} // namespace

PreprocOutputs preprocess_run(const RunInput& run, const PreprocOptions& opt,
                              const fs::path& out_root) {
  PreprocOutputs out = output_paths(run, opt, out_root);
  const nlohmann::json provenance = provenance_of(run, opt);
  if (!opt.force && up_to_date(out, opt, provenance)) {
    log::info(run.bold.filename().string(),
              ": outputs are up to date, skipped (use --force to redo)");
    out.skipped = true;
    return out;
  }
  LoadedRun r = load_run(run, opt);
  for (const fs::path* f : {&out.bold, &out.filtered, &out.mask, &out.confounds})
    fs::create_directories(f->parent_path());
  AtomicOutput preproc(out.bold);
  const Processed p =
      run_steps(r, run, opt, [&](const io::Image& img) { img.write(preproc.temp_path()); });
  write_outputs(out, preproc, r, p, run, opt, provenance);
  return out;
}

} // namespace dcae::preproc
