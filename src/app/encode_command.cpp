// dcae-encode: the high-level features of every voxel, with a trained model.
#include <torch/torch.h>

#include "app/commands.h"
#include "core/threads.h"
#include "model/encoder.h"

namespace dcae::app {
namespace {

class EncodeCommand final : public Command {
public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-encode";
    u.summary = "high-level features of every voxel of time-series shards, with a trained model";
    u.description =
        "Streams each shard through the encoder in batches (inference mode) and writes\n"
        "<stem>_desc-features_timeseries.npy ([n_voxels, F]) and, with --reconstructions,\n"
        "<stem>_desc-reconstruction_timeseries.npy ([n_voxels, T]) into output-dir.";
    auto& shards =
        add_argument(u, "shards", ArgKind::kInputFileList, "time-series shards to encode");
    shards.positional = shards.required = true;
    auto& ck = add_argument(u, "checkpoint", ArgKind::kInputFile, "model.pt written by dcae-train");
    ck.short_flag = "m";
    ck.required = true;
    auto& out = add_argument(u, "output-dir", ArgKind::kOutputDir, "folder for the feature shards");
    out.short_flag = "o";
    out.required = true;
    add_argument(u, "reconstructions", ArgKind::kFlag, "also write the reconstructions");
    auto& bs = add_argument(u, "batch-size", ArgKind::kInt, "voxels per batch");
    bs.default_value = "1024";
    bs.min = 1;
    auto& d =
        add_argument(u, "device", ArgKind::kString, "cpu or cuda:N (needs a LibTorch with CUDA)");
    d.default_value = "cpu";
    u.examples = {"dcae-encode -m model/model.pt -o features/ out/shards/*.npy"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    torch::set_num_threads(thread_count()); // LibTorch starts with one thread here
    model::EncodeOptions o;
    o.batch_size = a.integer("batch-size");
    o.reconstructions = a.flag("reconstructions");
    o.device = a.string("device");
    for (const auto& s : a.strings("shards"))
      model::encode_shard(a.string("checkpoint"), s, a.string("output-dir"), o);
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> make_encode_command() {
  return std::make_unique<EncodeCommand>();
}

} // namespace dcae::app
