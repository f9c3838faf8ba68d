#include "preproc/smoothing.h"

#include <cmath>

#include <itkDiscreteGaussianImageFilter.h>
#include <itkMultiThreaderBase.h>

#include "core/error.h"
#include "core/threads.h"
#include "preproc/itk_bridge.h"

namespace dcae::preproc {
namespace {

/// Discrete Gaussian (ITK): its variance is exactly σ², even when σ is below a voxel.
std::vector<float> gaussian(const io::ImageHeader& h, const float* data, double sigma_mm) {
  auto f = itk::DiscreteGaussianImageFilter<itkb::Volume, itkb::Volume>::New();
  f->SetInput(itkb::make_volume(h, data));
  f->SetUseImageSpacing(true);
  f->SetVariance(sigma_mm * sigma_mm);
  f->SetMaximumError(1e-3);
  f->SetMaximumKernelWidth(128);
  f->SetNumberOfWorkUnits(1);
  f->Update();
  std::vector<float> out(static_cast<std::size_t>(h.voxels_per_volume()));
  itkb::copy_out(*f->GetOutput(), out.data());
  return out;
}

} // namespace

double fwhm_to_sigma(double fwhm_mm) {
  return fwhm_mm / (2.0 * std::sqrt(2.0 * std::log(2.0)));
}

void smooth(io::Image& image, const std::vector<std::uint8_t>& mask, double fwhm_mm) {
  if (!(fwhm_mm > 0)) return;
  const auto nvox = static_cast<std::size_t>(image.header().voxels_per_volume());
  if (!mask.empty() && mask.size() != nvox)
    throw usage_error("smoothing: mask and image grids differ");
  io::ImageHeader h = image.header();
  h.dim[3] = 1;
  const double sigma = fwhm_to_sigma(fwhm_mm);
  try {
    std::vector<float> weight;
    if (!mask.empty()) {
      std::vector<float> m(mask.begin(), mask.end());
      weight = gaussian(h, m.data(), sigma);
    }
    parallel_for(0, image.nt(), [&](std::int64_t t) {
      float* v = image.volume(t);
      std::vector<float> in(v, v + nvox);
      if (!mask.empty()) {
        for (std::size_t i = 0; i < nvox; ++i) in[i] = mask[i] ? in[i] : 0.f;
      }
      const std::vector<float> s = gaussian(h, in.data(), sigma);
      for (std::size_t i = 0; i < nvox; ++i) {
        if (mask.empty()) {
          v[i] = s[i];
        } else {
          v[i] = mask[i] && weight[i] > 1e-6f ? s[i] / weight[i] : 0.f;
        }
      }
    });
  } catch (const itk::ExceptionObject& e) {
    throw runtime_error(std::string("smoothing: ITK: ") + e.GetDescription());
  }
}

} // namespace dcae::preproc
