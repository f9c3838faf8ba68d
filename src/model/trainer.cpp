#include "model/trainer.h"

#include <chrono>
#include <fstream>
#include <limits>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <malloc.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"

namespace fs = std::filesystem;

namespace dcae::model {
namespace {

struct State {
  std::int64_t step = 0;
  double epoch_loss_sum = 0.0;
  std::int64_t epoch_batches = 0;
  double last_epoch_loss = 0.0;
  double best_validation =
      std::numeric_limits<double>::infinity(); ///< lowest validation loss so far
  std::int64_t stale_epochs = 0;               ///< epochs since it last improved by min_delta
};

/// The loss and reconstruction MSE over the validation samples (no gradients).
std::pair<double, double> validation_loss(Autoencoder& model, ShardSampler& data,
                                          const ModelConfig& cfg, const torch::Device& device) {
  const auto& refs = data.validation();
  const std::int64_t t = data.length(), chunk = std::max<std::int64_t>(cfg.batch_size, 1024);
  std::vector<float> buf(static_cast<std::size_t>(chunk * t));
  torch::NoGradGuard no_grad;
  double loss = 0, mse = 0;
  for (std::size_t first = 0; first < refs.size(); first += static_cast<std::size_t>(chunk)) {
    const auto n = std::min(refs.size() - first, static_cast<std::size_t>(chunk));
    data.fill(std::vector<SampleRef>(refs.begin() + static_cast<std::ptrdiff_t>(first),
                                     refs.begin() + static_cast<std::ptrdiff_t>(first + n)),
              buf.data());
    const auto x =
        torch::from_blob(buf.data(), {static_cast<std::int64_t>(n), 1, t}, torch::kFloat32)
            .to(device);
    const auto out = model->forward(x);
    loss += autoencoder_loss(out, x, cfg).item<double>() * static_cast<double>(n);
    mse += torch::mse_loss(out.reconstruction, x).item<double>() * static_cast<double>(n);
  }
  const auto total = static_cast<double>(std::max<std::size_t>(refs.size(), 1));
  return {loss / total, mse / total};
}

void save_checkpoint(const fs::path& path, const ModelConfig& cfg, std::int64_t t,
                     Autoencoder& model, torch::optim::Adagrad& opt, const State& st) {
  torch::serialize::OutputArchive ar;
  ar.write("format_version", torch::tensor(kCheckpointFormat));
  ar.write("input_length", torch::tensor(t));
  ar.write("config_yaml", c10::IValue(to_yaml(cfg)));
  ar.write("architecture_hash", c10::IValue(architecture_hash(cfg, t)));
  ar.write("step", torch::tensor(st.step));
  ar.write("epoch_loss_sum", torch::tensor(st.epoch_loss_sum, torch::kFloat64));
  ar.write("epoch_batches", torch::tensor(st.epoch_batches));
  ar.write("last_epoch_loss", torch::tensor(st.last_epoch_loss, torch::kFloat64));
  ar.write("best_validation", torch::tensor(st.best_validation, torch::kFloat64));
  ar.write("stale_epochs", torch::tensor(st.stale_epochs));
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    ar.write("torch_rng", gen.get_state());
  }
  torch::serialize::OutputArchive m, o;
  model->save(m);
  opt.save(o);
  ar.write("model", m);
  ar.write("optimizer", o);
  AtomicOutput out(path);
  ar.save_to(out.temp_path().string());
  out.commit();
}

std::string read_string(torch::serialize::InputArchive& ar, const char* key) {
  c10::IValue v;
  ar.read(key, v);
  return v.toStringRef();
}

std::int64_t read_int(torch::serialize::InputArchive& ar, const char* key) {
  torch::Tensor v;
  ar.read(key, v);
  return v.item<std::int64_t>();
}

double read_double(torch::serialize::InputArchive& ar, const char* key) {
  torch::Tensor v;
  ar.read(key, v);
  return v.item<double>();
}

torch::serialize::InputArchive open_archive(const fs::path& path) {
  if (!fs::is_regular_file(path)) throw input_error(path.string() + ": no such checkpoint");
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path.string());
  } catch (const c10::Error&) {
    throw input_error(path.string() + ": not a dcae checkpoint (unreadable archive)");
  }
  std::int64_t format = 0;
  try {
    format = read_int(ar, "format_version");
  } catch (const c10::Error&) {
    throw input_error(path.string() + ": not a dcae checkpoint (no format version)");
  }
  if (format > kCheckpointFormat) {
    throw input_error(path.string() + ": checkpoint format " + std::to_string(format) +
                      " is newer than this dcae understands (" + std::to_string(kCheckpointFormat) +
                      ")");
  }
  return ar;
}

} // namespace

