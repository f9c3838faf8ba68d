#include "model/encoder.h"

#include <algorithm>
#include <memory>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "io/shard.h"
#include "model/trainer.h"

namespace fs = std::filesystem;

namespace dcae::model {

void encode_shard(const fs::path& checkpoint, const fs::path& shard, const fs::path& out_dir,
                  const EncodeOptions& opt) {
  configure_allocator();
  Checkpoint ck = load_checkpoint(checkpoint, opt.device);
  io::ShardReader reader(shard);
  const auto& info = reader.info();
  if (info.n_timepoints != ck.input_length) {
    throw input_error(shard.string() + ": T = " + std::to_string(info.n_timepoints) + ", but " +
                      checkpoint.string() +
                      " was trained on T = " + std::to_string(ck.input_length));
  }
  const std::int64_t f = ck.config.feature_size(ck.input_length), t = info.n_timepoints,
                     n = info.n_voxels;
  std::vector<float> features(static_cast<std::size_t>(n * f));
  std::vector<float> recon(opt.reconstructions ? static_cast<std::size_t>(n * t) : 0);
  std::vector<float> batch(static_cast<std::size_t>(opt.batch_size * t));
  const torch::Device device = parse_device(opt.device);
  torch::InferenceMode inference;
  ProgressBar bar("encoding " + shard.filename().string(), static_cast<std::uint64_t>(n), "voxels");
  for (std::int64_t first = 0; first < n; first += opt.batch_size) {
    const std::int64_t count = std::min(opt.batch_size, n - first);
    reader.read_rows(first, count, batch.data());
    const auto x = torch::from_blob(batch.data(), {count, 1, t}, torch::kFloat32).to(device);
    if (opt.reconstructions) {
      const auto out = ck.model->forward(x);
      const auto h = out.features.contiguous().cpu();
      const auto r = out.reconstruction.contiguous().cpu();
      std::copy(h.data_ptr<float>(), h.data_ptr<float>() + count * f, features.begin() + first * f);
      std::copy(r.data_ptr<float>(), r.data_ptr<float>() + count * t, recon.begin() + first * t);
    } else {
      const auto h = ck.model->encode(x).contiguous().cpu();
      std::copy(h.data_ptr<float>(), h.data_ptr<float>() + count * f, features.begin() + first * f);
    }
    bar.advance(static_cast<std::uint64_t>(count));
  }
  bar.finish();
  const std::string run = io::shard_run(shard);
  io::ShardInfo out = info;
  out.n_timepoints = f;
  out.source = shard.string();
  out.provenance = {{"Step", "dcae-encode"},
                    {"Checkpoint", checkpoint.string()},
                    {"CheckpointStep", ck.step},
                    {"Input", info.provenance}};
  io::write_shard(io::shard_path(out_dir, run, "features"), features, out);
  if (opt.reconstructions) {
    io::ShardInfo ri = info;
    ri.source = shard.string();
    ri.provenance = out.provenance;
    io::write_shard(io::shard_path(out_dir, run, "reconstruction"), recon, ri);
  }
  log::info("encoded ", n, " voxels of ", shard.filename().string(), " into ", f, " features each");
}

namespace {

void check_atoms(const fs::path& checkpoint, const Checkpoint& ck, const std::vector<float>& atoms,
                 std::int64_t n_atoms) {
  const std::int64_t f = ck.config.feature_size(ck.input_length);
  if (n_atoms <= 0 || static_cast<std::int64_t>(atoms.size()) != f * n_atoms)
    throw input_error(
        checkpoint.string() + ": the model has " + std::to_string(f) +
        " features, but the atoms have " +
        std::to_string(n_atoms > 0 ? static_cast<std::int64_t>(atoms.size()) / n_atoms : 0));
}

} // namespace

std::vector<float> decode_atoms_upsampled(const fs::path& checkpoint,
                                          const std::vector<float>& atoms, std::int64_t n_atoms,
                                          const std::vector<float>& offsets,
                                          const std::vector<float>& scales,
                                          const std::string& device) {
  Checkpoint ck = load_checkpoint(checkpoint, device);
  check_atoms(checkpoint, ck, atoms, n_atoms);
  if (static_cast<std::int64_t>(offsets.size()) != n_atoms ||
      static_cast<std::int64_t>(scales.size()) != n_atoms)
    throw usage_error("decode_atoms_upsampled: one offset and one scale per atom are needed");
  const std::int64_t f = ck.config.feature_size(ck.input_length), t = ck.input_length;
  std::vector<float> h(atoms.size());
  for (std::int64_t k = 0; k < n_atoms; ++k)
    for (std::int64_t q = 0; q < f; ++q)
      h[static_cast<std::size_t>(k * f + q)] =
          offsets[static_cast<std::size_t>(k)] +
          scales[static_cast<std::size_t>(k)] * atoms[static_cast<std::size_t>(k * f + q)];
  torch::InferenceMode inference;
  const auto hs =
      torch::from_blob(h.data(), {n_atoms, f}, torch::kFloat32).to(parse_device(device));
  const auto y = ck.model->decode_upsampled(hs).reshape({n_atoms, t}).contiguous().cpu();
  return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + n_atoms * t);
}

