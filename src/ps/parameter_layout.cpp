#include "ps/parameter_layout.h"

#include <algorithm>

#include "core/error.h"

namespace dcae::ps {

ParameterLayout::ParameterLayout(std::int64_t total_size, int num_shards)
    : total_(total_size), num_shards_(num_shards) {
  if (num_shards < 1)
    throw usage_error("parameter layout: the number of shards must be ≥ 1, got " +
                      std::to_string(num_shards));
  if (total_size < num_shards) {
    throw usage_error("parameter layout: " + std::to_string(total_size) +
                      " parameters cannot fill " + std::to_string(num_shards) + " shards");
  }
}

namespace {
std::int64_t sum_sizes(const std::vector<std::pair<std::string, std::int64_t>>& tensors) {
  std::int64_t total = 0;
  for (const auto& [name, size] : tensors) {
    if (size < 0) throw usage_error("parameter layout: tensor " + name + " has a negative size");
    total += size;
  }
  return total;
}
} // namespace

ParameterLayout::ParameterLayout(const std::vector<std::pair<std::string, std::int64_t>>& tensors,
                                 int num_shards)
    : ParameterLayout(sum_sizes(tensors), num_shards) {
  std::int64_t offset = 0;
  for (const auto& [name, size] : tensors) {
    tensors_.push_back({name, offset, size});
    offset += size;
  }
}

Range ParameterLayout::shard(int s) const {
  if (s < 0 || s >= num_shards_) {
    throw usage_error("parameter layout: shard " + std::to_string(s) + " out of range [0, " +
                      std::to_string(num_shards_) + ")");
  }
  const std::int64_t base = total_ / num_shards_;
  const std::int64_t rem = total_ % num_shards_;
  const std::int64_t begin = s * base + std::min<std::int64_t>(s, rem);
  return {begin, begin + base + (s < rem ? 1 : 0)};
}

int ParameterLayout::shard_of(std::int64_t i) const {
  const std::int64_t base = total_ / num_shards_;
  const std::int64_t rem = total_ % num_shards_;
  const std::int64_t big = rem * (base + 1); // values held by the larger shards
  if (i < big) return static_cast<int>(i / (base + 1));
  return static_cast<int>(rem + (i - big) / base);
}

} // namespace dcae::ps
