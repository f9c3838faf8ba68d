// The YAML configuration loader (--config files, model YAML): every value type of a schema.
#include <string>

#include "core/config.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dcae::config::Key;
  using dcae::config::Type;
  static const std::vector<Key> schema = [] {
    std::vector<Key> s(6);
    s[0].name = "subjects";
    s[0].type = Type::kInt;
    s[0].min = 1;
    s[0].max = 100;
    s[1].name = "fwhm";
    s[1].type = Type::kFloat;
    s[1].min = 0;
    s[2].name = "layout";
    s[2].type = Type::kString;
    s[2].choices = {"bids", "hcp"};
    s[3].name = "grid";
    s[3].type = Type::kIntList;
    s[4].name = "labels";
    s[4].type = Type::kStringList;
    s[5].name = "overwrite";
    s[5].type = Type::kBool;
    return s;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  dcae::fuzz::expect_clean([&] { dcae::config::parse(text, "fuzz.yaml", schema); });
  return 0;
}
