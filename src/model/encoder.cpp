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
                      checkpoint.string() + " was trained on T = " + std::to_string(ck.input_length));
  }
  const std::int64_t f = ck.config.feature_size(ck.input_length), t = info.n_timepoints, n = info.n_voxels;
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
  std::string stem = shard.stem().string();
  for (const char* suffix : {"_desc-preproc_timeseries", "_timeseries"}) {
    const auto pos = stem.rfind(suffix);
    if (pos != std::string::npos && pos + std::string(suffix).size() == stem.size()) {
      stem.erase(pos);
      break;
    }
  }
  io::ShardInfo out = info;
  out.n_timepoints = f;
  out.source = shard.string();
  out.provenance = {{"Step", "dcae-encode"}, {"Checkpoint", checkpoint.string()}, {"CheckpointStep", ck.step},
                    {"Input", info.provenance}};
  io::write_shard(out_dir / (stem + "_desc-features_timeseries.npy"), features, out);
  if (opt.reconstructions) {
    io::ShardInfo ri = info;
    ri.source = shard.string();
    ri.provenance = out.provenance;
    io::write_shard(out_dir / (stem + "_desc-reconstruction_timeseries.npy"), recon, ri);
  }
  log::info("encoded ", n, " voxels of ", shard.filename().string(), " into ", f, " features each");
}

std::vector<float> decode_feature_atoms(const fs::path& checkpoint, const std::vector<fs::path>& raw_shards,
                                        const std::vector<float>& atoms, std::int64_t n_atoms,
                                        const std::vector<std::vector<AtomVoxel>>& voxels,
                                        const std::string& device) {
  Checkpoint ck = load_checkpoint(checkpoint, device);
  const std::int64_t f = ck.config.feature_size(ck.input_length), t = ck.input_length;
  if (n_atoms <= 0 || static_cast<std::int64_t>(atoms.size()) != f * n_atoms)
    throw input_error(checkpoint.string() + ": the model has " + std::to_string(f) +
                      " features, but the atoms have " +
                      std::to_string(n_atoms > 0 ? static_cast<std::int64_t>(atoms.size()) / n_atoms : 0));
  if (static_cast<std::int64_t>(voxels.size()) != n_atoms)
    throw usage_error("decode_feature_atoms: one voxel list per atom is needed");
  std::vector<std::unique_ptr<io::ShardReader>> readers;
  for (const auto& s : raw_shards) {
    readers.push_back(std::make_unique<io::ShardReader>(s));
    if (readers.back()->info().n_timepoints != t)
      throw input_error(s.string() + ": T = " + std::to_string(readers.back()->info().n_timepoints) +
                        ", but " + checkpoint.string() + " was trained on T = " + std::to_string(t));
  }
  const torch::Device dev = parse_device(device);
  torch::InferenceMode inference;
  std::vector<float> out(static_cast<std::size_t>(t * n_atoms), 0.0f);
  for (std::int64_t k = 0; k < n_atoms; ++k) {
    const auto& list = voxels[static_cast<std::size_t>(k)];
    if (list.empty()) continue;
    const auto b = static_cast<std::int64_t>(list.size());
    std::vector<float> x(static_cast<std::size_t>(b * t)), h(static_cast<std::size_t>(b * f));
    double weight_sum = 0.0;
    for (std::int64_t i = 0; i < b; ++i) {
      const AtomVoxel& v = list[static_cast<std::size_t>(i)];
      if (v.shard >= readers.size()) throw usage_error("decode_feature_atoms: shard index out of range");
      readers[v.shard]->read_rows(v.row, 1, x.data() + i * t);
      for (std::int64_t q = 0; q < f; ++q)
        h[static_cast<std::size_t>(i * f + q)] = v.offset + v.scale * atoms[static_cast<std::size_t>(k * f + q)];
      weight_sum += v.weight;
    }
    const auto xs = torch::from_blob(x.data(), {b, 1, t}, torch::kFloat32).to(dev);
    const auto hs = torch::from_blob(h.data(), {b, f}, torch::kFloat32).to(dev);
    const auto switches = ck.model->forward(xs).switches;
    const auto y = ck.model->decode(hs, switches).reshape({b, t}).contiguous().cpu();
    const float* yp = y.data_ptr<float>();
    for (std::int64_t i = 0; i < b; ++i) {
      const double w = list[static_cast<std::size_t>(i)].weight / (weight_sum > 0 ? weight_sum : 1.0);
      for (std::int64_t q = 0; q < t; ++q) out[static_cast<std::size_t>(k * t + q)] += static_cast<float>(w * yp[i * t + q]);
    }
  }
  return out;
}

}  // namespace dcae::model
