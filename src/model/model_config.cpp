#include "model/model_config.h"

#include <iomanip>
#include <sstream>

#include "core/error.h"

namespace dcae::model {

std::int64_t ModelConfig::total_pool() const {
  std::int64_t p = 1;
  for (std::size_t i = 0; i < channels.size(); ++i) p *= pool;
  return p;
}

std::int64_t ModelConfig::padded_length(std::int64_t t) const {
  const std::int64_t p = total_pool();
  return (t + p - 1) / p * p;
}

std::int64_t ModelConfig::bottom_size(std::int64_t t) const {
  return channels.back() * padded_length(t) / total_pool();
}

std::int64_t ModelConfig::feature_size(std::int64_t t) const {
  return features > 0 ? features : t;
}

const std::vector<config::Key>& model_config_keys() {
  using config::Key;
  using config::Type;
  static const std::vector<Key> kKeys = {
      {"model.channels", Type::kIntList, 1, 1024, {}},
      {"model.kernel_size", Type::kInt, 1, 255, {}},
      {"model.pool", Type::kInt, 1, 16, {}},
      {"model.features", Type::kInt, 0, 1 << 20, {}},
      {"loss.l1_lambda", Type::kFloat, 0, std::nullopt, {}},
      {"loss.consistency", Type::kFloat, 0, std::nullopt, {}},
      {"optimizer.learning_rate", Type::kFloat, 0, std::nullopt, {}},
      {"optimizer.initial_accumulator", Type::kFloat, 0, std::nullopt, {}},
      {"optimizer.eps", Type::kFloat, 0, std::nullopt, {}},
      {"train.batch_size", Type::kInt, 1, 1 << 20, {}},
      {"train.epochs", Type::kInt, 0, std::nullopt, {}},
      {"train.max_steps", Type::kInt, 0, std::nullopt, {}},
      {"train.target_loss", Type::kFloat, 0, std::nullopt, {}},
      {"train.seed", Type::kInt, 0, std::nullopt, {}},
      {"train.voxel_fraction", Type::kFloat, 1e-6, 1, {}},
      {"train.validation_fraction", Type::kFloat, 0, 0.5, {}},
      {"train.patience", Type::kInt, 0, std::nullopt, {}},
      {"train.min_delta", Type::kFloat, 0, 1, {}},
      {"train.checkpoint_every", Type::kInt, 0, std::nullopt, {}},
      {"train.cache_mb", Type::kInt, 1, std::nullopt, {}},
  };
  return kKeys;
}

ModelConfig model_config_from(const config::Values& v) {
  ModelConfig c;
  auto i64 = [&](const char* k, std::int64_t& out) {
    if (auto it = v.find(k); it != v.end()) out = std::get<long long>(it->second.value);
  };
  auto f64 = [&](const char* k, double& out) {
    if (auto it = v.find(k); it != v.end()) {
      if (auto* d = std::get_if<double>(&it->second.value)) out = *d;
    }
  };
  if (auto it = v.find("model.channels"); it != v.end()) {
    const auto& ch = std::get<std::vector<long long>>(it->second.value);
    c.channels.assign(ch.begin(), ch.end());
    if (c.channels.empty())
      throw usage_error(it->second.origin + ": 'model.channels' needs at least one layer");
  }
  i64("model.kernel_size", c.kernel_size);
  if (c.kernel_size % 2 == 0) {
    throw usage_error(v.at("model.kernel_size").origin +
                      ": 'model.kernel_size' must be odd (same padding), got " +
                      std::to_string(c.kernel_size));
  }
  i64("model.pool", c.pool);
  i64("model.features", c.features);
  f64("loss.l1_lambda", c.l1_lambda);
  f64("loss.consistency", c.consistency);
  f64("optimizer.learning_rate", c.learning_rate);
  f64("optimizer.initial_accumulator", c.initial_accumulator);
  f64("optimizer.eps", c.eps);
  i64("train.batch_size", c.batch_size);
  i64("train.epochs", c.epochs);
  i64("train.max_steps", c.max_steps);
  f64("train.target_loss", c.target_loss);
  std::int64_t seed = static_cast<std::int64_t>(c.seed);
  i64("train.seed", seed);
  c.seed = static_cast<std::uint64_t>(seed);
  f64("train.voxel_fraction", c.voxel_fraction);
  f64("train.validation_fraction", c.validation_fraction);
  i64("train.patience", c.patience);
  f64("train.min_delta", c.min_delta);
  i64("train.checkpoint_every", c.checkpoint_every);
  i64("train.cache_mb", c.cache_mb);
  return c;
}

ModelConfig load_model_config(const std::filesystem::path& yaml) {
  return model_config_from(config::load(yaml, model_config_keys()));
}

std::string to_yaml(const ModelConfig& c) {
  std::ostringstream s;
  s << std::setprecision(17);
  s << "model:\n  channels: [";
  for (std::size_t i = 0; i < c.channels.size(); ++i) s << (i ? ", " : "") << c.channels[i];
  s << "]\n  kernel_size: " << c.kernel_size << "\n  pool: " << c.pool
    << "\n  features: " << c.features << "\n"
    << "loss:\n  l1_lambda: " << c.l1_lambda << "\n  consistency: " << c.consistency << "\n"
    << "optimizer:\n  learning_rate: " << c.learning_rate
    << "\n  initial_accumulator: " << c.initial_accumulator << "\n  eps: " << c.eps << "\n"
    << "train:\n  batch_size: " << c.batch_size << "\n  epochs: " << c.epochs
    << "\n  max_steps: " << c.max_steps << "\n  target_loss: " << c.target_loss
    << "\n  seed: " << c.seed << "\n  voxel_fraction: " << c.voxel_fraction
    << "\n  validation_fraction: " << c.validation_fraction << "\n  patience: " << c.patience
    << "\n  min_delta: " << c.min_delta << "\n  checkpoint_every: " << c.checkpoint_every
    << "\n  cache_mb: " << c.cache_mb << "\n";
  return s.str();
}

std::string architecture_hash(const ModelConfig& c, std::int64_t input_length) {
  std::ostringstream s;
  s << "T=" << input_length << ";k=" << c.kernel_size << ";p=" << c.pool << ";c=";
  for (auto ch : c.channels) s << ch << ',';
  // The feature size joined the architecture later: hashes of the earlier layout stay as they were.
  if (c.feature_size(input_length) != c.bottom_size(input_length))
    s << ";f=" << c.feature_size(input_length);
  const std::string text = s.str();
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  std::ostringstream hex;
  hex << std::hex << std::setw(16) << std::setfill('0') << h;
  return hex.str();
}

void validate(const ModelConfig& c, std::int64_t t) {
  if (c.channels.empty()) throw usage_error("model: at least one conv layer is needed");
  if (t < 1) throw usage_error("model: the input length must be positive");
  const std::int64_t padded = c.padded_length(t);
  if (c.kernel_size > padded / c.total_pool() * c.pool) {
    throw usage_error("model: kernel_size " + std::to_string(c.kernel_size) +
                      " is larger than the deepest conv layer's input (" +
                      std::to_string(padded / c.total_pool() * c.pool) +
                      " samples for T = " + std::to_string(t) + ")");
  }
}

} // namespace dcae::model
