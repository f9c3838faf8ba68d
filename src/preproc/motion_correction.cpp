#include "preproc/motion_correction.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <itkBSplineInterpolateImageFunction.h>
#include <itkEuler3DTransform.h>
#include <itkImageRegistrationMethodv4.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkMeanSquaresImageToImageMetricv4.h>
#include <itkMultiThreaderBase.h>
#include <itkRegularStepGradientDescentOptimizerv4.h>
#include <itkResampleImageFilter.h>
#include <itkVersorRigid3DTransform.h>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/threads.h"
#include "preproc/itk_bridge.h"
#include "preproc/registration_setup.h"

namespace dcae::preproc {
namespace {

using itkb::Volume;
using Transform = itk::VersorRigid3DTransform<double>;
using Euler = itk::Euler3DTransform<double>;
using Optimizer = itk::RegularStepGradientDescentOptimizerv4<double>;
using Metric = itk::MeanSquaresImageToImageMetricv4<Volume, Volume>;
using Registration = itk::ImageRegistrationMethodv4<Volume, Volume, Transform>;

constexpr double kRad2Deg = 180.0 / M_PI;
/// Typical distance (mm) of brain voxels from the centre: balances rotation and translation
/// steps so that one unit of either moves tissue about equally far.
constexpr double kBrainRadiusMm = 50.0;

/// ITK runs single-threaded inside each registration; we run volumes in parallel instead.
void single_threaded_itk() {
  static std::once_flag once;
  std::call_once(once, [] { itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(1); });
}

/// The rigid transform as Euler3DTransform parameters (rotations R = Rz·Rx·Ry about the same
/// centre): the convention of our outputs and of dcae-simulate.
RigidParams to_params(const Transform& t) {
  auto e = Euler::New();
  e->SetCenter(t.GetCenter());
  e->SetMatrix(t.GetMatrix());
  e->SetOffset(t.GetOffset());
  const auto p = e->GetParameters(); // angleX, angleY, angleZ (rad), tx, ty, tz (mm)
  return {p[3], p[4], p[5], p[0] * kRad2Deg, p[1] * kRad2Deg, p[2] * kRad2Deg};
}

/// Metric points per pyramid level at most (a fifth of a 4 mm grid of a head: 40×48×36 voxels).
constexpr double kMetricSamples = 14000.0;

/// The sampled share of each level's voxels (shrink 2^(levels-1-l)): a fifth, or
/// kMetricSamples points when that is fewer.
Registration::MetricSamplingPercentageArrayType sampling_per_level(const Volume& fixed,
                                                                   unsigned int levels) {
  Registration::MetricSamplingPercentageArrayType pct(levels);
  const double voxels = static_cast<double>(fixed.GetLargestPossibleRegion().GetNumberOfPixels());
  for (unsigned int l = 0; l < levels; ++l) {
    const double shrink = static_cast<double>(1u << (levels - 1 - l));
    pct[l] = std::min(0.2, kMetricSamples / (voxels / (shrink * shrink * shrink)));
  }
  return pct;
}

/// Registers `moving` to `fixed`; returns the transform (fixed → moving points).
Transform::Pointer register_volume(const Volume::Pointer& fixed, const Volume::Pointer& moving,
                                   const itk::Point<double, 3>& centre,
                                   const MotionCorrectionOptions& opt, const Transform* start) {
  auto transform = Transform::New();
  transform->SetIdentity();
  transform->SetCenter(centre);
  if (start) transform->SetParameters(start->GetParameters());

  auto metric = Metric::New();
  auto optimizer = Optimizer::New();
  // Versor (rotation) parameters move tissue about kBrainRadiusMm per unit; translations 1 mm.
  Optimizer::ScalesType scales(transform->GetNumberOfParameters());
  for (unsigned int i = 0; i < 3; ++i) scales[i] = 1.0;
  for (unsigned int i = 3; i < 6; ++i) scales[i] = 1.0 / (kBrainRadiusMm * kBrainRadiusMm);
  optimizer->SetScales(scales);
  // Small first steps: volumes start from their neighbour's solution. A gentle relaxation:
  // the coupled rotation/translation valley makes the gradient turn often.
  optimizer->SetLearningRate(start ? 0.05 : 0.2);
  optimizer->SetMinimumStepLength(1e-5);
  optimizer->SetRelaxationFactor(0.85);
  optimizer->SetGradientMagnitudeTolerance(1e-12);
  optimizer->SetNumberOfIterations(static_cast<itk::SizeValueType>(opt.max_iterations));
  optimizer->SetReturnBestParametersAndValue(true);

  const auto levels = static_cast<unsigned int>(std::max(1, opt.levels));
  auto reg =
      itkb::make_registration<Registration>(fixed, moving, metric, optimizer, transform, levels);
  // A regular fifth of the voxels: the metric stays smooth, 5x cheaper (at 4 mm voxels the
  // rotation error grows from 0.06 to 0.08 deg against 25%; see tests/bench/bench_motion.sh).
  // On finer grids at most kMetricSamples points per level: a rigid fit needs a number of
  // points, not a share of the grid, and a 2 mm HCP volume has 13x the voxels of a 4 mm one.
  reg->SetMetricSamplingStrategy(Registration::MetricSamplingStrategyEnum::REGULAR);
  reg->SetMetricSamplingPercentagePerLevel(sampling_per_level(*fixed, levels));
  reg->MetricSamplingReinitializeSeed(20261127); // ITK jitters regular samples: make it repeatable
  reg->Update();
  log::debug("registration: ", optimizer->GetStopConditionDescription(), "; metric ",
             optimizer->GetValue());
  return transform;
}

void resample_into(const Volume::Pointer& fixed, const Volume::Pointer& moving,
                   const Transform::Pointer& transform, Interpolation interp, float* out) {
  using Resample = itk::ResampleImageFilter<Volume, Volume>;
  auto rs = Resample::New();
  rs->SetInput(moving);
  rs->SetTransform(transform);
  rs->SetReferenceImage(fixed);
  rs->UseReferenceImageOn();
  rs->SetDefaultPixelValue(0.0f);
  if (interp == Interpolation::kBSpline) {
    rs->SetInterpolator(itk::BSplineInterpolateImageFunction<Volume, double, double>::New());
  } else {
    rs->SetInterpolator(itk::LinearInterpolateImageFunction<Volume, double>::New());
  }
  rs->Update();
  itkb::copy_out(*rs->GetOutput(), out);
}

/// Splits volumes [0, n) into about `k` chains of neighbouring volumes, each ordered away from
/// `ref` (volumes after it ascending, before it descending).
std::vector<std::vector<std::int64_t>> make_chains(std::int64_t n, std::int64_t ref, int k) {
  std::vector<std::vector<std::int64_t>> chains;
  const std::int64_t after = n - ref, before = ref; // [ref, n) and [0, ref)
  const int k_after = std::max(1, static_cast<int>(std::lround(k * double(after) / double(n))));
  const int k_before = before > 0 ? std::max(1, k - k_after) : 0;
  for (int c = 0; c < k_after; ++c) {
    std::vector<std::int64_t> chain;
    for (std::int64_t t = ref + after * c / k_after; t < ref + after * (c + 1) / k_after; ++t)
      chain.push_back(t);
    if (!chain.empty()) chains.push_back(chain);
  }
  for (int c = 0; c < k_before; ++c) {
    std::vector<std::int64_t> chain;
    for (std::int64_t t = ref - 1 - before * c / k_before;
         t > ref - 1 - before * (c + 1) / k_before; --t)
      chain.push_back(t);
    if (!chain.empty()) chains.push_back(chain);
  }
  return chains;
}

/// One pass: registers every volume of `source` to `reference`, writes the resampled volumes
/// into `bold` and returns the parameters.
std::vector<RigidParams> register_all(const io::Image& source, const std::vector<float>& reference,
                                      std::int64_t reference_index, io::Image& bold,
                                      const MotionCorrectionOptions& opt, const char* label) {
  const io::ImageHeader& h = source.header();
  const auto fixed = itkb::make_volume(h, reference.data());
  const auto centre = itkb::grid_centre(h);
  const std::int64_t n = source.nt();
  std::vector<RigidParams> params(static_cast<std::size_t>(n));
  ProgressBar bar(label, static_cast<std::uint64_t>(n), "volumes");
  // Head motion is smooth in time: each volume starts from its neighbour's solution. The run is
  // cut into chains that walk away from the reference, one per thread.
  const auto chains = make_chains(n, reference_index, thread_count());
  parallel_for(0, static_cast<std::int64_t>(chains.size()), [&](std::int64_t c) {
    Transform::Pointer previous;
    for (const std::int64_t t : chains[static_cast<std::size_t>(c)]) {
      with_context("registering volume " + std::to_string(t), [&] {
        try {
          const auto moving = itkb::make_volume(h, source.volume(t));
          auto transform = register_volume(fixed, moving, centre, opt, previous.GetPointer());
          params[static_cast<std::size_t>(t)] = to_params(*transform);
          resample_into(fixed, moving, transform, opt.interpolation, bold.volume(t));
          previous = transform;
        } catch (const itk::ExceptionObject& e) {
          throw runtime_error(std::string("ITK: ") + e.GetDescription());
        }
      });
      bar.advance();
    }
  });
  return params;
}

} // namespace

MotionCorrectionResult motion_correct(io::Image& bold, const MotionCorrectionOptions& opt) {
  if (bold.header().ndim() != 4) throw input_error("motion correction needs a 4-D image");
  single_threaded_itk();
  const std::int64_t n = bold.nt();
  const auto nvox = static_cast<std::size_t>(bold.header().voxels_per_volume());
  MotionCorrectionResult res;
  std::int64_t ref = n / 2;
  if (opt.reference == ReferenceMode::kIndex) {
    if (opt.reference_index < 0 || opt.reference_index >= n) {
      throw usage_error("reference volume " + std::to_string(opt.reference_index) +
                        " is outside the run's 0.." + std::to_string(n - 1));
    }
    ref = opt.reference_index;
  }
  res.reference.assign(bold.volume(ref), bold.volume(ref) + nvox);
  res.reference_index = ref;
  if (opt.reference == ReferenceMode::kMean) {
    const io::Image original = bold;
    register_all(original, res.reference, ref, bold, opt,
                 "motion correction (pass 1: to the middle volume)");
    std::vector<double> mean(nvox, 0.0);
    for (std::int64_t t = 0; t < n; ++t) {
      const float* v = bold.volume(t);
      for (std::size_t i = 0; i < nvox; ++i) mean[i] += v[i];
    }
    for (std::size_t i = 0; i < nvox; ++i)
      res.reference[i] = static_cast<float>(mean[i] / static_cast<double>(n));
    res.reference_index = -1;
    res.params = register_all(original, res.reference, ref, bold, opt,
                              "motion correction (pass 2: to the mean)");
  } else {
    // In place: each volume is copied into ITK before its resampled version is written back.
    res.params = register_all(bold, res.reference, ref, bold, opt, "motion correction");
  }
  return res;
}

} // namespace dcae::preproc
