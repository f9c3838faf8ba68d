// JSON sidecars (io::read_json) and BIDS file names (io::parse_bids_name).
#include <string>

#include "fuzz_util.h"
#include "io/bids_layout.h"
#include "io/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto json = dcae::fuzz::as_file(data, size, "sub-01_task-x_bold.json");
  dcae::fuzz::expect_clean([&] { dcae::io::read_json(json); });
  const std::string name(reinterpret_cast<const char*>(data), size);
  dcae::fuzz::expect_clean([&] { dcae::io::parse_bids_name(name); });
  return 0;
}
