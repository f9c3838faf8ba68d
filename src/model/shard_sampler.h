#pragma once
/// \file shard_sampler.h
/// Mini-batches of voxel time series drawn across many shards without loading them whole:
/// a seeded permutation of (shard, row) per epoch, rows read through an LRU cache of row blocks
/// bounded in megabytes. No LibTorch here.

#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <vector>

#include "io/shard.h"

namespace dcae::model {

struct SampleRef {
  std::int32_t shard = 0;
  std::int64_t row = 0;
};

class ShardSampler {
public:
  /// Opens every shard (they must share T). `voxel_fraction` keeps a seeded random subset of
  /// each shard's rows (selected(): the same rows in single-machine and distributed training);
  /// of those, `validation_fraction` (seeded, per shard) are held out as the
  /// validation set and never drawn for training. Throws input_error naming a shard that is
  /// unreadable or has another T.
  ShardSampler(const std::vector<std::filesystem::path>& shards, double voxel_fraction,
               std::uint64_t seed, std::int64_t cache_mb, double validation_fraction = 0.0);

  std::int64_t length() const { return t_; } ///< T
  std::int64_t size() const {
    return static_cast<std::int64_t>(samples_.size());
  } ///< training samples
  /// The held-out validation samples, in shard and row order.
  const std::vector<SampleRef>& validation() const { return validation_; }
  /// The samples of epoch `epoch` in a seeded random order (same seed and epoch → same order).
  std::vector<SampleRef> epoch_order(std::int64_t epoch) const;
  /// The number of shards.
  std::size_t shards() const { return readers_.size(); }
  /// The number of rows of shard `s`.
  std::int64_t rows(std::int32_t s) const {
    return readers_[static_cast<std::size_t>(s)]->info().n_voxels;
  }
  /// Whether row `row` of shard `shard` is in the voxel subset (train.voxel_fraction): a hash
  /// of (seed, shard, row), so any process decides it alone.
  bool selected(std::int32_t shard, std::int64_t row) const;
  /// Copies the series of `refs` into `out` (refs.size()·T floats).
  void fill(const std::vector<SampleRef>& refs, float* out);

private:
  const float* row(const SampleRef& r);
  std::int64_t t_ = 0;
  std::uint64_t seed_;
  double voxel_fraction_ = 1.0;
  std::vector<std::unique_ptr<io::ShardReader>> readers_;
  std::vector<SampleRef> samples_, validation_;
  // LRU cache of row blocks: key (shard, block) → data.
  static constexpr std::int64_t kBlockRows = 512;
  std::size_t max_blocks_ = 1;
  std::list<std::pair<std::pair<std::int32_t, std::int64_t>, std::vector<float>>> lru_;
  std::map<std::pair<std::int32_t, std::int64_t>, decltype(lru_)::iterator> index_;
};

} // namespace dcae::model
