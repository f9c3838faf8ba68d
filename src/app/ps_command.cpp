// dcae-ps: the parameter-server role (no LibTorch linked).
#include <thread>

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include "app/train_options.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "ps/security.h"
#include "ps/server.h"

namespace dcae::app {
namespace {

class PsCommand final : public Command {
public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-ps";
    u.summary =
        "parameter server of distributed training (one shard or several of the model's parameters)";
    u.description =
        "Serves shards of the model's flat parameter vector over gRPC: workers fetch them "
        "(streamed\n"
        "in chunks) and push gradients, to which the server applies Adagrad. The server hosting\n"
        "shard 0 also hands out data partitions as leased tasks. Every call must carry the job's\n"
        "token; pushes of the wrong length or with NaN/Inf are refused; pushes staler than\n"
        "--max-staleness are dropped. The state is checkpointed atomically every\n"
        "--checkpoint-every seconds and on SIGTERM; a restarted server resumes from it.\n"
        "The first worker to connect sets the layout, the optimizer settings and the initial "
        "values.";
    auto& listen = add_argument(u, "listen", ArgKind::kString,
                                "host:port to listen on (port 0: any free port)");
    listen.default_value = "127.0.0.1:50051";
    listen.value_name = "HOST:PORT";
    auto& shards = add_argument(u, "shards", ArgKind::kInt,
                                "number of shards S the parameters are split into");
    shards.default_value = "1";
    shards.min = 1;
    add_argument(u, "host-shards", ArgKind::kIntList,
                 "the shards this server hosts (default: all S)")
        .min = 0;
    add_token_options(u);
    add_tls_options(u, true, false);
    add_argument(u, "checkpoint", ArgKind::kOutputFile,
                 "server checkpoint file (resumed from when it exists)");
    auto& every = add_argument(u, "checkpoint-every", ArgKind::kFloat,
                               "seconds between checkpoints (0: only at the end)");
    every.default_value = "30";
    every.min = 0;
    add_option_group(u, train::server_options(), "Options");
    add_argument(u, "port-file", ArgKind::kOutputFile, "write the bound port here once listening");
    u.examples = {
        "DCAE_PS_TOKEN=$(cat token) dcae-ps --listen 127.0.0.1:50051 --checkpoint ps.ckpt",
        "dcae-ps --listen 0.0.0.0:50051 --shards 2 --host-shards 1 --token-file token --tls-cert "
        "c.pem --tls-key k.pem"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    // Keep the multi-megabyte buffers of every fetch and push in the heap instead of mapping
    // and faulting them in again each time (as model::configure_allocator does for training).
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    ps::ServerOptions o;
    o.listen = a.string("listen");
    o.num_shards = static_cast<int>(a.integer("shards"));
    if (a.has("host-shards")) {
      for (const auto s : a.integers("host-shards")) o.hosted.push_back(static_cast<int>(s));
    }
    o.token = ps::read_token(a.has("token-file") ? a.string("token-file") : std::string());
    if (a.has("tls-cert")) o.tls.cert = a.string("tls-cert");
    if (a.has("tls-key")) o.tls.key = a.string("tls-key");
    if (a.has("checkpoint")) o.checkpoint = a.string("checkpoint");
    o.checkpoint_every_s = a.number("checkpoint-every");
    const train::ServerSettings settings = read_option_group(a, train::server_options());
    o.max_staleness = settings.max_staleness;
    o.lease_timeout_s = settings.lease_timeout_s;
    // SIGTERM/SIGINT end the server gracefully (last checkpoint); blocked here so that every
    // thread inherits the mask and one thread takes them with sigwait.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ps::ParameterServer server(o);
    server.start();
    if (a.has("port-file"))
      write_file_atomic(a.string("port-file"), std::to_string(server.port()) + "\n");
    std::thread([&server, set] {
      int sig = 0;
      sigwait(&set, &sig);
      log::info("signal ", sig, ": checkpointing and stopping");
      server.shutdown();
    }).detach();
    server.wait();
    log::info("stopped");
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> make_ps_command() {
  return std::make_unique<PsCommand>();
}

} // namespace dcae::app
