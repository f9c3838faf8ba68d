// The NIfTI-1/2 reader (header and data), as .nii and as .nii.gz: the first byte chooses.
#include "fuzz_util.h"
#include "io/nifti.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool gz = data[0] & 1;
  const auto file = dcae::fuzz::as_file(data + 1, size - 1, gz ? "x_bold.nii.gz" : "x_bold.nii");
  dcae::fuzz::expect_clean([&] {
    const dcae::io::Image img = dcae::io::Image::read(file);
    (void)img.count_nonfinite();
  });
  return 0;
}