void configure_allocator() {
#ifdef M_MMAP_THRESHOLD
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

torch::optim::AdagradOptions adagrad_options(const ModelConfig& c) {
  return torch::optim::AdagradOptions(c.learning_rate)
      .initial_accumulator_value(c.initial_accumulator)
      .eps(c.eps);
}

std::vector<torch::Tensor> adagrad_sums(torch::optim::Adagrad& optimizer,
                                        const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> sums;
  for (const auto& p : params)
    sums.push_back(static_cast<torch::optim::AdagradParamState&>(
                       *optimizer.state().at(c10::guts::to_string(p.unsafeGetTensorImpl())))
                       .sum());
  return sums;
}

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw usage_error("--device " + name + ": this LibTorch has no CUDA or no GPU is visible");
    }
    return torch::Device(name);
  }
  throw usage_error("--device must be cpu or cuda:N, got '" + name + "'");
}

TrainResult train(const ModelConfig& cfg, const std::vector<fs::path>& shards,
                  const TrainOptions& opt) {
  const torch::Device device = parse_device(opt.device);
  configure_allocator();
  ShardSampler data(shards, cfg.voxel_fraction, cfg.seed, cfg.cache_mb, cfg.validation_fraction);
  const std::int64_t t = data.length();
  validate(cfg, t);
  torch::manual_seed(cfg.seed);
  Autoencoder model(cfg, t);
  model->to(device);
  torch::optim::Adagrad optimizer(model->parameters(), adagrad_options(cfg));
  State st;
  if (opt.resume && fs::exists(opt.checkpoint)) {
    auto ar = open_archive(opt.checkpoint);
    const std::string hash = read_string(ar, "architecture_hash");
    if (hash != architecture_hash(cfg, t)) {
      throw usage_error(opt.checkpoint.string() +
                        ": checkpoint of another architecture (its configuration:\n" +
                        read_string(ar, "config_yaml") + ")");
    }
    torch::serialize::InputArchive m, o;
    ar.read("model", m);
    ar.read("optimizer", o);
    model->load(m);
    optimizer.load(o);
    st.step = read_int(ar, "step");
    st.epoch_loss_sum = read_double(ar, "epoch_loss_sum");
    st.epoch_batches = read_int(ar, "epoch_batches");
    st.last_epoch_loss = read_double(ar, "last_epoch_loss");
    try { // checkpoints from before the validation split lack these
      st.best_validation = read_double(ar, "best_validation");
      st.stale_epochs = read_int(ar, "stale_epochs");
    } catch (const c10::Error&) {
    }
    torch::Tensor rng;
    ar.read("torch_rng", rng);
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng);
    log::info("resuming from ", opt.checkpoint.string(), " at step ", st.step);
  }
  model->train();
  const std::int64_t n = data.size();
  const std::int64_t per_epoch = (n + cfg.batch_size - 1) / cfg.batch_size;
  std::int64_t total = cfg.epochs > 0 ? cfg.epochs * per_epoch : 0;
  if (cfg.max_steps > 0) total = total > 0 ? std::min(total, cfg.max_steps) : cfg.max_steps;
  if (total == 0 && cfg.target_loss <= 0) {
    throw usage_error("training needs a stop: train.epochs, train.max_steps or train.target_loss");
  }
  std::ofstream log_file;
  if (!opt.loss_log.empty()) {
    const bool fresh = st.step == 0 || !fs::exists(opt.loss_log);
    if (!opt.loss_log.parent_path().empty()) fs::create_directories(opt.loss_log.parent_path());
    log_file.open(opt.loss_log, fresh ? std::ios::trunc : std::ios::app);
    if (!log_file) throw runtime_error("cannot write " + opt.loss_log.string());
    if (fresh) log_file << "step\tepoch\tloss\tmse\n";
  }
  std::ofstream validation_file;
  if (!opt.validation_log.empty() && !data.validation().empty()) {
    const bool fresh = st.step == 0 || !fs::exists(opt.validation_log);
    validation_file.open(opt.validation_log, fresh ? std::ios::trunc : std::ios::app);
    if (!validation_file) throw runtime_error("cannot write " + opt.validation_log.string());
    if (fresh) validation_file << "epoch\tstep\ttrain_loss\tvalidation_loss\tvalidation_mse\n";
  }
  if (st.step == 0 && !data.validation().empty())
    log::info("training on ", data.size(), " voxel series; ", data.validation().size(),
              " held out for validation");
  TrainResult res;
  ProgressBar bar("training", static_cast<std::uint64_t>(total), "steps");
  bar.advance(static_cast<std::uint64_t>(st.step));
  std::vector<float> batch(static_cast<std::size_t>(cfg.batch_size * t));
  const std::int64_t start_step = st.step;
  std::int64_t epoch = st.step / per_epoch;
  std::vector<SampleRef> order = data.epoch_order(epoch);
  while (true) {
    if (total > 0 && st.step >= total) {
      res.stop_reason = cfg.max_steps > 0 && st.step >= cfg.max_steps ? "max_steps" : "epochs";
      break;
    }
    if (opt.stop_after_steps > 0 && st.step - start_step >= opt.stop_after_steps) {
      res.stop_reason = "interrupted";
      break;
    }
    if (st.step / per_epoch != epoch) {
      epoch = st.step / per_epoch;
      order = data.epoch_order(epoch);
    }
    const std::int64_t b = st.step % per_epoch;
    const std::int64_t first = b * cfg.batch_size;
    const std::int64_t count = std::min(cfg.batch_size, n - first);
    std::vector<SampleRef> refs(order.begin() + first, order.begin() + first + count);
    data.fill(refs, batch.data());
    auto x = torch::from_blob(batch.data(), {count, 1, t}, torch::kFloat32).to(device);
    optimizer.zero_grad();
    auto out = model->forward(x);
    auto loss = autoencoder_loss(out, x, cfg);
    loss.backward();
    optimizer.step();
    const double l = loss.item<double>();
    double mse = 0.0;
    {
      torch::NoGradGuard no_grad;
      mse = torch::mse_loss(out.reconstruction, x).item<double>();
    }
    if (!std::isfinite(l))
      throw runtime_error("training diverged: the loss is not finite at step " +
                          std::to_string(st.step));
    res.last_loss = l;
    ++st.step;
    st.epoch_loss_sum += l;
    ++st.epoch_batches;
    if (log_file) log_file << st.step << '\t' << epoch << '\t' << l << '\t' << mse << '\n';
    bar.advance();
    bool stop_on_target = false, stop_on_plateau = false;
    if (st.step % per_epoch == 0) {
      st.last_epoch_loss = st.epoch_loss_sum / static_cast<double>(st.epoch_batches);
      st.epoch_loss_sum = 0;
      st.epoch_batches = 0;
      log::debug("epoch ", epoch, ": mean loss ", st.last_epoch_loss);
      stop_on_target = cfg.target_loss > 0 && st.last_epoch_loss < cfg.target_loss;
      if (!data.validation().empty()) {
        const auto [vloss, vmse] = validation_loss(model, data, cfg, device);
        res.validation_loss = vloss;
        if (validation_file)
          validation_file << epoch << '\t' << st.step << '\t' << st.last_epoch_loss << '\t' << vloss
                          << '\t' << vmse << std::endl;
        if (vloss < st.best_validation * (1.0 - cfg.min_delta)) {
          st.best_validation = vloss;
          st.stale_epochs = 0;
        } else {
          ++st.stale_epochs;
        }
        log::debug("epoch ", epoch, ": validation loss ", vloss, " (best ", st.best_validation,
                   ", ", st.stale_epochs, " epoch(s) without improvement)");
        stop_on_plateau = cfg.patience > 0 && st.stale_epochs >= cfg.patience;
      }
    }
    if (!opt.checkpoint.empty() && cfg.checkpoint_every > 0 &&
        st.step % cfg.checkpoint_every == 0) {
      save_checkpoint(opt.checkpoint, cfg, t, model, optimizer, st);
    }
    if (stop_on_target) {
      res.stop_reason = "target_loss";
      break;
    }
    if (stop_on_plateau) {
      res.stop_reason = "plateau";
      log::info("the validation loss has not improved by ", cfg.min_delta * 100, "% for ",
                cfg.patience, " epoch(s): training stops at epoch ", epoch + 1);
      break;
    }
  }
  bar.finish();
  if (log_file) log_file.flush();
  if (!opt.checkpoint.empty()) save_checkpoint(opt.checkpoint, cfg, t, model, optimizer, st);
  res.steps = st.step;
  res.epochs = st.step / per_epoch;
  res.last_epoch_loss = st.last_epoch_loss;
  return res;
}

