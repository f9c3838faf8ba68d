#include "model/encoder.h"

#include <algorithm>

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

}  // namespace dcae::model
