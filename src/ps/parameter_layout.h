#pragma once
/// \file parameter_layout.h
/// The model's parameters as one flat float vector: named tensors laid end to end, and the
/// vector sliced evenly into S contiguous shards (the first total % S shards hold one value
/// more). No LibTorch here: `app` binds the model's tensors to these offsets.

#include <cstdint>
#include <string>
#include <vector>

namespace dcae::ps {

/// A contiguous range [begin, end) of the flat vector.
struct Range {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
};

/// One named tensor's place in the flat vector.
struct TensorSlot {
  std::string name;
  std::int64_t offset = 0;
  std::int64_t size = 0;
};

/// Maps named tensors to a flat vector and the vector to S shards. Immutable after
/// construction; thread-safe to read.
class ParameterLayout {
public:
  ParameterLayout() = default;
  /// A layout of `total_size` anonymous values over `num_shards` shards. Throws usage_error
  /// when num_shards < 1, total_size < num_shards (a shard would be empty) or total_size < 0.
  ParameterLayout(std::int64_t total_size, int num_shards);
  /// Tensors laid end to end in the given order, over `num_shards` shards.
  ParameterLayout(const std::vector<std::pair<std::string, std::int64_t>>& tensors, int num_shards);

  std::int64_t total_size() const { return total_; }
  int num_shards() const { return num_shards_; }
  /// The range of shard `s` (0 ≤ s < S); throws usage_error for another s.
  Range shard(int s) const;
  /// The shard holding flat index `i`.
  int shard_of(std::int64_t i) const;
  const std::vector<TensorSlot>& tensors() const { return tensors_; }

private:
  std::int64_t total_ = 0;
  int num_shards_ = 1;
  std::vector<TensorSlot> tensors_;
};

} // namespace dcae::ps
