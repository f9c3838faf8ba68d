#include "preproc/brain_mask.h"

#include <algorithm>
#include <cmath>

#include <itkBinaryDilateImageFilter.h>
#include <itkBinaryFillholeImageFilter.h>
#include <itkBinaryThresholdImageFilter.h>
#include <itkConnectedComponentImageFilter.h>
#include <itkFlatStructuringElement.h>
#include <itkRelabelComponentImageFilter.h>

#include "core/error.h"
#include "preproc/itk_bridge.h"

namespace dcae::preproc {

std::vector<float> temporal_mean(const io::Image& bold) {
  const auto nvox = static_cast<std::size_t>(bold.header().voxels_per_volume());
  std::vector<double> sum(nvox, 0.0);
  for (std::int64_t t = 0; t < bold.nt(); ++t) {
    const float* v = bold.volume(t);
    for (std::size_t i = 0; i < nvox; ++i) sum[i] += v[i];
  }
  std::vector<float> mean(nvox);
  for (std::size_t i = 0; i < nvox; ++i)
    mean[i] = static_cast<float>(sum[i] / static_cast<double>(bold.nt()));
  return mean;
}

namespace {
double percentile(std::vector<float> v, double p) {
  v.erase(std::remove_if(v.begin(), v.end(), [](float x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return 0.0;
  const auto k =
      static_cast<std::size_t>(std::llround(p / 100.0 * static_cast<double>(v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}
} // namespace

std::vector<std::uint8_t> brain_mask(const io::ImageHeader& header, const std::vector<float>& mean,
                                     const BrainMaskOptions& opt) {
  using itkb::Mask;
  const double p2 = percentile(mean, 2.0), p98 = percentile(mean, 98.0);
  const double thr = p2 + opt.fraction * (p98 - p2);
  std::vector<std::uint8_t> above(mean.size());
  for (std::size_t i = 0; i < mean.size(); ++i)
    above[i] = std::isfinite(mean[i]) && mean[i] > thr ? 1 : 0;
  if (std::none_of(above.begin(), above.end(), [](std::uint8_t b) { return b != 0; })) {
    throw input_error("brain mask: no voxel is above the threshold " + std::to_string(thr) +
                      " (is the image blank?)");
  }
  try {
    io::ImageHeader h3 = header;
    h3.dim[3] = 1;
    const auto binary = itkb::make_mask(h3, above);
    using Labels = itk::Image<unsigned int, 3>;
    auto cc = itk::ConnectedComponentImageFilter<Mask, Labels>::New();
    cc->SetInput(binary);
    cc->SetFullyConnected(false);
    auto relabel = itk::RelabelComponentImageFilter<Labels, Labels>::New(); // 1 = largest
    relabel->SetInput(cc->GetOutput());
    auto largest = itk::BinaryThresholdImageFilter<Labels, Mask>::New();
    largest->SetInput(relabel->GetOutput());
    largest->SetLowerThreshold(1);
    largest->SetUpperThreshold(1);
    largest->SetInsideValue(1);
    largest->SetOutsideValue(0);
    auto fill = itk::BinaryFillholeImageFilter<Mask>::New();
    fill->SetInput(largest->GetOutput());
    fill->SetForegroundValue(1);
    fill->SetFullyConnected(false);
    fill->Update();
    Mask::Pointer result = fill->GetOutput();
    using Box = itk::FlatStructuringElement<3>;
    Box::RadiusType radius;
    radius.Fill(1);
    const Box box = Box::Box(radius);
    for (int d = 0; d < opt.dilations; ++d) {
      auto dilate = itk::BinaryDilateImageFilter<Mask, Mask, Box>::New();
      dilate->SetInput(result);
      dilate->SetKernel(box);
      dilate->SetForegroundValue(1);
      dilate->SetBackgroundValue(0);
      dilate->Update();
      result = dilate->GetOutput();
    }
    std::vector<std::uint8_t> out(mean.size());
    std::copy(result->GetBufferPointer(), result->GetBufferPointer() + out.size(), out.begin());
    return out;
  } catch (const itk::ExceptionObject& e) {
    throw runtime_error(std::string("brain mask: ITK: ") + e.GetDescription());
  }
}

} // namespace dcae::preproc
