/// \file bench_motion.cpp
/// Benchmark (not a test): dcae's rigid motion correction on one simulated run.
///
/// Simulates a run with known head motion, writes the uncorrected BOLD (DIR/bold.nii.gz), the
/// true parameters (DIR/truth.tsv) and their matrices (DIR/truth_matrices.tsv), times
/// motion_correct() (wall clock, no I/O), and prints the per-axis RMS error of the estimates
/// against the truth; the estimates go to DIR/dcae.tsv. tests/bench/bench_motion.sh runs it beside
/// nipy's SpaceRealign (tests/bench/nipy_realign.py) on the same files.
///
/// With --known-motion every volume is a copy of the simulated middle volume and every one but
/// the middle one is moved by one of a few fixed transforms (pure rot_z, pure trans_x, both,
/// ...), applied with the simulator's own resampling: a check that a tool's parameters are
/// converted to dcae's convention correctly.
///
/// Parameters (truth and estimates): trans_x,y,z (mm), rot_x,y,z (degrees); T(p) = R(p-c)+c+t
/// maps a world point of the middle volume to its position in volume t; R = Rz·Rx·Ry; c = grid
/// centre (world origin for simulated grids).

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/threads.h"
#include "preproc/motion_correction.h"
#include "sim/anatomy.h"
#include "sim/motion.h"
#include "sim/simulator.h"

namespace fs = std::filesystem;

