// BIDS events.tsv and FSL three-column EV files.
#include "fuzz_util.h"
#include "io/events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto tsv = dcae::fuzz::as_file(data, size, "sub-01_task-x_events.tsv");
  dcae::fuzz::expect_clean([&] { dcae::io::read_bids_events(tsv); });
  const auto ev = dcae::fuzz::as_file(data, size, "lf.txt");
  dcae::fuzz::expect_clean([&] { dcae::io::read_fsl_ev(ev); });
  return 0;
}
