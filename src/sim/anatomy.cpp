#include "sim/anatomy.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/threads.h"

namespace dcae::sim {

std::array<double, 3> Grid::world(double i, double j, double k) const {
  std::array<double, 3> w{};
  for (int r = 0; r < 3; ++r) {
    const auto& row = affine[static_cast<std::size_t>(r)];
    w[static_cast<std::size_t>(r)] = row[0] * i + row[1] * j + row[2] * k + row[3];
  }
  return w;
}

io::ImageHeader Grid::header(std::int64_t volumes, double tr_s) const {
  io::ImageHeader h;
  h.dim = {dim[0], dim[1], dim[2], volumes};
  h.spacing_mm = voxel_mm;
  h.tr_s = volumes > 1 ? tr_s : 0.0;
  h.qform_code = h.sform_code = 1; // scanner coordinates
  h.qform = h.sform = affine;
  h.slice_dim = 3;
  return h;
}

Grid make_grid(std::array<std::int64_t, 3> dim, std::array<double, 3> voxel_mm) {
  Grid g;
  g.dim = dim;
  g.voxel_mm = voxel_mm;
  g.affine = io::identity4();
  for (std::size_t a = 0; a < 3; ++a) {
    g.affine[a][a] = voxel_mm[a];
    g.affine[a][3] = -0.5 * static_cast<double>(dim[a] - 1) * voxel_mm[a];
  }
  return g;
}

namespace {

/// Shape of the brain surface: radius factor along a unit direction (lobulation).
struct Shape {
  double a1, a2, a3, p1, p2, p3;
  double radius(double x, double y, double z) const { // x,y,z on the unit sphere
    const double th = std::acos(std::clamp(z, -1.0, 1.0));
    const double ph = std::atan2(y, x);
    double r = 1.0 + a1 * std::sin(3 * th + p1) * std::cos(2 * ph + p2) +
               a2 * std::cos(5 * ph + p3) * std::sin(th) + a3 * std::sin(7 * th + p2);
    if (z < -0.5) r -= 0.12 * (-0.5 - z); // flatter base
    return r;
  }
};

} // namespace

Anatomy make_anatomy(const Grid& grid, double scale, std::uint64_t seed) {
  Anatomy a;
  a.grid = grid;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 2 * M_PI);
  const Shape shape{0.035, 0.02, 0.012, u(rng), u(rng), u(rng)};
  const std::array<double, 3> real{70.0, 85.0, 60.0};
  for (std::size_t d = 0; d < 3; ++d) {
    const double fov = static_cast<double>(grid.dim[d]) * grid.voxel_mm[d];
    a.semi_axes_mm[d] = std::min(real[d] * scale, 0.43 * fov);
  }
  const auto n = static_cast<std::size_t>(grid.voxels());
  a.gm.assign(n, 0.f);
  a.wm.assign(n, 0.f);
  a.csf.assign(n, 0.f);
  a.brain.assign(n, 0);
  a.baseline.assign(n, 0.f);
  const auto& ax = a.semi_axes_mm;
  // Cortical ribbon (mm). Thicker than real cortex (2.5 mm) because the surface is not
  // folded: with it, grey matter is about 40% of brain tissue, as in a real brain.
  const double gm_depth = 10.0;
  // Tissue of a point in the world (mm): 0 none, 1 GM, 2 WM, 3 CSF.
  auto tissue = [&](double x, double y, double z) -> int {
    const double qx = x / ax[0], qy = y / ax[1], qz = z / ax[2];
    const double q = std::sqrt(qx * qx + qy * qy + qz * qz);
    if (q < 1e-9) return 2;
    const double rho = shape.radius(qx / q, qy / q, qz / q);
    if (q >= rho) return 0;
    // Lateral ventricles: two ellipsoids beside the midline.
    for (double side : {-1.0, 1.0}) {
      const double vx = (x - side * 0.12 * ax[0]) / (0.09 * ax[0]);
      const double vy = (y + 0.05 * ax[1]) / (0.32 * ax[1]);
      const double vz = (z - 0.12 * ax[2]) / (0.13 * ax[2]);
      if (vx * vx + vy * vy + vz * vz < 1.0) return 3;
    }
    const double depth_mm = (rho - q) * std::sqrt(x * x + y * y + z * z) / q;
    // Slightly thicker ribbon where sulci fold (varies around the brain).
    const double ribbon = gm_depth * (1.0 + 0.25 * std::sin(9 * qx + 7 * qy) * std::cos(8 * qz));
    return depth_mm < ribbon ? 1 : 2;
  };
  constexpr int kSub = 3; // 3×3×3 sub-samples per voxel for partial volumes
  parallel_for(0, grid.dim[2], [&](std::int64_t k) {
    for (std::int64_t j = 0; j < grid.dim[1]; ++j) {
      for (std::int64_t i = 0; i < grid.dim[0]; ++i) {
        int counts[4] = {0, 0, 0, 0};
        for (int sk = 0; sk < kSub; ++sk)
          for (int sj = 0; sj < kSub; ++sj)
            for (int si = 0; si < kSub; ++si) {
              const double off[3] = {(si + 0.5) / kSub - 0.5, (sj + 0.5) / kSub - 0.5,
                                     (sk + 0.5) / kSub - 0.5};
              const auto w = grid.world(double(i) + off[0], double(j) + off[1], double(k) + off[2]);
              ++counts[tissue(w[0], w[1], w[2])];
            }
        const auto v = static_cast<std::size_t>(i + grid.dim[0] * (j + grid.dim[1] * k));
        constexpr double kTotal = kSub * kSub * kSub;
        a.gm[v] = static_cast<float>(counts[1] / kTotal);
        a.wm[v] = static_cast<float>(counts[2] / kTotal);
        a.csf[v] = static_cast<float>(counts[3] / kTotal);
        a.brain[v] = (counts[1] + counts[2] + counts[3]) * 2 >= kTotal ? 1 : 0;
        const auto w = grid.world(double(i), double(j), double(k));
        const double bias = 1.0 + 0.08 * w[0] / ax[0] - 0.06 * w[1] / ax[1] + 0.05 * w[2] / ax[2];
        a.baseline[v] =
            static_cast<float>(bias * (1000.0 * a.gm[v] + 750.0 * a.wm[v] + 1500.0 * a.csf[v]));
      }
    }
  });
  return a;
}

