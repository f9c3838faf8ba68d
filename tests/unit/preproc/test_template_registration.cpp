#include <cmath>

#include <gtest/gtest.h>

#include "core/log.h"
#include "preproc/template_registration.h"
#include "test_data.h"
#include "test_state.h"

namespace dcae::preproc {

// The MNI152 2 mm brain moved by a known affine (5° about z, 3° about x, 6% larger in x,
// translations of several mm) and resampled onto a 4 mm EPI-like grid plays the run's mean
// image; registering it back must recover the map within a fraction of an EPI voxel.
TEST(TemplateRegistration, RecoversAKnownAffineOfTheMniBrain) {
  const auto f = test::shared_data() / "templates" / "2mm-MNI152-2009fsl-brain.nii.gz";
  DCAE_REQUIRE_DATA(f);
  const io::Image templ = io::Image::read(f);
  // Truth: template point → run point.
  AffineMap truth;
  const double az = 5 * M_PI / 180, ax = 3 * M_PI / 180;
  const double Rz[3][3] = {
      {std::cos(az), -std::sin(az), 0}, {std::sin(az), std::cos(az), 0}, {0, 0, 1}};
  const double Rx[3][3] = {
      {1, 0, 0}, {0, std::cos(ax), -std::sin(ax)}, {0, std::sin(ax), std::cos(ax)}};
  const double S[3] = {1.06, 1.0, 0.97};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      double v = 0;
      for (int k = 0; k < 3; ++k) v += Rz[r][k] * Rx[k][c];
      truth.matrix[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)] = v * S[c];
    }
  truth.offset = {6.0, -4.0, 3.0};
  // The "run": a 4 mm grid around the same field of view; its content = template at truth⁻¹.
  io::ImageHeader run_h;
  run_h.dim = {46, 55, 46, 2};
  run_h.spacing_mm = {4, 4, 4};
  run_h.tr_s = 2;
  run_h.sform_code = run_h.qform_code = 1;
  run_h.sform = io::identity4();
  for (int i = 0; i < 3; ++i) run_h.sform[i][i] = 4;
  run_h.sform[0][3] = -90, run_h.sform[1][3] = -126, run_h.sform[2][3] = -72;
  run_h.qform = run_h.sform;
  // run(p) = template(truth⁻¹(p)): resample with the inverse map via resample_run's machinery.
  AffineMap inverse;
  {
    const auto& m = truth.matrix;
    const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                       m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                       m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    inverse.matrix = {{{(m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det,
                        (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det,
                        (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det},
                       {(m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det,
                        (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det,
                        (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det},
                       {(m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det,
                        (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det,
                        (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det}}};
    for (std::size_t r = 0; r < 3; ++r) {
      inverse.offset[r] = 0;
      for (std::size_t c = 0; c < 3; ++c)
        inverse.offset[r] -= inverse.matrix[r][c] * truth.offset[c];
    }
  }
  io::Image one_volume_template(templ.header());
  one_volume_template.data() = templ.data();
  const io::Image run = resample_run(one_volume_template, inverse, run_h); // template → run grid
  std::vector<float> mean(run.volume(0), run.volume(0) + run.header().voxels_per_volume());
  const test::LogLevel quiet_log(log::Level::kWarning);
  const AffineMap est = register_to_template(run.header(), mean, templ);
  // Displacement error over brain voxels of the template.
  double sum = 0, worst = 0, n = 0;
  const io::Matrix4 v2w = templ.header().voxel_to_world();
  for (std::int64_t k = 0; k < templ.nz(); k += 3)
    for (std::int64_t j = 0; j < templ.ny(); j += 3)
      for (std::int64_t i = 0; i < templ.nx(); i += 3) {
        if (templ.at(i, j, k) <= 0) continue;
        std::array<double, 3> p{};
        for (std::size_t r = 0; r < 3; ++r)
          p[r] = v2w[r][0] * i + v2w[r][1] * j + v2w[r][2] * k + v2w[r][3];
        const auto a = truth.apply(p), b = est.apply(p);
        const double d = std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                                   (a[2] - b[2]) * (a[2] - b[2]));
        sum += d, n += 1, worst = std::max(worst, d);
      }
  std::printf("template registration: mean displacement error %.3f mm, worst %.3f mm over %.0f "
              "brain points\n",
              sum / n, worst, n);
  EXPECT_LT(sum / n, 1.0); // a quarter of a 4 mm EPI voxel
  EXPECT_LT(worst, 2.5);
}

} // namespace dcae::preproc