std::vector<float> ablation_readout(const fs::path& checkpoint, const fs::path& raw_shard,
                                    const fs::path& feature_shard, const std::vector<float>& atoms,
                                    std::int64_t n_atoms,
                                    const std::vector<std::vector<AblationVoxel>>& voxels,
                                    const std::string& device) {
  Checkpoint ck = load_checkpoint(checkpoint, device);
  check_atoms(checkpoint, ck, atoms, n_atoms);
  if (static_cast<std::int64_t>(voxels.size()) != n_atoms)
    throw usage_error("ablation_readout: one voxel list per atom is needed");
  const std::int64_t f = ck.config.feature_size(ck.input_length), t = ck.input_length;
  io::ShardReader raw(raw_shard), feat(feature_shard);
  if (raw.info().n_timepoints != t)
    throw input_error(raw_shard.string() + ": T = " + std::to_string(raw.info().n_timepoints) +
                      ", but " + checkpoint.string() + " was trained on T = " + std::to_string(t));
  if (feat.info().n_timepoints != f || feat.info().n_voxels != raw.info().n_voxels)
    throw input_error(feature_shard.string() + ": not the features of " + raw_shard.string() +
                      " under " + checkpoint.string());
  const torch::Device dev = parse_device(device);
  torch::InferenceMode inference;
  std::vector<float> out(static_cast<std::size_t>(t * n_atoms), 0.0f);
  for (std::int64_t k = 0; k < n_atoms; ++k) {
    const auto& list = voxels[static_cast<std::size_t>(k)];
    if (list.empty()) continue;
    const auto b = static_cast<std::int64_t>(list.size());
    std::vector<float> x(static_cast<std::size_t>(b * t)), h(static_cast<std::size_t>(b * f)),
        h_without(h.size());
    for (std::int64_t i = 0; i < b; ++i) {
      const AblationVoxel& v = list[static_cast<std::size_t>(i)];
      raw.read_rows(v.row, 1, x.data() + i * t);
      feat.read_rows(v.row, 1, h.data() + i * f);
      for (std::int64_t q = 0; q < f; ++q)
        h_without[static_cast<std::size_t>(i * f + q)] =
            h[static_cast<std::size_t>(i * f + q)] -
            v.scale * atoms[static_cast<std::size_t>(k * f + q)];
    }
    const auto xs = torch::from_blob(x.data(), {b, 1, t}, torch::kFloat32).to(dev);
    const auto switches = ck.model->forward(xs).switches;
    const auto with =
        ck.model->decode(torch::from_blob(h.data(), {b, f}, torch::kFloat32).to(dev), switches);
    const auto without = ck.model->decode(
        torch::from_blob(h_without.data(), {b, f}, torch::kFloat32).to(dev), switches);
    const auto y = (with - without).reshape({b, t}).contiguous().cpu();
    const float* yp = y.data_ptr<float>();
    for (std::int64_t i = 0; i < b; ++i) {
      const float w = list[static_cast<std::size_t>(i)].weight;
      for (std::int64_t q = 0; q < t; ++q)
        out[static_cast<std::size_t>(k * t + q)] += w * yp[i * t + q];
    }
  }
  return out;
}

} // namespace dcae::model