std::vector<Network> make_networks(const Anatomy& anatomy, std::uint64_t seed, double jitter_mm) {
  // Centres as fractions of the brain's semi-axes (x right, y anterior, z superior).
  struct Spec {
    const char* name;
    const char* condition;
    std::vector<std::array<double, 3>> centres;
  };
  const std::vector<Spec> specs = {
      {"lf", "lf", {{0.16, -0.18, 0.86}}}, // left foot → right medial M1
      {"lh", "lh", {{0.50, -0.12, 0.68}}}, // left hand → right lateral M1
      {"rf", "rf", {{-0.16, -0.18, 0.86}}},
      {"rh", "rh", {{-0.50, -0.12, 0.68}}},
      {"t", "t", {{0.72, 0.00, 0.30}, {-0.72, 0.00, 0.30}}}, // tongue: bilateral ventral M1
      {"visual", "cue", {{0.15, -0.88, 0.10}, {-0.15, -0.88, 0.10}}},
      {"default_mode", "", {{0.0, -0.50, 0.40}, {0.0, 0.72, 0.15}}},
      {"auditory", "", {{0.78, -0.15, 0.05}, {-0.78, -0.15, 0.05}}},
  };
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jit(-jitter_mm, jitter_mm);
  const Grid& g = anatomy.grid;
  const double sigma = std::max(8.0, 1.5 * std::max({g.voxel_mm[0], g.voxel_mm[1], g.voxel_mm[2]}));
  std::vector<Network> out;
  for (const auto& s : specs) {
    Network net;
    net.name = s.name;
    net.condition = s.condition;
    net.sigma_mm = sigma;
    for (const auto& c : s.centres) {
      std::array<double, 3> w{};
      for (std::size_t d = 0; d < 3; ++d) w[d] = c[d] * anatomy.semi_axes_mm[d] + jit(rng);
      net.centres_mm.push_back(w);
    }
    net.map.assign(static_cast<std::size_t>(g.voxels()), 0.f);
    float peak = 0.f;
    for (std::int64_t k = 0; k < g.dim[2]; ++k)
      for (std::int64_t j = 0; j < g.dim[1]; ++j)
        for (std::int64_t i = 0; i < g.dim[0]; ++i) {
          const auto v = static_cast<std::size_t>(i + g.dim[0] * (j + g.dim[1] * k));
          if (!anatomy.brain[v]) continue;
          const auto w = g.world(double(i), double(j), double(k));
          double val = 0.0;
          for (const auto& c : net.centres_mm) {
            const double d2 = (w[0] - c[0]) * (w[0] - c[0]) + (w[1] - c[1]) * (w[1] - c[1]) +
                              (w[2] - c[2]) * (w[2] - c[2]);
            val = std::max(val, std::exp(-d2 / (2 * sigma * sigma)));
          }
          // BOLD arises in grey matter (and weakly in white matter).
          val *= anatomy.gm[v] + 0.2 * anatomy.wm[v];
          net.map[v] = static_cast<float>(val);
          peak = std::max(peak, net.map[v]);
        }
    if (peak > 0) {
      for (float& x : net.map) x = x / peak < 0.05f ? 0.f : x / peak;
    }
    out.push_back(std::move(net));
  }
  return out;
}

} // namespace dcae::sim
