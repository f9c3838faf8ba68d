#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>

#include <unistd.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/threads.h"
#include "dcae/version.h"
#include "io/derivatives.h"
#include "io/json.h"
#include "io/task_design.h"
#include "sim/block_design.h"

namespace fs = std::filesystem;

namespace dcae::sim {
namespace {

/// SplitMix64: decorrelated seeds from (seed, a, b).
std::uint64_t mix(std::uint64_t x, std::uint64_t a, std::uint64_t b = 0) {
  std::uint64_t z = x + 0x9e3779b97f4a7c15ULL * (a + 1) + 0xbf58476d1ce4e5b9ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Unit-SD slow fluctuation (AR(1) with coefficient 0.9 per 1 s, smoothed), sampled at volumes.
std::vector<double> spontaneous_timecourse(std::int64_t n, double tr_s, std::mt19937_64& rng) {
  std::normal_distribution<double> g(0, 1);
  const double phi = std::pow(0.9, tr_s);
  std::vector<double> x(static_cast<std::size_t>(n));
  double e = g(rng);
  for (auto& v : x) {
    e = phi * e + std::sqrt(1 - phi * phi) * g(rng);
    v = e;
  }
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(n);
  for (double v : x) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(std::max<std::int64_t>(n - 1, 1)));
  for (double& v : x) v = sd > 0 ? (v - mean) / sd : 0.0;
  return x;
}

/// Linear interpolation of a per-volume series at fractional volume index f.
double interp(const std::vector<double>& x, double f) {
  const double c = std::clamp(f, 0.0, static_cast<double>(x.size() - 1));
  const auto i = static_cast<std::size_t>(std::floor(c));
  if (i + 1 >= x.size()) return x.back();
  const double w = c - static_cast<double>(i);
  return (1 - w) * x[i] + w * x[i + 1];
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

const char* slice_order_name(SliceOrder o) {
  switch (o) {
  case SliceOrder::kAscending:
    return "ascending";
  case SliceOrder::kDescending:
    return "descending";
  case SliceOrder::kInterleaved:
    return "interleaved";
  default:
    return "none";
  }
}

} // namespace

std::vector<double> slice_times(SliceOrder order, std::int64_t n_slices, double tr_s) {
  std::vector<double> st;
  if (order == SliceOrder::kNone || n_slices <= 0) return st;
  st.resize(static_cast<std::size_t>(n_slices));
  const double dt = tr_s / static_cast<double>(n_slices);
  std::vector<std::int64_t> acq; // acquisition order of slice indices
  for (std::int64_t z = 0; z < n_slices; ++z) acq.push_back(z);
  if (order == SliceOrder::kDescending) std::reverse(acq.begin(), acq.end());
  if (order == SliceOrder::kInterleaved) {
    acq.clear();
    for (std::int64_t z = 0; z < n_slices; z += 2) acq.push_back(z);
    for (std::int64_t z = 1; z < n_slices; z += 2) acq.push_back(z);
  }
  for (std::size_t k = 0; k < acq.size(); ++k) {
    st[static_cast<std::size_t>(acq[k])] = std::round(static_cast<double>(k) * dt * 1e4) / 1e4;
  }
  return st;
}

std::string subject_label(const SimulationConfig& cfg, int s) {
  if (cfg.layout == Layout::kHcp) return std::to_string(100001 + s);
  std::ostringstream o;
  o << std::setw(2) << std::setfill('0') << (s + 1);
  return o.str();
}

void validate(const SimulationConfig& cfg) {
  auto bad = [](const std::string& what) { throw usage_error(what); };
  if (cfg.subjects < 1) bad("--subjects must be at least 1");
  if (cfg.runs < 1) bad("--runs must be at least 1");
  if (cfg.layout == Layout::kHcp && cfg.runs > 2) bad("the HCP layout has at most 2 runs (LR, RL)");
  for (auto d : cfg.grid)
    if (d < 8) bad("--grid: each dimension must be at least 8 voxels");
  for (auto v : cfg.voxel_mm)
    if (!(v > 0)) bad("--voxel-size must be positive");
  if (!(cfg.tr_s > 0)) bad("--tr must be positive");
  if (cfg.volumes < 10) bad("--volumes must be at least 10");
  if (!(cfg.tsnr > 0)) bad("--tsnr must be positive");
  if (cfg.signal_pct < 0 || cfg.motion_mm < 0 || cfg.motion_deg < 0 || cfg.drift_pct < 0) {
    bad("--signal, --motion and --drift must not be negative");
  }
  if (cfg.ar_coefficient < 0 || cfg.ar_coefficient >= 1) bad("AR coefficient must be in [0, 1)");
  if (cfg.task.empty() || !std::all_of(cfg.task.begin(), cfg.task.end(),
                                       [](unsigned char c) { return std::isalnum(c); })) {
    bad("--task must be alphanumeric");
  }
  const double duration = static_cast<double>(cfg.volumes) * cfg.tr_s;
  if (duration < 30.0) bad("the run is shorter than 30 s (volumes × TR); no task block fits");
}

SimulatedRun simulate_run(const SimulationConfig& cfg, int subject, int run) {
  validate(cfg);
  const std::uint64_t subject_seed = mix(cfg.seed, static_cast<std::uint64_t>(subject));
  const std::uint64_t run_seed = mix(subject_seed, 1000 + static_cast<std::uint64_t>(run));
  std::mt19937_64 srng(subject_seed);
  std::mt19937_64 rng(run_seed);
  std::normal_distribution<double> g(0, 1);

  const Grid grid = make_grid(cfg.grid, cfg.voxel_mm);
  const double scale = std::clamp(1.0 + 0.04 * g(srng), 0.9, 1.1);
  const Anatomy anat = make_anatomy(grid, scale, subject_seed);
  SimulatedRun out;
  out.networks = make_networks(anat, subject_seed + 1);
  out.brain = anat.brain;
  const std::int64_t n = cfg.volumes;
  const double tr = cfg.tr_s;
  out.events = hcp_motor_events(static_cast<double>(n) * tr, rng);
  out.slice_timing_s = slice_times(cfg.slice_order, grid.dim[2], tr);
  out.motion = cfg.motion_mm > 0 || cfg.motion_deg > 0
                   ? simulate_motion(n, cfg.motion_mm, cfg.motion_deg, cfg.spikes, rng)
                   : std::vector<MotionParams>(static_cast<std::size_t>(n), MotionParams{});

  // Network time courses: task networks follow their condition convolved with the HRF,
  // the others fluctuate spontaneously. Kept per slice when slices are acquired at offsets.
  const std::size_t n_net = out.networks.size();
  const std::int64_t nz = grid.dim[2];
  const std::int64_t n_offsets = out.slice_timing_s.empty() ? 1 : nz;
  // tc[net][offset][volume]
  std::vector<std::vector<std::vector<double>>> tc(n_net);
  out.network_timecourses.resize(n_net);
  for (std::size_t k = 0; k < n_net; ++k) {
    const Network& net = out.networks[k];
    auto sample = [&](double offset) {
      std::vector<double> times(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i)
        times[static_cast<std::size_t>(i)] = static_cast<double>(i) * tr + offset;
      return io::hrf_response(out.events.of(net.condition), times);
    };
    if (!net.condition.empty()) {
      out.network_timecourses[k] = sample(0.0);
      for (std::int64_t o = 0; o < n_offsets; ++o) {
        tc[k].push_back(out.slice_timing_s.empty()
                            ? out.network_timecourses[k]
                            : sample(out.slice_timing_s[static_cast<std::size_t>(o)]));
      }
    } else {
      std::vector<double> base = spontaneous_timecourse(n, tr, rng);
      for (double& v : base) v *= 0.5; // spontaneous activity: half the task amplitude (SD)
      out.network_timecourses[k] = base;
      for (std::int64_t o = 0; o < n_offsets; ++o) {
        if (out.slice_timing_s.empty()) {
          tc[k].push_back(base);
          continue;
        }
        std::vector<double> shifted(static_cast<std::size_t>(n));
        const double f = out.slice_timing_s[static_cast<std::size_t>(o)] / tr;
        for (std::int64_t i = 0; i < n; ++i)
          shifted[static_cast<std::size_t>(i)] = interp(base, static_cast<double>(i) + f);
        tc[k].push_back(shifted);
      }
    }
  }

  // Sparse network maps: (voxel, weight) per network.
  std::vector<std::vector<std::pair<std::size_t, float>>> sparse(n_net);
  for (std::size_t k = 0; k < n_net; ++k)
    for (std::size_t v = 0; v < out.networks[k].map.size(); ++v)
      if (out.networks[k].map[v] > 0) sparse[k].emplace_back(v, out.networks[k].map[v]);

  const auto nvox = static_cast<std::size_t>(grid.voxels());
  const double sigma_total_gm = 1000.0 / cfg.tsnr;
  const double sigma_thermal = sigma_total_gm * std::sqrt(0.5);
  const double phys_fraction = std::sqrt(0.5);
  const double phi = cfg.ar_coefficient;
  std::vector<float> drift_a(nvox), drift_b(nvox), phys(nvox, 0.f);
  {
    const double global_a = g(rng), global_b = g(rng);
    for (std::size_t v = 0; v < nvox; ++v) {
      drift_a[v] = static_cast<float>(global_a + 0.5 * g(rng));
      drift_b[v] = static_cast<float>(global_b + 0.5 * g(rng));
      phys[v] = static_cast<float>(g(rng));
    }
  }

  out.bold = io::Image(grid.header(n, tr));
  std::vector<float> object(nvox), modulation(nvox);
  const std::array<double, 3> centre = grid.world(
      0.5 * double(grid.dim[0] - 1), 0.5 * double(grid.dim[1] - 1), 0.5 * double(grid.dim[2] - 1));
  const std::int64_t plane = grid.dim[0] * grid.dim[1];
  for (std::int64_t t = 0; t < n; ++t) {
    const auto ts = static_cast<std::size_t>(t);
    const double x = static_cast<double>(t) / static_cast<double>(n - 1);
    const double lin = 2 * x - 1, cosine = std::cos(M_PI * x);
    // BOLD modulation of each voxel (sum over networks, each at its slice's time).
    std::fill(modulation.begin(), modulation.end(), 0.f);
    for (std::size_t k = 0; k < n_net; ++k) {
      for (const auto& [v, w] : sparse[k]) {
        const auto z = static_cast<std::size_t>(static_cast<std::int64_t>(v) / plane);
        const auto& series = tc[k][n_offsets == 1 ? 0 : z];
        modulation[v] += w * static_cast<float>(series[ts]);
      }
    }
    parallel_for(0, nz, [&](std::int64_t z) {
      std::mt19937_64 zr(
          mix(run_seed, static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(z)));
      std::normal_distribution<float> gz(0.f, 1.f);
      const float innov = static_cast<float>(std::sqrt(1 - phi * phi));
      for (std::int64_t v = z * plane; v < (z + 1) * plane; ++v) {
        const auto vs = static_cast<std::size_t>(v);
        const double b = anat.baseline[vs];
        if (b <= 0) {
          object[vs] = 0.f;
          continue;
        }
        phys[vs] = static_cast<float>(phi) * phys[vs] + innov * gz(zr);
        const double sigma_phys = b / cfg.tsnr * phys_fraction;
        object[vs] = static_cast<float>(
            b * (1.0 + cfg.signal_pct / 100.0 * modulation[vs] +
                 cfg.drift_pct / 100.0 * 0.5 * (drift_a[vs] * lin + drift_b[vs] * cosine)) +
            sigma_phys * phys[vs]);
      }
    });
    float* vol = out.bold.volume(t);
    const auto& p = out.motion[ts];
    const bool moved = std::any_of(p.begin(), p.end(), [](double q) { return q != 0.0; });
    if (moved) {
      resample_rigid(grid, object.data(), rigid_matrix(p, centre), vol);
    } else {
      std::copy(object.begin(), object.end(), vol);
    }
    // Thermal noise on the complex signal; magnitude images are Rician.
    parallel_for(0, nz, [&](std::int64_t z) {
      std::mt19937_64 zr(
          mix(run_seed ^ 0x5eed, static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(z)));
      std::normal_distribution<double> gz(0.0, sigma_thermal);
      for (std::int64_t v = z * plane; v < (z + 1) * plane; ++v) {
        const double re = vol[v] + gz(zr), im = gz(zr);
        vol[v] = static_cast<float>(std::sqrt(re * re + im * im));
      }
    });
  }
  return out;
}

namespace {

void write_tsv(const fs::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<double>>& columns, int digits) {
  std::ostringstream s;
  for (std::size_t c = 0; c < header.size(); ++c) s << (c ? "\t" : "") << header[c];
  s << '\n';
  const std::size_t rows = columns.empty() ? 0 : columns[0].size();
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < columns.size(); ++c)
      s << (c ? "\t" : "") << fixed(columns[c][r], digits);
    s << '\n';
  }
  write_file_atomic(path, s.str());
}

/// Ground truth files of one run: prefix + "desc-groundtruth_timeseries.tsv" etc.
void write_ground_truth(const SimulatedRun& r, const Grid& grid, double tr, const fs::path& dir,
                        const std::string& prefix) {
  std::vector<std::vector<double>> cols(7);
  const auto fd = io::framewise_displacement(r.motion);
  for (std::size_t t = 0; t < r.motion.size(); ++t) {
    for (std::size_t a = 0; a < 6; ++a) cols[a].push_back(r.motion[t][a]);
    cols[6].push_back(fd[t]);
  }
  write_tsv(dir / (prefix + "desc-groundtruth_timeseries.tsv"),
            {"trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z", "framewise_displacement"},
            cols, 6);
  nlohmann::json mj = {
      {"Description", "True rigid head motion of each volume relative to the middle volume"},
      {"ReferenceVolume", r.motion.size() / 2},
      {"Convention",
       "T(p) = R(p - c) + c + t maps a world point (mm, RAS) of the reference volume "
       "to its position in this volume; R = Rz*Rx*Ry (ITK Euler3DTransform); c = grid centre"},
      {"trans_x", {{"Units", "mm"}}},
      {"trans_y", {{"Units", "mm"}}},
      {"trans_z", {{"Units", "mm"}}},
      {"rot_x", {{"Units", "degrees"}}},
      {"rot_y", {{"Units", "degrees"}}},
      {"rot_z", {{"Units", "degrees"}}},
      {"framewise_displacement",
       {{"Units", "mm"}, {"Description", "Power et al. 2012, 50 mm sphere"}}}};
  io::write_json(dir / (prefix + "desc-groundtruth_timeseries.json"), mj);

  std::vector<std::string> names;
  for (const auto& net : r.networks) names.push_back(net.name);
  write_tsv(dir / (prefix + "desc-groundtruth_mixing.tsv"), names, r.network_timecourses, 6);

  io::ImageHeader h = grid.header(static_cast<std::int64_t>(r.networks.size()), 0.0);
  h.tr_s = 0.0;
  h.description = "dcae-simulate network maps";
  io::Image maps(h);
  const auto nvox = static_cast<std::size_t>(grid.voxels());
  for (std::size_t k = 0; k < r.networks.size(); ++k) {
    std::copy(r.networks[k].map.begin(), r.networks[k].map.end(),
              maps.data().begin() + static_cast<std::ptrdiff_t>(k * nvox));
  }
  maps.write(dir / (prefix + "desc-groundtruth_components.nii.gz"));
  nlohmann::json nets = nlohmann::json::array();
  for (const auto& net : r.networks) {
    nets.push_back(
        {{"Name", net.name},
         {"Condition", net.condition.empty() ? nlohmann::json() : nlohmann::json(net.condition)},
         {"CentresMM", net.centres_mm},
         {"SigmaMM", net.sigma_mm}});
  }
  io::write_json(
      dir / (prefix + "desc-groundtruth_components.json"),
      {{"Description", "True spatial maps (one volume per network, peak 1) and, in "
                       "the _mixing.tsv, their time courses sampled at volume onsets (t = i*TR)"},
       {"Networks", nets},
       {"RepetitionTime", tr}});
  io::Image mask(grid.header(1, 0.0));
  for (std::size_t v = 0; v < nvox; ++v) mask.data()[v] = r.brain[v];
  mask.write(dir / (prefix + "desc-brain_mask.nii.gz"), {io::StoredType::kUInt8, 1});
}

/// Removes a temporary folder unless released.
class TempFolder {
public:
  explicit TempFolder(fs::path p) : path_(std::move(p)) {}
  ~TempFolder() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const fs::path& path() const { return path_; }
  void release() { path_.clear(); }

private:
  fs::path path_;
};

std::string dataset_readme(const SimulationConfig& cfg) {
  std::ostringstream s;
  s << "Simulated task fMRI written by dcae-simulate " << kVersion << ".\n\n"
    << "An HCP-MOTOR-like block design (3 s cue, 12 s blocks of lf lh rf rh t, 15 s fixation\n"
    << "after every third block) drives one spatial network per movement and a visual network\n"
    << "(cue); two further networks fluctuate without task. The BOLD response is the\n"
    << "canonical double-gamma HRF. Noise: thermal (Rician) and AR(1) physiological noise at\n"
    << "tSNR " << cfg.tsnr << ", slow drift, and rigid head motion applied by resampling.\n\n"
    << "Ground truth (derivatives/groundtruth/ for BIDS, groundtruth/ for HCP) per run:\n"
    << "  *_desc-groundtruth_timeseries.tsv  motion per volume (mm, degrees), relative to the\n"
    << "                                     middle volume, and framewise displacement\n"
    << "  *_desc-groundtruth_components.nii.gz  network maps, one volume per network\n"
    << "  *_desc-groundtruth_mixing.tsv      network time courses (t = i*TR)\n"
    << "  *_desc-brain_mask.nii.gz           the true brain mask\n\n"
    << "Settings: seed " << cfg.seed << ", " << cfg.subjects << " subject(s), " << cfg.runs
    << " run(s), grid " << cfg.grid[0] << "x" << cfg.grid[1] << "x" << cfg.grid[2] << " of "
    << cfg.voxel_mm[0] << "x" << cfg.voxel_mm[1] << "x" << cfg.voxel_mm[2] << " mm, TR " << cfg.tr_s
    << " s, " << cfg.volumes << " volumes, signal " << cfg.signal_pct << " %, motion "
    << cfg.motion_mm << " mm / " << cfg.motion_deg << " deg, slice order "
    << slice_order_name(cfg.slice_order) << ".\n";
  return s.str();
}

} // namespace

