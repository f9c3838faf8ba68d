#include "core/error.h"

namespace dcae {

Error::Error(std::string message, ExitCode code) : chain_{std::move(message)}, code_(code) {
  rebuild();
}

Error& Error::context(std::string outer) {
  chain_.insert(chain_.begin(), std::move(outer));
  rebuild();
  return *this;
}

void Error::rebuild() {
  text_.clear();
  for (std::size_t i = 0; i < chain_.size(); ++i) {
    if (i) text_ += ": ";
    text_ += chain_[i];
  }
}

} // namespace dcae
