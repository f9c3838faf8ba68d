#pragma once
/// \file replica.h
/// A model replica as the Downpour worker loop sees it: a flat parameter vector it can read and
/// set, and mini-batch steps that add their gradient to a flat accumulator. The autoencoder is
/// one (torch_replica.h); tests drive the loop with a small fake. No LibTorch here.

#include <cstdint>
#include <vector>

#include "model/shard_sampler.h"

namespace dcae::train {

class Replica {
public:
  virtual ~Replica() = default;
  /// Length of the flat parameter vector.
  virtual std::int64_t size() const = 0;
  /// Copies the parameters into `out` (size() values).
  virtual void get_parameters(float* out) const = 0;
  /// Sets the parameters from `in` (size() values).
  virtual void set_parameters(const float* in) = 0;
  /// One mini-batch: forward and backward on the series `batch` (rows of the shards); adds its
  /// gradient to `accumulator` (size() values) and returns its loss (throws runtime_error when
  /// the loss is not finite).
  virtual double step(const std::vector<model::SampleRef>& batch, float* accumulator) = 0;
  /// Number of shards (runs) and rows of each: the data a partition may refer to.
  virtual std::int32_t runs() const = 0;
  virtual std::int64_t rows(std::int32_t run) const = 0;
  /// Whether row `row` of run `run` is trained on (the seeded voxel subset).
  virtual bool selected(std::int32_t run, std::int64_t row) const = 0;
};

} // namespace dcae::train
