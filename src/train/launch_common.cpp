#include "train/launch_common.h"

#include "core/atomic_file.h"
#include "core/log.h"
#include "core/process.h"
#include "ps/security.h"

namespace fs = std::filesystem;

namespace dcae::train::detail {

volatile std::sig_atomic_t g_interrupted = 0;

namespace {
extern "C" void on_interrupt(int sig) {
  g_interrupted = sig;
}
} // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

fs::path bin_dir(const Job& job) {
  return job.bin_dir.empty() ? executable_dir() : job.bin_dir;
}

ProcessPlan process_plan(const Job& job, const fs::path& model_yaml, const fs::path& token_file,
                         const std::vector<int>& ports) {
  ProcessPlan p;
  const fs::path bin = bin_dir(job);
  const int shards = job.shard_count();
  const bool quiet = log::level() < log::Level::kInfo;
  for (int i = 0; i < job.servers; ++i)
    p.addresses.push_back(job.host + ":" + std::to_string(ports[static_cast<std::size_t>(i)]));
  for (int i = 0; i < job.servers; ++i) {
    std::vector<std::string> a{(bin / "dcae-ps").string(),
                               "--listen",
                               p.addresses[static_cast<std::size_t>(i)],
                               "--shards",
                               std::to_string(shards),
                               "--host-shards"};
    for (int s = i * shards / job.servers; s < (i + 1) * shards / job.servers; ++s)
      a.push_back(std::to_string(s));
    const fs::path ck = job.output_dir / "dist" / ("ps-" + std::to_string(i) + ".ckpt");
    a.insert(a.end(), {"--token-file", token_file.string(), "--checkpoint", ck.string(),
                       "--checkpoint-every", std::to_string(job.ps_checkpoint_every_s)});
    for (const auto& x : to_argv(server_options(), job.server)) a.push_back(x);
    if (!job.tls.files.cert.empty())
      a.insert(a.end(), {"--tls-cert", fs::absolute(job.tls.files.cert).string(), "--tls-key",
                         fs::absolute(job.tls.files.key).string()});
    if (quiet) a.emplace_back("-q");
    p.server_argv.push_back(a);
  }
  for (int w = 0; w < job.workers; ++w) {
    std::vector<std::string> a{(bin / "dcae-worker").string()};
    for (const auto& addr : p.addresses) a.insert(a.end(), {"--ps", addr});
    a.insert(a.end(), {"--token-file", token_file.string(), "--model-config", model_yaml.string()});
    for (const auto& x : to_argv(exchange_options(), job.exchange)) a.push_back(x);
    a.insert(a.end(), {"--nthreads", std::to_string(job.worker_threads), "--device", job.device,
                       "--rank", std::to_string(w)});
    if (!job.tls.files.ca.empty())
      a.insert(a.end(), {"--tls-ca", fs::absolute(job.tls.files.ca).string()});
    if (!job.tls.name.empty()) a.insert(a.end(), {"--tls-name", job.tls.name});
    if (quiet) a.emplace_back("-q");
    for (const auto& s : job.shards) a.push_back(fs::absolute(s).string());
    p.worker_argv.push_back(a);
  }
  return p;
}

std::string new_token_file(const fs::path& path) {
  const std::string token = ps::generate_token();
  write_private_file_atomic(path, token + "\n");
  return token;
}

} // namespace dcae::train::detail
