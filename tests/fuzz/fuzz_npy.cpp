// The .npy reader and the shard sidecar: the first byte splits the input into a JSON sidecar
// and the .npy bytes.
#include "fuzz_util.h"
#include "io/npy.h"
#include "io/shard.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t split = std::min<std::size_t>(size - 1, data[0] * 4u);
  const auto npy = dcae::fuzz::as_file(data + 1 + split, size - 1 - split, "s_timeseries.npy");
  dcae::fuzz::as_file(data + 1, split, "s_timeseries.json");
  dcae::fuzz::expect_clean([&] { dcae::io::read_npy(npy); });
  dcae::fuzz::expect_clean([&] { dcae::io::read_shard_info(npy); });
  return 0;
}
