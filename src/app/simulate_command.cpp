#include <chrono>

#include "app/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "sim/simulator.h"

namespace dcae::app {
namespace {

class SimulateCommand final : public Command {
public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-simulate";
    u.summary = "simulate an HCP-MOTOR-like task-fMRI dataset with known ground truth";
    u.description =
        "Writes a BIDS dataset (or the HCP layout) of task-fMRI runs: a brain-shaped head with\n"
        "tissue contrast, one network per movement of the HCP motor task (lf lh rf rh t), a\n"
        "visual network driven by the cue and two networks without task; canonical HRF,\n"
        "thermal (Rician) and AR(1) noise at a given tSNR, slow drift, rigid head motion with\n"
        "spikes applied by resampling, optional slice-timing offsets; int16 data with\n"
        "scl_slope like scanner output. Ground truth (motion, network maps and time courses,\n"
        "brain mask) goes to derivatives/groundtruth (BIDS) or groundtruth/ (HCP).";
    auto arg = [&](std::string name, ArgKind kind, std::string help) -> Argument& {
      return add_argument(u, std::move(name), kind, std::move(help));
    };
    Argument& out = arg("output_dir", ArgKind::kOutputDir, "folder to create for the dataset");
    out.positional = true;
    out.required = true;
    auto& layout = arg("layout", ArgKind::kChoice, "dataset layout");
    layout.choices = {"bids", "hcp"};
    layout.default_value = "bids";
    auto& seed = arg("seed", ArgKind::kInt, "random seed (same seed → same dataset)");
    seed.default_value = "1";
    seed.min = 0;
    auto& subjects = arg("subjects", ArgKind::kInt, "number of participants");
    subjects.default_value = "2";
    subjects.min = 1;
    subjects.max = 999;
    auto& runs = arg("runs", ArgKind::kInt, "runs per participant (HCP: at most 2, LR and RL)");
    runs.default_value = "1";
    runs.min = 1;
    runs.max = 99;
    auto& task = arg("task", ArgKind::kString, "task label");
    task.default_value = "motor";
    auto& grid = arg("grid", ArgKind::kIntList, "image grid in voxels (x y z)");
    grid.list_size = 3;
    grid.default_value = "40 48 36";
    grid.min = 8;
    grid.max = 512;
    grid.group = "Acquisition";
    auto& vox = arg("voxel-size", ArgKind::kFloatList, "voxel size in mm (x y z)");
    vox.list_size = 3;
    vox.default_value = "4 4 4";
    vox.min = 0.5;
    vox.max = 20;
    vox.group = "Acquisition";
    vox.value_name = "MM";
    auto& tr = arg("tr", ArgKind::kFloat, "repetition time (s)");
    tr.default_value = "0.72";
    tr.min = 0.1;
    tr.max = 10;
    tr.group = "Acquisition";
    tr.value_name = "S";
    auto& vols = arg("volumes", ArgKind::kInt, "volumes per run");
    vols.default_value = "284";
    vols.min = 10;
    vols.max = 100000;
    vols.group = "Acquisition";
    auto& st = arg("slice-timing", ArgKind::kChoice,
                   "simulate slice acquisition offsets (written as SliceTiming)");
    st.choices = {"none", "ascending", "descending", "interleaved"};
    st.default_value = "none";
    st.group = "Acquisition";
    auto& tsnr = arg("tsnr", ArgKind::kFloat, "temporal SNR of grey matter (mean / noise SD)");
    tsnr.default_value = "60";
    tsnr.min = 1;
    tsnr.group = "Signal and noise";
    auto& sig = arg("signal", ArgKind::kFloat, "BOLD signal change at a network's peak (%)");
    sig.default_value = "3";
    sig.min = 0;
    sig.max = 50;
    sig.group = "Signal and noise";
    auto& motion =
        arg("motion", ArgKind::kFloat, "head motion scale: translations up to about this many mm");
    motion.default_value = "1";
    motion.min = 0;
    motion.max = 20;
    motion.group = "Signal and noise";
    auto& rot = arg("rotation", ArgKind::kFloat, "head rotations up to about this many degrees");
    rot.default_value = "1";
    rot.min = 0;
    rot.max = 20;
    rot.group = "Signal and noise";
    auto& spikes = arg("spikes", ArgKind::kInt, "sudden one-volume movements per run");
    spikes.default_value = "2";
    spikes.min = 0;
    spikes.group = "Signal and noise";
    auto& drift = arg("drift", ArgKind::kFloat, "slow drift amplitude (% of baseline)");
    drift.default_value = "1";
    drift.min = 0;
    drift.max = 50;
    drift.group = "Signal and noise";
    arg("overwrite", ArgKind::kFlag, "replace output_dir if it exists");
    u.examples = {"dcae-simulate /tmp/sim",
                  "dcae-simulate --subjects 4 --runs 2 --slice-timing interleaved --tr 2 --volumes "
                  "150 /tmp/sim",
                  "dcae-simulate --layout hcp --subjects 1 /tmp/hcp"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    sim::SimulationConfig c;
    c.layout = a.string("layout") == "hcp" ? sim::Layout::kHcp : sim::Layout::kBids;
    c.seed = static_cast<std::uint64_t>(a.integer("seed"));
    c.subjects = static_cast<int>(a.integer("subjects"));
    c.runs = static_cast<int>(a.integer("runs"));
    c.task = a.string("task");
    const auto grid = a.integers("grid");
    const auto vox = a.numbers("voxel-size");
    for (std::size_t i = 0; i < 3; ++i) {
      c.grid[i] = grid[i];
      c.voxel_mm[i] = vox[i];
    }
    c.tr_s = a.number("tr");
    c.volumes = a.integer("volumes");
    const std::string st = a.string("slice-timing");
    c.slice_order = st == "ascending"     ? sim::SliceOrder::kAscending
                    : st == "descending"  ? sim::SliceOrder::kDescending
                    : st == "interleaved" ? sim::SliceOrder::kInterleaved
                                          : sim::SliceOrder::kNone;
    c.tsnr = a.number("tsnr");
    c.signal_pct = a.number("signal");
    c.motion_mm = a.number("motion");
    c.motion_deg = a.number("rotation");
    c.spikes = static_cast<int>(a.integer("spikes"));
    c.drift_pct = a.number("drift");
    const auto start = std::chrono::steady_clock::now();
    sim::simulate_dataset(c, a.string("output_dir"), a.flag("overwrite"));
    log::info("done in ",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
              " s");
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> make_simulate_command() {
  return std::make_unique<SimulateCommand>();
}

} // namespace dcae::app
