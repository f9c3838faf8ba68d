#include "model/shard_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "core/error.h"

namespace dcae::model {

ShardSampler::ShardSampler(const std::vector<std::filesystem::path>& shards, double voxel_fraction,
                           std::uint64_t seed, std::int64_t cache_mb, double validation_fraction)
    : seed_(seed), voxel_fraction_(voxel_fraction) {
  if (shards.empty()) throw usage_error("no time-series shards given");
  std::mt19937_64 held_out(seed ^ 0x7e57ULL);
  for (std::size_t s = 0; s < shards.size(); ++s) {
    readers_.push_back(std::make_unique<io::ShardReader>(shards[s]));
    const auto& info = readers_.back()->info();
    if (s == 0) t_ = info.n_timepoints;
    if (info.n_timepoints != t_) {
      throw input_error(shards[s].string() + ": has T = " + std::to_string(info.n_timepoints) +
                        ", the first shard has T = " + std::to_string(t_) +
                        " (all shards must match)");
    }
    std::vector<std::int64_t> rows;
    for (std::int64_t r = 0; r < info.n_voxels; ++r)
      if (selected(static_cast<std::int32_t>(s), r)) rows.push_back(r);
    if (rows.empty() && info.n_voxels > 0) rows.push_back(0); // every run keeps a voxel
    std::vector<char> validation(rows.size(), 0);
    if (validation_fraction > 0 && rows.size() > 1) {
      std::vector<std::size_t> pick(rows.size());
      for (std::size_t i = 0; i < pick.size(); ++i) pick[i] = i;
      std::shuffle(pick.begin(), pick.end(), held_out);
      const auto n =
          std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(
                                      validation_fraction * static_cast<double>(rows.size()))),
                                  1, rows.size() - 1);
      for (std::size_t i = 0; i < n; ++i) validation[pick[i]] = 1;
    }
    for (std::size_t i = 0; i < rows.size(); ++i)
      (validation[i] ? validation_ : samples_).push_back({static_cast<std::int32_t>(s), rows[i]});
  }
  const double block_mb = static_cast<double>(kBlockRows * t_) * 4.0 / 1048576.0;
  max_blocks_ = static_cast<std::size_t>(std::max(1.0, static_cast<double>(cache_mb) / block_mb));
}

bool ShardSampler::selected(std::int32_t shard, std::int64_t row) const {
  if (voxel_fraction_ >= 1.0) return true;
  std::uint64_t x = seed_ * 0x9E3779B97F4A7C15ULL ^ (static_cast<std::uint64_t>(shard) << 40) ^
                    static_cast<std::uint64_t>(row);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return static_cast<double>(x >> 11) / 9007199254740992.0 < voxel_fraction_;
}

std::vector<SampleRef> ShardSampler::epoch_order(std::int64_t epoch) const {
  std::vector<SampleRef> order = samples_;
  std::mt19937_64 rng(seed_ * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(epoch) + 1);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

const float* ShardSampler::row(const SampleRef& r) {
  const std::pair<std::int32_t, std::int64_t> key{r.shard, r.row / kBlockRows};
  auto it = index_.find(key);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
  } else {
    if (lru_.size() >= max_blocks_) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    auto& reader = *readers_[static_cast<std::size_t>(r.shard)];
    const std::int64_t first = key.second * kBlockRows;
    const std::int64_t count = std::min(kBlockRows, reader.info().n_voxels - first);
    std::vector<float> block(static_cast<std::size_t>(count * t_));
    reader.read_rows(first, count, block.data());
    lru_.emplace_front(key, std::move(block));
    index_[key] = lru_.begin();
  }
  return lru_.front().second.data() + (r.row % kBlockRows) * t_;
}

void ShardSampler::fill(const std::vector<SampleRef>& refs, float* out) {
  for (std::size_t i = 0; i < refs.size(); ++i) {
    std::memcpy(out + static_cast<std::int64_t>(i) * t_, row(refs[i]),
                static_cast<std::size_t>(t_) * sizeof(float));
  }
}

} // namespace dcae::model