namespace {

struct Options {
  std::array<std::int64_t, 3> grid{30, 36, 28};
  double voxel_mm = 5.5; // 30×36×28 × 5.5 mm = 165×198×154 mm: a brain-sized field of view
  std::int64_t volumes = 100;
  double tr_s = 2.0;
  double motion_mm = 2.0;
  double motion_deg = 2.0;
  int threads = 2;
  std::uint64_t seed = 1;
  double tsnr = 60.0; // the simulator's default
  bool known_motion = false;
  fs::path out = "bench_motion_out";
};

void usage(std::ostream& os) {
  os << "usage: dcae_bench_motion [--grid X Y Z] [--voxel MM] [--volumes N] [--tr S]\n"
        "                         [--motion-mm MM] [--motion-deg DEG] [--threads N] [--seed S]\n"
        "                         [--tsnr SNR] [--known-motion] [--out DIR]\n"
        "defaults: --grid 30 36 28 --voxel 5.5 --volumes 100 --tr 2 --motion-mm 2 --motion-deg 2\n"
        "          --threads 2 --seed 1 --tsnr 60 --out bench_motion_out\n"
        "--known-motion: every volume is the middle one moved by one of a few fixed known "
        "transforms\n";
}

Options parse(int argc, char** argv) {
  Options o;
  auto need = [&](int& i, int n) {
    if (i + n >= argc)
      throw std::invalid_argument(std::string(argv[i]) + " needs " + std::to_string(n) +
                                  " value(s)");
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--grid") {
      need(i, 3);
      for (std::size_t d = 0; d < 3; ++d) o.grid[d] = std::stoll(argv[++i]);
    } else if (a == "--voxel") {
      need(i, 1);
      o.voxel_mm = std::stod(argv[++i]);
    } else if (a == "--volumes") {
      need(i, 1);
      o.volumes = std::stoll(argv[++i]);
    } else if (a == "--tr") {
      need(i, 1);
      o.tr_s = std::stod(argv[++i]);
    } else if (a == "--motion-mm") {
      need(i, 1);
      o.motion_mm = std::stod(argv[++i]);
    } else if (a == "--motion-deg") {
      need(i, 1);
      o.motion_deg = std::stod(argv[++i]);
    } else if (a == "--threads") {
      need(i, 1);
      o.threads = std::stoi(argv[++i]);
    } else if (a == "--seed") {
      need(i, 1);
      o.seed = std::stoull(argv[++i]);
    } else if (a == "--tsnr") {
      need(i, 1);
      o.tsnr = std::stod(argv[++i]);
    } else if (a == "--known-motion") {
      o.known_motion = true;
    } else if (a == "--out") {
      need(i, 1);
      o.out = argv[++i];
    } else if (a == "-h" || a == "--help") {
      usage(std::cout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  return o;
}

void write_params(const fs::path& path, const std::vector<dcae::io::MotionParams>& p) {
  std::ofstream f(path);
  if (!f) throw std::runtime_error("cannot write " + path.string());
  for (std::size_t a = 0; a < 6; ++a) f << (a ? "\t" : "") << dcae::io::kMotionColumns[a];
  f << '\n' << std::fixed << std::setprecision(6);
  for (const auto& row : p) {
    for (std::size_t a = 0; a < 6; ++a) f << (a ? "\t" : "") << row[a];
    f << '\n';
  }
  if (!f) throw std::runtime_error("error writing " + path.string());
}

/// The simulator's world→world matrix of every volume's true motion (rigid_matrix about the grid
/// centre), the first 3 rows row-major: lets nipy_realign.py check its conversion against dcae's.
void write_matrices(const fs::path& path, const std::vector<dcae::io::MotionParams>& p,
                    const dcae::sim::Grid& grid) {
  const std::array<double, 3> centre = grid.world(
      0.5 * double(grid.dim[0] - 1), 0.5 * double(grid.dim[1] - 1), 0.5 * double(grid.dim[2] - 1));
  std::ofstream f(path);
  if (!f) throw std::runtime_error("cannot write " + path.string());
  f << "m00\tm01\tm02\tm03\tm10\tm11\tm12\tm13\tm20\tm21\tm22\tm23\n" << std::setprecision(17);
  for (const auto& row : p) {
    const dcae::io::Matrix4 m = dcae::sim::rigid_matrix(row, centre);
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 4; ++j) f << (i + j ? "\t" : "") << m[i][j];
    f << '\n';
  }
  if (!f) throw std::runtime_error("error writing " + path.string());
}

/// The fixed transforms of --known-motion, cycled over the volumes other than the middle one.
const std::vector<dcae::io::MotionParams>& known_transforms() {
  static const std::vector<dcae::io::MotionParams> k = {
      {0, 0, 0, 0, 0, 3.0},             // pure rotation about z
      {2.0, 0, 0, 0, 0, 0},             // pure translation along x
      {2.0, 0, 0, 0, 0, 3.0},           // both
      {0, -1.5, 0, 2.0, 0, 0},          // rot_x with trans_y
      {0, 0, 1.0, 0, -2.5, 0},          // rot_y with trans_z
      {1.2, -0.8, 0.6, 1.5, -1.0, 2.0}, // all six (checks the order Rz·Rx·Ry)
  };
  return k;
}

/// A run whose volumes are all the simulated middle volume (no simulated motion), every one but
/// the middle one moved by one of the known transforms with the simulator's own resampling: the
/// volumes differ only by the known motion (and its interpolation).
dcae::sim::SimulatedRun known_motion_run(dcae::sim::SimulationConfig cfg) {
  cfg.motion_mm = 0.0;
  cfg.motion_deg = 0.0;
  cfg.spikes = 0;
  dcae::sim::SimulatedRun run = dcae::sim::simulate_run(cfg, 0, 0);
  const dcae::sim::Grid grid = dcae::sim::make_grid(cfg.grid, cfg.voxel_mm);
  const std::array<double, 3> centre = grid.world(
      0.5 * double(grid.dim[0] - 1), 0.5 * double(grid.dim[1] - 1), 0.5 * double(grid.dim[2] - 1));
  const std::int64_t n = cfg.volumes, ref = n / 2;
  std::vector<float> moved(static_cast<std::size_t>(grid.voxels()));
  std::size_t next = 0;
  for (std::int64_t t = 0; t < n; ++t) {
    auto& p = run.motion[static_cast<std::size_t>(t)];
    if (t == ref) {
      p = {};
      continue;
    }
    p = known_transforms()[next++ % known_transforms().size()];
    dcae::sim::resample_rigid(grid, run.bold.volume(ref), dcae::sim::rigid_matrix(p, centre),
                              moved.data());
    std::copy(moved.begin(), moved.end(), run.bold.volume(t));
  }
  return run;
}

} // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    dcae::log::set_level(dcae::log::Level::kWarning);
    dcae::set_thread_count(o.threads);
    fs::create_directories(o.out);

