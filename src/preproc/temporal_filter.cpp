#include "preproc/temporal_filter.h"

#include "core/error.h"

namespace dcae::preproc {

void highpass_filter(io::Image& image, double cutoff_s) {
  const double sigma = highpass_sigma_volumes(cutoff_s, image.header().tr_s);
  dcae::highpass_filter(image.data().data(), image.header().voxels_per_volume(), image.nt(), sigma);
}

} // namespace dcae::preproc
