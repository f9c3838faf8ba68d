// The manual launcher: the roles' command lines, to start by hand.
#include "core/process.h"
#include "train/launch.h"
#include "train/launch_common.h"

namespace dcae::train {

std::vector<std::string> manual_commands(const model::ModelConfig&, const Job& job,
                                         const std::filesystem::path& model_yaml,
                                         const std::filesystem::path& token_file) {
  check(job);
  std::filesystem::create_directories(token_file.parent_path());
  detail::new_token_file(token_file);
  std::vector<int> ports;
  for (int i = 0; i < job.servers; ++i) ports.push_back(50051 + i);
  const detail::ProcessPlan p = detail::process_plan(job, model_yaml, token_file, ports);
  std::vector<std::string> out;
  for (const auto& a : p.server_argv) out.push_back(quote_command(a));
  for (std::size_t w = 0; w < p.worker_argv.size(); ++w) {
    auto a = p.worker_argv[w];
    if (w == 0)
      a.insert(a.begin() + 1,
               {"--output-dir", job.output_dir.string()}); // writes model.pt, loss.tsv, dist.json
    out.push_back(quote_command(a));
  }
  return out;
}

} // namespace dcae::train
