#pragma once
/// \file update_rule.h
/// The update a parameter server applies to a shard for each accepted gradient: a strategy
/// object, Adagrad by default (the same arithmetic as torch::optim::Adagrad without decay).

#include <cstdint>
#include <memory>

namespace dcae::ps {

/// Adagrad settings (DESIGN.md "Model": optimizer.*).
struct AdagradSettings {
  double learning_rate = 0.01;
  double initial_accumulator = 0.1;
  double eps = 1e-10;
};

/// Applies gradients to parameter values. Not thread-safe: the server holds the shard's lock.
class UpdateRule {
public:
  virtual ~UpdateRule() = default;
  /// Updates `params[0..n)` with `grad[0..n)`; `state[0..n)` is the rule's per-value state.
  virtual void apply(float* params, float* state, const float* grad, std::int64_t n) const = 0;
  /// The initial value of the per-value state.
  virtual float initial_state() const = 0;
};

/// Adagrad: state += g²; p −= lr · g / (√state + eps).
class AdagradRule final : public UpdateRule {
public:
  explicit AdagradRule(AdagradSettings s) : s_(s) {}
  void apply(float* params, float* state, const float* grad, std::int64_t n) const override;
  float initial_state() const override { return static_cast<float>(s_.initial_accumulator); }
  const AdagradSettings& settings() const { return s_; }

private:
  AdagradSettings s_;
};

} // namespace dcae::ps