void simulate_dataset(const SimulationConfig& cfg, const fs::path& out_arg, bool overwrite) {
  validate(cfg);
  const fs::path out = fs::absolute(out_arg).lexically_normal();
  std::error_code ec;
  const bool exists = fs::exists(out, ec);
  if (exists && !overwrite && !(fs::is_directory(out) && fs::is_empty(out))) {
    throw usage_error(out.string() + ": already exists (use --overwrite to replace it)");
  }
  fs::create_directories(out.parent_path(), ec);
  TempFolder tmp(out.parent_path() /
                 ("." + out.filename().string() + ".tmp" + std::to_string(::getpid())));
  fs::remove_all(tmp.path(), ec);
  fs::create_directories(tmp.path());
  const fs::path root = tmp.path();
  const bool bids = cfg.layout == Layout::kBids;
  const Grid grid = make_grid(cfg.grid, cfg.voxel_mm);
  const std::vector<double> st = slice_times(cfg.slice_order, grid.dim[2], cfg.tr_s);

  if (bids) {
    nlohmann::json dd = {
        {"Name", "dcae simulated task fMRI (HCP-MOTOR-like)"},
        {"BIDSVersion", io::kBidsVersion},
        {"DatasetType", "raw"},
        {"License", "CC0"},
        {"Authors", {"dcae-simulate"}},
        {"GeneratedBy",
         {{{"Name", "dcae-simulate"}, {"Version", kVersion}, {"CodeURL", kCodeUrl}}}}};
    io::write_json(root / "dataset_description.json", dd);
    write_file_atomic(root / "README", dataset_readme(cfg));
    write_file_atomic(root / "CHANGES", std::string("1.0.0 ") +
                                            "\n  - Simulated by dcae-simulate " + kVersion + "\n");
    std::string participants = "participant_id\n";
    for (int s = 0; s < cfg.subjects; ++s) participants += "sub-" + subject_label(cfg, s) + "\n";
    write_file_atomic(root / "participants.tsv", participants);
    io::write_json(root / "participants.json",
                   {{"participant_id", {{"Description", "Simulated participant"}}}});
    nlohmann::json bold = {{"TaskName", cfg.task},
                           {"RepetitionTime", cfg.tr_s},
                           {"TaskDescription", "HCP-like motor task: move the left/right foot or "
                                               "hand, or the tongue, after a visual cue"},
                           {"Manufacturer", "dcae-simulate"}};
    if (!st.empty()) bold["SliceTiming"] = st;
    io::write_json(root / ("task-" + cfg.task + "_bold.json"), bold);
    io::write_json(root / ("task-" + cfg.task + "_events.json"),
                   {{"trial_type",
                     {{"Description", "cue or movement"},
                      {"Levels",
                       {{"cue", "visual cue"},
                        {"lf", "left foot"},
                        {"lh", "left hand"},
                        {"rf", "right foot"},
                        {"rh", "right hand"},
                        {"t", "tongue"}}}}}});
    const fs::path gt = root / "derivatives" / "groundtruth";
    io::write_json(gt / "dataset_description.json",
                   {{"Name", "dcae-simulate ground truth"},
                    {"BIDSVersion", io::kBidsVersion},
                    {"DatasetType", "derivative"},
                    {"GeneratedBy",
                     {{{"Name", "dcae-simulate"}, {"Version", kVersion}, {"CodeURL", kCodeUrl}}}}});
  } else {
    write_file_atomic(root / "README", dataset_readme(cfg));
  }

  std::string hcp_task = cfg.task;
  std::transform(hcp_task.begin(), hcp_task.end(), hcp_task.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  ProgressBar bar("simulating", static_cast<std::uint64_t>(cfg.subjects * cfg.runs), "runs", 5.0);
  for (int s = 0; s < cfg.subjects; ++s) {
    const std::string sub = subject_label(cfg, s);
    for (int r = 0; r < cfg.runs; ++r) {
      const SimulatedRun run = simulate_run(cfg, s, r);
      std::vector<std::vector<double>> ev_cols;
      if (bids) {
        std::ostringstream rl;
        rl << std::setw(2) << std::setfill('0') << (r + 1);
        const std::map<std::string, std::string> ent = {
            {"sub", sub}, {"task", cfg.task}, {"run", rl.str()}};
        const fs::path func = root / ("sub-" + sub) / "func";
        run.bold.write(func / io::bids_filename(ent, "bold", ".nii.gz"),
                       {io::StoredType::kInt16Scaled, 1});
        io::write_bids_events(func / io::bids_filename(ent, "events", ".tsv"), run.events);
        const fs::path gt = root / "derivatives" / "groundtruth" / ("sub-" + sub) / "func";
        write_ground_truth(run, grid, cfg.tr_s, gt, io::run_name(ent) + "_");
      } else {
        const std::string name = "tfMRI_" + hcp_task + "_" + (r == 0 ? "LR" : "RL");
        const fs::path dir = root / sub / "MNINonLinear" / "Results" / name;
        run.bold.write(dir / (name + ".nii.gz"), {io::StoredType::kInt16Scaled, 1});
        for (const auto& cond : run.events.conditions()) {
          std::ostringstream ev;
          for (const auto& e : run.events.of(cond)) {
            ev << fixed(e.onset_s, 3) << '\t' << fixed(e.duration_s, 3) << '\t'
               << fixed(e.amplitude, 0) << '\n';
          }
          write_file_atomic(dir / "EVs" / (cond + ".txt"), ev.str());
        }
        std::ostringstream mr;
        for (std::size_t t = 0; t < run.motion.size(); ++t) {
          for (std::size_t a = 0; a < 6; ++a) mr << (a ? "  " : "") << fixed(run.motion[t][a], 6);
          for (std::size_t a = 0; a < 6; ++a) {
            const double d = t ? run.motion[t][a] - run.motion[t - 1][a] : 0.0;
            mr << "  " << fixed(d, 6);
          }
          mr << '\n';
        }
        write_file_atomic(dir / "Movement_Regressors.txt", mr.str());
        write_ground_truth(run, grid, cfg.tr_s, root / "groundtruth" / sub / name, name + "_");
      }
      bar.advance();
    }
  }
  bar.finish();

  if (exists) {
    const fs::path old =
        out.parent_path() / ("." + out.filename().string() + ".old" + std::to_string(::getpid()));
    fs::rename(out, old);
    fs::rename(tmp.path(), out);
    tmp.release();
    fs::remove_all(old, ec);
  } else {
    fs::rename(tmp.path(), out);
    tmp.release();
  }
  log::info("wrote ", bids ? "BIDS" : "HCP", " dataset ", out.string());
}

} // namespace dcae::sim
