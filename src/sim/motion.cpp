#include "sim/motion.h"

#include <algorithm>
#include <cmath>

#include "core/threads.h"

namespace dcae::sim {

std::vector<MotionParams> simulate_motion(std::int64_t n, double max_mm, double max_deg, int spikes,
                                          std::mt19937_64& rng) {
  std::vector<MotionParams> p(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)),
                              MotionParams{});
  if (n <= 0) return p;
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> phase(0.0, 2 * M_PI);
  for (std::size_t a = 0; a < 6; ++a) {
    const double amp = a < 3 ? max_mm : max_deg;
    // Slow drift (a few cosines) plus a small random walk: like a settling head.
    const double c1 = g(rng), c2 = g(rng) * 0.5, c3 = g(rng) * 0.25;
    const double p1 = phase(rng), p2 = phase(rng), p3 = phase(rng);
    double walk = 0.0;
    std::vector<double> v(p.size());
    double peak = 1e-12;
    for (std::size_t t = 0; t < p.size(); ++t) {
      const double x =
          static_cast<double>(t) / static_cast<double>(std::max<std::int64_t>(n - 1, 1));
      walk = 0.9 * walk + 0.1 * g(rng);
      v[t] = c1 * std::cos(M_PI * x + p1) + c2 * std::cos(3 * M_PI * x + p2) +
             c3 * std::cos(7 * M_PI * x + p3) + 0.15 * walk;
      peak = std::max(peak, std::fabs(v[t]));
    }
    for (std::size_t t = 0; t < p.size(); ++t) p[t][a] = 0.8 * amp * v[t] / peak;
  }
  std::uniform_int_distribution<std::int64_t> when(0, n - 1);
  for (int s = 0; s < spikes; ++s) {
    const auto t = static_cast<std::size_t>(when(rng));
    for (std::size_t a = 0; a < 6; ++a) p[t][a] += 0.2 * (a < 3 ? max_mm : max_deg) * g(rng);
  }
  const MotionParams mid = p[static_cast<std::size_t>(n / 2)];
  for (auto& row : p)
    for (std::size_t a = 0; a < 6; ++a) row[a] -= mid[a];
  return p;
}

io::Matrix4 rigid_matrix(const MotionParams& p, const std::array<double, 3>& c) {
  const double d2r = M_PI / 180.0;
  const double ax = p[3] * d2r, ay = p[4] * d2r, az = p[5] * d2r;
  const double cx = std::cos(ax), sx = std::sin(ax), cy = std::cos(ay), sy = std::sin(ay),
               cz = std::cos(az), sz = std::sin(az);
  // R = Rz · Rx · Ry (ITK Euler3DTransform with ComputeZYX off).
  const double Rx[3][3] = {{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}};
  const double Ry[3][3] = {{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}};
  const double Rz[3][3] = {{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}};
  double RxRy[3][3] = {}, R[3][3] = {};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) RxRy[i][j] += Rx[i][k] * Ry[k][j];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) R[i][j] += Rz[i][k] * RxRy[k][j];
  io::Matrix4 m = io::identity4();
  for (std::size_t i = 0; i < 3; ++i) {
    double rc = 0.0;
    for (std::size_t j = 0; j < 3; ++j) {
      m[i][j] = R[i][j];
      rc += R[i][j] * c[j];
    }
    m[i][3] = c[i] + p[i] - rc;
  }
  return m;
}

namespace {

/// Lanczos-3 kernel: sinc(d)·sinc(d/3) for |d| < 3.
double lanczos3(double d) {
  if (d == 0.0) return 1.0;
  if (std::fabs(d) >= 3.0) return 0.0;
  const double a = M_PI * d;
  return 3.0 * std::sin(a) * std::sin(a / 3.0) / (a * a);
}

/// The six taps and normalised weights of one axis at continuous index x.
struct Taps {
  std::int64_t first = 0;
  double w[6] = {};
};

Taps taps_at(double x) {
  Taps t;
  const double f = std::floor(x);
  t.first = static_cast<std::int64_t>(f) - 2;
  double sum = 0.0;
  for (int q = 0; q < 6; ++q) {
    t.w[q] = lanczos3(x - static_cast<double>(t.first + q));
    sum += t.w[q];
  }
  for (double& w : t.w) w /= sum;
  return t;
}

} // namespace

void resample_rigid(const Grid& grid, const float* in, const io::Matrix4& transform, float* out) {
  // voxel(out) → world → T⁻¹ → voxel(in)
  const io::Matrix4 m =
      io::multiply4(io::inverse4(grid.affine), io::multiply4(io::inverse4(transform), grid.affine));
  const std::int64_t nx = grid.dim[0], ny = grid.dim[1], nz = grid.dim[2];
  parallel_for(0, nz, [&](std::int64_t k) {
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) {
        const double x = m[0][0] * i + m[0][1] * j + m[0][2] * k + m[0][3];
        const double y = m[1][0] * i + m[1][1] * j + m[1][2] * k + m[1][3];
        const double z = m[2][0] * i + m[2][1] * j + m[2][2] * k + m[2][3];
        float val = 0.f;
        if (x > -3 && y > -3 && z > -3 && x < double(nx) + 2 && y < double(ny) + 2 &&
            z < double(nz) + 2) {
          const Taps tx = taps_at(x), ty = taps_at(y), tz = taps_at(z);
          double acc = 0.0;
          for (int c = 0; c < 6; ++c) {
            const std::int64_t zi = tz.first + c;
            if (zi < 0 || zi >= nz) continue;
            for (int b = 0; b < 6; ++b) {
              const std::int64_t yi = ty.first + b;
              if (yi < 0 || yi >= ny) continue;
              const float* row = in + nx * (yi + ny * zi);
              double line = 0.0;
              for (int a = 0; a < 6; ++a) {
                const std::int64_t xi = tx.first + a;
                if (xi >= 0 && xi < nx) line += tx.w[a] * row[xi];
              }
              acc += tz.w[c] * ty.w[b] * line;
            }
          }
          val = static_cast<float>(acc);
        }
        out[i + nx * (j + ny * k)] = val;
      }
  });
}

} // namespace dcae::sim