void save_model_checkpoint(const fs::path& path, const ModelConfig& cfg, std::int64_t input_length,
                           Autoencoder& model, const std::vector<torch::Tensor>& adagrad_sums,
                           std::int64_t step, double last_epoch_loss) {
  auto params = model->parameters();
  if (!adagrad_sums.empty() && adagrad_sums.size() != params.size()) {
    throw runtime_error("save_model_checkpoint: " + std::to_string(adagrad_sums.size()) +
                        " accumulators for " + std::to_string(params.size()) + " parameters");
  }
  torch::optim::Adagrad optimizer(params, adagrad_options(cfg));
  for (std::size_t i = 0; i < adagrad_sums.size(); ++i) {
    auto& state = static_cast<torch::optim::AdagradParamState&>(
        *optimizer.state().at(c10::guts::to_string(params[i].unsafeGetTensorImpl())));
    state.sum(adagrad_sums[i].detach().clone().reshape(params[i].sizes()).to(params[i].device()));
    state.step(step);
  }
  State st;
  st.step = step;
  st.last_epoch_loss = last_epoch_loss;
  save_checkpoint(path, cfg, input_length, model, optimizer, st);
}

Checkpoint load_checkpoint(const fs::path& path, const std::string& device) {
  auto ar = open_archive(path);
  Checkpoint c;
  const std::string yaml = read_string(ar, "config_yaml");
  const config::Values values =
      config::parse(yaml, path.string() + " (embedded configuration)", model_config_keys());
  c.config = model_config_from(values);
  c.input_length = read_int(ar, "input_length");
  // Checkpoints from before the feature size and the consistency term were settings.
  if (!values.count("model.features")) c.config.features = c.config.bottom_size(c.input_length);
  if (!values.count("loss.consistency")) c.config.consistency = 0.0;
  c.step = read_int(ar, "step");
  c.model = Autoencoder(c.config, c.input_length);
  torch::serialize::InputArchive m;
  ar.read("model", m);
  c.model->load(m);
  c.model->to(parse_device(device));
  c.model->eval();
  return c;
}

} // namespace dcae::model
