#include "preproc/itk_bridge.h"

#include <algorithm>
#include <cmath>

namespace dcae::preproc::itkb {
namespace {

template <typename ImageT> typename ImageT::Pointer allocate(const io::ImageHeader& h) {
  auto img = ImageT::New();
  typename ImageT::SizeType size;
  typename ImageT::SpacingType spacing;
  typename ImageT::PointType origin;
  typename ImageT::DirectionType direction;
  const io::Matrix4 m = h.voxel_to_world();
  for (unsigned int c = 0; c < 3; ++c) {
    size[c] = static_cast<itk::SizeValueType>(h.dim[c]);
    double norm = 0;
    for (unsigned int r = 0; r < 3; ++r) norm += m[r][c] * m[r][c];
    norm = std::sqrt(norm);
    spacing[c] = norm > 0 ? norm : 1.0;
    for (unsigned int r = 0; r < 3; ++r)
      direction[r][c] = norm > 0 ? m[r][c] / norm : (r == c ? 1.0 : 0.0);
    origin[c] = m[c][3];
  }
  typename ImageT::RegionType region;
  region.SetSize(size);
  img->SetRegions(region);
  img->SetSpacing(spacing);
  img->SetOrigin(origin);
  img->SetDirection(direction);
  img->Allocate();
  return img;
}

} // namespace

Volume::Pointer make_volume(const io::ImageHeader& header, const float* data) {
  auto img = allocate<Volume>(header);
  std::copy(data, data + header.voxels_per_volume(), img->GetBufferPointer());
  return img;
}

Mask::Pointer make_mask(const io::ImageHeader& header, const std::vector<std::uint8_t>& mask) {
  auto img = allocate<Mask>(header);
  std::copy(mask.begin(), mask.end(), img->GetBufferPointer());
  return img;
}

void copy_out(const Volume& volume, float* out) {
  const auto n = volume.GetLargestPossibleRegion().GetNumberOfPixels();
  std::copy(volume.GetBufferPointer(), volume.GetBufferPointer() + n, out);
}

itk::Point<double, 3> grid_centre(const io::ImageHeader& header) {
  const io::Matrix4 m = header.voxel_to_world();
  itk::Point<double, 3> p;
  for (unsigned int r = 0; r < 3; ++r) {
    double v = m[r][3];
    for (unsigned int c = 0; c < 3; ++c)
      v += m[r][c] * 0.5 * static_cast<double>(header.dim[c] - 1);
    p[r] = v;
  }
  return p;
}

} // namespace dcae::preproc::itkb
