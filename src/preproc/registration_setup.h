#pragma once
/// \file registration_setup.h
/// Private to preproc: the set-up shared by dcae's ITK v4 registrations (motion correction,
/// template registration).

#include <itkImageRegistrationMethodv4.h>

namespace dcae::preproc::itkb {

/// A registration of `moving` to `fixed` that optimises `transform` in place, with a pyramid of
/// `levels` levels: shrink factors 2^(levels-1) … 1 and Gaussian smoothing of levels-1 … 0 voxels.
template <typename Registration, typename Image, typename Metric, typename Optimizer,
          typename Transform>
typename Registration::Pointer make_registration(const Image& fixed, const Image& moving,
                                                 const Metric& metric, const Optimizer& optimizer,
                                                 const Transform& transform, unsigned int levels) {
  auto reg = Registration::New();
  reg->SetFixedImage(fixed);
  reg->SetMovingImage(moving);
  reg->SetMetric(metric);
  reg->SetOptimizer(optimizer);
  reg->SetInitialTransform(transform);
  reg->InPlaceOn();
  typename Registration::ShrinkFactorsArrayType shrink(levels);
  typename Registration::SmoothingSigmasArrayType sigmas(levels);
  for (unsigned int l = 0; l < levels; ++l) {
    shrink[l] = 1u << (levels - 1 - l);
    sigmas[l] = static_cast<double>(levels - 1 - l);
  }
  reg->SetNumberOfLevels(levels);
  reg->SetShrinkFactorsPerLevel(shrink);
  reg->SetSmoothingSigmasPerLevel(sigmas);
  reg->SetSmoothingSigmasAreSpecifiedInPhysicalUnits(false);
  return reg;
}

} // namespace dcae::preproc::itkb
