#include "preproc/template_registration.h"

#include <itkAffineTransform.h>
#include <itkCenteredTransformInitializer.h>
#include <itkImageRegistrationMethodv4.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkMattesMutualInformationImageToImageMetricv4.h>
#include <itkNearestNeighborInterpolateImageFunction.h>
#include <itkRegistrationParameterScalesFromPhysicalShift.h>
#include <itkRegularStepGradientDescentOptimizerv4.h>
#include <itkResampleImageFilter.h>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/threads.h"
#include "preproc/itk_bridge.h"
#include "preproc/registration_setup.h"

namespace dcae::preproc {
namespace {

using itkb::Volume;
using Affine = itk::AffineTransform<double, 3>;

Affine::Pointer to_itk(const AffineMap& m) {
  auto t = Affine::New();
  Affine::MatrixType mat;
  Affine::OutputVectorType off;
  for (unsigned int r = 0; r < 3; ++r) {
    for (unsigned int c = 0; c < 3; ++c) mat[r][c] = m.matrix[r][c];
    off[r] = m.offset[r];
  }
  t->SetMatrix(mat);
  t->SetOffset(off);
  return t;
}

io::ImageHeader as_3d(io::ImageHeader h) {
  h.dim[3] = 1;
  h.tr_s = 0;
  return h;
}

} // namespace

std::array<double, 3> AffineMap::apply(const std::array<double, 3>& p) const {
  std::array<double, 3> q{};
  for (std::size_t r = 0; r < 3; ++r)
    q[r] = matrix[r][0] * p[0] + matrix[r][1] * p[1] + matrix[r][2] * p[2] + offset[r];
  return q;
}

AffineMap register_to_template(const io::ImageHeader& run_header, const std::vector<float>& mean,
                               const io::Image& templ) {
  try {
    const auto moving = itkb::make_volume(as_3d(run_header), mean.data());
    const auto fixed = itkb::make_volume(as_3d(templ.header()), templ.data().data());
    auto transform = Affine::New();
    auto init = itk::CenteredTransformInitializer<Affine, Volume, Volume>::New();
    init->SetTransform(transform);
    init->SetFixedImage(fixed);
    init->SetMovingImage(moving);
    init->MomentsOn();
    init->InitializeTransform();

    using Metric = itk::MattesMutualInformationImageToImageMetricv4<Volume, Volume>;
    using Optimizer = itk::RegularStepGradientDescentOptimizerv4<double>;
    using Registration = itk::ImageRegistrationMethodv4<Volume, Volume, Affine>;
    auto metric = Metric::New();
    metric->SetNumberOfHistogramBins(32);
    auto optimizer = Optimizer::New();
    auto scales = itk::RegistrationParameterScalesFromPhysicalShift<Metric>::New();
    scales->SetMetric(metric);
    optimizer->SetScalesEstimator(scales);
    optimizer->SetDoEstimateLearningRateOnce(true);
    optimizer->SetMaximumStepSizeInPhysicalUnits(2.0); // mm
    optimizer->SetLearningRate(1.0);
    optimizer->SetMinimumStepLength(1e-4);
    optimizer->SetRelaxationFactor(0.7);
    optimizer->SetNumberOfIterations(300);
    optimizer->SetReturnBestParametersAndValue(true);
    auto reg =
        itkb::make_registration<Registration>(fixed, moving, metric, optimizer, transform, 3);
    reg->SetMetricSamplingStrategy(Registration::MetricSamplingStrategyEnum::RANDOM);
    reg->SetMetricSamplingPercentage(0.25);
    reg->MetricSamplingReinitializeSeed(20261127); // deterministic
    reg->SetNumberOfWorkUnits(static_cast<itk::ThreadIdType>(thread_count()));
    reg->Update();
    log::debug("template registration: ", optimizer->GetStopConditionDescription(), "; MI ",
               optimizer->GetValue());
    AffineMap m;
    const auto mat = transform->GetMatrix();
    const auto off = transform->GetOffset();
    for (unsigned int r = 0; r < 3; ++r) {
      for (unsigned int c = 0; c < 3; ++c) m.matrix[r][c] = mat[r][c];
      m.offset[r] = off[r];
    }
    return m;
  } catch (const itk::ExceptionObject& e) {
    throw runtime_error(std::string("template registration: ITK: ") + e.GetDescription());
  }
}

io::Image resample_run(const io::Image& run, const AffineMap& map, const io::ImageHeader& templ) {
  io::ImageHeader h = templ;
  h.dim[3] = run.nt();
  h.tr_s = run.header().tr_s;
  h.slice_dim = 0;
  io::Image out(h);
  const auto transform = to_itk(map);
  const auto reference = itkb::make_volume(as_3d(templ), out.volume(0));
  ProgressBar bar("resampling into template space", static_cast<std::uint64_t>(run.nt()),
                  "volumes");
  parallel_for(0, run.nt(), [&](std::int64_t t) {
    try {
      auto rs = itk::ResampleImageFilter<Volume, Volume>::New();
      rs->SetInput(itkb::make_volume(as_3d(run.header()), run.volume(t)));
      rs->SetTransform(transform);
      rs->SetInterpolator(itk::LinearInterpolateImageFunction<Volume, double>::New());
      rs->SetReferenceImage(reference);
      rs->UseReferenceImageOn();
      rs->SetDefaultPixelValue(0.f);
      rs->SetNumberOfWorkUnits(1);
      rs->Update();
      itkb::copy_out(*rs->GetOutput(), out.volume(t));
    } catch (const itk::ExceptionObject& e) {
      throw runtime_error(std::string("resampling into template space: ITK: ") +
                          e.GetDescription());
    }
    bar.advance();
  });
  return out;
}

std::vector<std::uint8_t> resample_mask(const io::ImageHeader& run_header,
                                        const std::vector<std::uint8_t>& mask, const AffineMap& map,
                                        const io::ImageHeader& templ) {
  std::vector<float> m(mask.begin(), mask.end());
  std::vector<float> blank(static_cast<std::size_t>(templ.voxels_per_volume()), 0.f);
  auto rs = itk::ResampleImageFilter<Volume, Volume>::New();
  rs->SetInput(itkb::make_volume(as_3d(run_header), m.data()));
  rs->SetTransform(to_itk(map));
  rs->SetInterpolator(itk::NearestNeighborInterpolateImageFunction<Volume, double>::New());
  rs->SetReferenceImage(itkb::make_volume(as_3d(templ), blank.data()));
  rs->UseReferenceImageOn();
  rs->SetDefaultPixelValue(0.f);
  rs->Update();
  std::vector<float> out(blank.size());
  itkb::copy_out(*rs->GetOutput(), out.data());
  std::vector<std::uint8_t> result(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) result[i] = out[i] > 0.5f ? 1 : 0;
  return result;
}

} // namespace dcae::preproc