    dcae::sim::SimulationConfig cfg;
    cfg.seed = o.seed;
    cfg.subjects = 1;
    cfg.grid = o.grid;
    cfg.voxel_mm = {o.voxel_mm, o.voxel_mm, o.voxel_mm};
    cfg.volumes = o.volumes;
    cfg.tr_s = o.tr_s;
    cfg.motion_mm = o.motion_mm;
    cfg.motion_deg = o.motion_deg;
    cfg.tsnr = o.tsnr;
    dcae::sim::validate(cfg);

    const auto s0 = std::chrono::steady_clock::now();
    dcae::sim::SimulatedRun run =
        o.known_motion ? known_motion_run(cfg) : dcae::sim::simulate_run(cfg, 0, 0);
    const double sim_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    run.bold.write(o.out / "bold.nii.gz");
    write_params(o.out / "truth.tsv", run.motion);
    write_matrices(o.out / "truth_matrices.tsv", run.motion,
                   dcae::sim::make_grid(cfg.grid, cfg.voxel_mm));

    double peak_mm = 0, peak_deg = 0;
    for (const auto& p : run.motion)
      for (std::size_t a = 0; a < 6; ++a)
        (a < 3 ? peak_mm : peak_deg) = std::max(a < 3 ? peak_mm : peak_deg, std::fabs(p[a]));
    std::printf(
        "dcae: %lldx%lldx%lld x %lld volumes, %.2f mm voxels, %d thread(s)%s; simulated in %.2f s; "
        "true motion up to %.2f mm, %.2f deg\n",
        static_cast<long long>(o.grid[0]), static_cast<long long>(o.grid[1]),
        static_cast<long long>(o.grid[2]), static_cast<long long>(o.volumes), o.voxel_mm, o.threads,
        o.known_motion ? ", known motion" : "", sim_s, peak_mm, peak_deg);

    dcae::preproc::MotionCorrectionOptions mc; // defaults: middle volume reference, as FEAT
    const auto t0 = std::chrono::steady_clock::now();
    const dcae::preproc::MotionCorrectionResult res = dcae::preproc::motion_correct(run.bold, mc);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_params(o.out / "dcae.tsv", res.params);

    std::array<double, 6> rms{}, worst{}, mean{};
    const auto nv = static_cast<double>(res.params.size());
    for (std::size_t t = 0; t < res.params.size(); ++t)
      for (std::size_t a = 0; a < 6; ++a) {
        const double d = res.params[t][a] - run.motion[t][a];
        rms[a] += d * d;
        mean[a] += d / nv;
        worst[a] = std::max(worst[a], std::fabs(d));
      }
    for (double& r : rms) r = std::sqrt(r / nv);
    std::printf("dcae: reference volume %lld, motion_correct %.3f s\n",
                static_cast<long long>(res.reference_index), wall_s);
    std::printf("dcae: RMS error  ");
    for (std::size_t a = 0; a < 6; ++a)
      std::printf(" %s %.4f", dcae::io::kMotionColumns[a], rms[a]);
    std::printf("\ndcae: max |error|");
    for (std::size_t a = 0; a < 6; ++a)
      std::printf(" %s %.4f", dcae::io::kMotionColumns[a], worst[a]);
    // The part of the error common to all volumes, and the rest.
    std::printf("\ndcae: mean error ");
    for (std::size_t a = 0; a < 6; ++a)
      std::printf(" %s %+.4f", dcae::io::kMotionColumns[a], mean[a]);
    std::printf("\ndcae: SD of error");
    for (std::size_t a = 0; a < 6; ++a)
      std::printf(" %s %.4f", dcae::io::kMotionColumns[a],
                  std::sqrt(std::max(0.0, rms[a] * rms[a] - mean[a] * mean[a])));
    // Machine-readable line for bench_motion.sh: tool, wall time, six RMS errors.
    std::printf("\nRESULT dcae %.6f", wall_s);
    for (double r : rms) std::printf(" %.6f", r);
    std::printf("\n");
    return 0;
  } catch (const std::invalid_argument& e) {
    std::cerr << "dcae_bench_motion: " << e.what() << '\n';
    usage(std::cerr);
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "dcae_bench_motion: " << e.what() << '\n';
    return 1;
  }
}
