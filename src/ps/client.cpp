#include "ps/client.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "ps/internal/parameter_server.grpc.pb.h"
#include "ps/internal/wire.h"
#include "ps/parameter_layout.h"
#include "ps/task_client.h"

namespace dcae::ps {
namespace {

namespace pb = dcae::ps::proto;
using Stub = pb::ParameterServer::Stub;

const char* code_name(grpc::StatusCode c) {
  switch (c) {
  case grpc::StatusCode::CANCELLED:
    return "cancelled";
  case grpc::StatusCode::INVALID_ARGUMENT:
    return "invalid argument";
  case grpc::StatusCode::DEADLINE_EXCEEDED:
    return "deadline exceeded";
  case grpc::StatusCode::ALREADY_EXISTS:
    return "already exists";
  case grpc::StatusCode::FAILED_PRECONDITION:
    return "failed precondition";
  case grpc::StatusCode::UNAVAILABLE:
    return "unavailable";
  case grpc::StatusCode::UNAUTHENTICATED:
    return "unauthenticated";
  case grpc::StatusCode::INTERNAL:
    return "internal error";
  case grpc::StatusCode::RESOURCE_EXHAUSTED:
    return "resource exhausted";
  default:
    return "error";
  }
}

} // namespace

struct Client::Impl {
  ClientOptions opt;
  std::shared_ptr<grpc::ChannelCredentials> creds;
  std::vector<std::unique_ptr<Stub>> control; // one per server
  std::mutex mutex;                           // guards the fields below
  int num_shards = 0;
  std::int64_t total = 0;
  std::int64_t worker = 0;
  std::size_t coordinator = 0;             // index of the coordinator server
  std::vector<std::size_t> shard_server;   // shard → server index
  std::vector<std::unique_ptr<Stub>> data; // one per shard, on its own connection
  std::vector<bool> server_initialized;

  // Asynchronous operations: run in order on one thread, started on first use.
  std::mutex async_mutex;
  std::condition_variable async_cv, async_done_cv;
  std::deque<std::pair<Ticket, std::function<void()>>> queue;
  Ticket next_ticket = 1, completed = 0;
  std::map<Ticket, std::exception_ptr> failures;
  bool stopping = false;
  std::thread worker_thread;

  void async_loop() {
    std::unique_lock<std::mutex> lock(async_mutex);
    while (true) {
      async_cv.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty()) return; // stopping, nothing left
      auto [ticket, op] = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      std::exception_ptr error;
      try {
        op();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error) failures[ticket] = error;
      completed = ticket;
      async_done_cv.notify_all();
    }
  }

  Ticket enqueue(std::function<void()> op) {
    std::lock_guard<std::mutex> lock(async_mutex);
    if (!worker_thread.joinable()) worker_thread = std::thread([this] { async_loop(); });
    const Ticket t = next_ticket++;
    queue.emplace_back(t, std::move(op));
    async_cv.notify_all();
    return t;
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(async_mutex);
      stopping = true;
    }
    async_cv.notify_all();
    if (worker_thread.joinable()) worker_thread.join();
  }

  std::unique_ptr<Stub> make_stub(const std::string& address, bool own_connection) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(opt.backoff_max_s * 1000));
    if (own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    set_transport_arguments([&args](const char* key, int value) { args.SetInt(key, value); });
    if (!opt.tls_target_name.empty()) args.SetSslTargetNameOverride(opt.tls_target_name);
    return pb::ParameterServer::NewStub(grpc::CreateCustomChannel(address, creds, args));
  }

  /// Runs `fn(context)` until it succeeds; retries UNAVAILABLE with exponential backoff within
  /// the retry budget; throws a dcae::Error naming the server and the call otherwise.
  template <typename Fn> void call(const std::string& server, const char* what, Fn&& fn) {
    using Clock = std::chrono::steady_clock;
    const auto give_up = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(opt.retry_budget_s));
    double backoff = opt.backoff_initial_s;
    int tries = 0;
    while (true) {
      grpc::ClientContext ctx;
      ctx.AddMetadata(kTokenMetadataKey, opt.token);
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(
                           std::chrono::duration<double>(opt.call_timeout_s)));
      const grpc::Status s = fn(ctx);
      ++tries;
      if (s.ok()) {
        if (tries > 1) log::info(server, ": ", what, " succeeded after ", tries, " tries");
        return;
      }
      const auto pause =
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(backoff));
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE && Clock::now() + pause < give_up) {
        if (tries == 1)
          log::warn(server, ": ", what, ": unavailable (", s.error_message(),
                    "); retrying with backoff");
        std::this_thread::sleep_for(pause);
        backoff = std::min(backoff * 2, opt.backoff_max_s);
        continue;
      }
      std::string msg =
          server + ": " + what + ": " + code_name(s.error_code()) + ": " + s.error_message();
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE)
        msg += " (gave up after " + std::to_string(tries) + " tries)";
      if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) throw usage_error(msg);
      throw Error(msg, ExitCode::kRuntime);
    }
  }

  ServerStatus status(std::size_t i) {
    pb::StatusReply r;
    call(opt.servers[i], "status", [&](grpc::ClientContext& ctx) {
      return control[i]->Status(&ctx, pb::StatusRequest(), &r);
    });
    ServerStatus s;
    s.shards.assign(r.shards().begin(), r.shards().end());
    s.versions.assign(r.versions().begin(), r.versions().end());
    s.initialized = r.initialized();
    s.pushes_applied = r.pushes_applied();
    s.pushes_stale = r.pushes_stale();
    s.pushes_refused = r.pushes_refused();
    s.calls_unauthenticated = r.calls_unauthenticated();
    s.bytes_received = r.bytes_received();
    s.bytes_sent = r.bytes_sent();
    s.checkpoints_written = r.checkpoints_written();
    s.resumed = r.resumed();
    s.coordinator = r.coordinator();
    auto& c = s.coordination;
    c.partitions_per_epoch = r.partitions_per_epoch();
    c.partitions_completed = r.partitions_completed();
    c.leases_expired = r.leases_expired();
    c.requeued_completed_by_other = r.requeued_completed_by_other();
    c.current_epoch = r.current_epoch();
    c.finished = r.finished();
    c.stop_reason = r.stop_reason();
    c.steps = r.steps();
    c.warmup_done = r.warmup_done();
    c.workers = r.workers_registered();
    for (const auto& e : r.epoch_losses())
      c.epoch_losses[e.epoch()] = {e.mean_loss(), e.partitions()};
    for (const auto& w : r.partitions_by_worker())
      c.partitions_by_worker[w.worker_id()] = w.partitions();
    return s;
  }

  std::int64_t fetch_shard(int s, float* params, float* accumulator) {
    const ParameterLayout layout(total, num_shards);
    const Range range = layout.shard(s);
    pb::FetchRequest req;
    req.set_shard(s);
    req.set_chunk_values(opt.chunk_values);
    req.set_encoding(opt.fp16 ? pb::FLOAT16 : pb::FLOAT32);
    req.set_with_accumulator(accumulator != nullptr);
    std::int64_t version = 0;
    const std::string& server = opt.servers[shard_server[static_cast<std::size_t>(s)]];
    call(server, "fetch", [&](grpc::ClientContext& ctx) {
      auto reader = data[static_cast<std::size_t>(s)]->Fetch(&ctx, req);
      pb::ParameterChunk c;
      std::int64_t filled = 0;
      pb::Encoding enc = pb::FLOAT32;
      bool first = true;
      std::string err;
      while (reader->Read(&c)) {
        if (first) {
          first = false;
          version = c.version();
          enc = c.encoding();
          if (c.length() != range.size()) {
            err = "shard " + std::to_string(s) + " has " + std::to_string(c.length()) +
                  " values, expected " + std::to_string(range.size());
            ctx.TryCancel();
            break;
          }
        }
        const std::int64_t n = decode_chunk(c, enc, range.size(), params + range.begin, &err);
        if (n < 0 ||
            (accumulator != nullptr &&
             decode_accumulator(c, enc, range.size(), accumulator + range.begin, &err) != n)) {
          ctx.TryCancel();
          break;
        }
        filled += n;
      }
      grpc::Status st = reader->Finish();
      if (!err.empty()) return grpc::Status(grpc::StatusCode::INTERNAL, "bad reply: " + err);
      if (st.ok() && filled != range.size()) {
        return grpc::Status(grpc::StatusCode::INTERNAL,
                            "incomplete reply: " + std::to_string(filled) + " values");
      }
      return st;
    });
    return version;
  }

  bool push_shard(int s, const float* grad, std::int64_t version) {
    const ParameterLayout layout(total, num_shards);
    const Range range = layout.shard(s);
    const pb::Encoding enc = opt.fp16 ? pb::FLOAT16 : pb::FLOAT32;
    pb::PushReply rep;
    const std::string& server = opt.servers[shard_server[static_cast<std::size_t>(s)]];
    call(server, "push", [&](grpc::ClientContext& ctx) {
      rep.Clear();
      auto writer = data[static_cast<std::size_t>(s)]->Push(&ctx, &rep);
      pb::ParameterChunk c;
      const std::int64_t n = range.size();
      for (std::int64_t off = 0; off < n; off += opt.chunk_values) {
        const std::int64_t m = std::min(opt.chunk_values, n - off);
        c.Clear();
        if (off == 0) {
          c.set_shard(s);
          c.set_version(version);
          c.set_length(n);
          c.set_encoding(enc);
          c.set_worker_id(worker);
        }
        c.set_offset(off);
        encode_values(grad + range.begin + off, m, enc, c.mutable_data());
        if (!writer->Write(c)) break; // the server ended the call: Finish says why
      }
      writer->WritesDone();
      return writer->Finish();
    });
    return rep.applied();
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  auto& o = impl_->opt;
  o = std::move(options);
  if (o.servers.empty()) throw usage_error("parameter-server client: no server address");
  if (o.token.empty()) throw usage_error("parameter-server client: a token is required");
  if (o.chunk_values < 256 || o.chunk_values > kMaxChunkValues) {
    throw usage_error("parameter-server client: chunk size must be in [256, " +
                      std::to_string(kMaxChunkValues) + "] values");
  }
  if (!o.tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = read_file(o.tls_ca);
    impl_->creds = grpc::SslCredentials(ssl);
  } else {
    impl_->creds = grpc::InsecureChannelCredentials();
  }
  for (const auto& s : o.servers) impl_->control.push_back(impl_->make_stub(s, false));
}

Client::~Client() = default;

void Client::connect() {
  auto& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  m.num_shards = 0;
  m.total = 0;
  m.shard_server.clear();
  m.server_initialized.assign(m.opt.servers.size(), false);
  std::vector<int> owner;
  bool found_coordinator = false;
  for (std::size_t i = 0; i < m.opt.servers.size(); ++i) {
    pb::RegisterRequest req;
    req.set_worker_name(m.opt.worker_name);
    req.set_observer(m.opt.observer);
    pb::RegisterReply rep;
    m.call(m.opt.servers[i], "register",
           [&](grpc::ClientContext& ctx) { return m.control[i]->Register(&ctx, req, &rep); });
    if (m.num_shards == 0) {
      m.num_shards = rep.num_shards();
      owner.assign(static_cast<std::size_t>(m.num_shards), -1);
    } else if (rep.num_shards() != m.num_shards) {
      throw usage_error(m.opt.servers[i] + ": serves a layout of " +
                        std::to_string(rep.num_shards()) + " shards, " + m.opt.servers[0] +
                        " one of " + std::to_string(m.num_shards));
    }
    for (const int s : rep.shards()) {
      if (s < 0 || s >= m.num_shards)
        throw runtime_error(m.opt.servers[i] + ": reports shard " + std::to_string(s) +
                            " out of range");
      if (owner[static_cast<std::size_t>(s)] >= 0) {
        throw usage_error(
            "shard " + std::to_string(s) + " is served twice (" +
            m.opt.servers[static_cast<std::size_t>(owner[static_cast<std::size_t>(s)])] + " and " +
            m.opt.servers[i] + ")");
      }
      owner[static_cast<std::size_t>(s)] = static_cast<int>(i);
    }
    m.server_initialized[i] = rep.initialized();
    if (rep.initialized()) {
      if (m.total != 0 && m.total != rep.total_size())
        throw usage_error("the servers disagree on the number of parameters");
      m.total = rep.total_size();
    }
    if (rep.coordinator()) {
      found_coordinator = true;
      m.coordinator = i;
      m.worker = rep.worker_id();
    }
  }
  for (int s = 0; s < m.num_shards; ++s) {
    if (owner[static_cast<std::size_t>(s)] < 0)
      throw usage_error("no server given hosts shard " + std::to_string(s));
    m.shard_server.push_back(static_cast<std::size_t>(owner[static_cast<std::size_t>(s)]));
  }
  if (!found_coordinator) throw usage_error("no server given hosts shard 0 (the coordinator)");
  m.data.clear();
  for (int s = 0; s < m.num_shards; ++s)
    m.data.push_back(m.make_stub(m.opt.servers[m.shard_server[static_cast<std::size_t>(s)]], true));
}

int Client::num_shards() const {
  return impl_->num_shards;
}
std::int64_t Client::total_size() const {
  return impl_->total;
}
bool Client::initialized() const {
  for (const bool b : impl_->server_initialized) {
    if (!b) return false;
  }
  return impl_->total > 0;
}

void Client::initialize(const std::vector<float>& params, const AdagradSettings& rule,
                        const PartitionPlan& plan) {
  auto& m = *impl_;
  const auto total = static_cast<std::int64_t>(params.size());
  const ParameterLayout layout(total, m.num_shards);
  if (m.total != 0 && m.total != total) {
    throw usage_error("the servers hold " + std::to_string(m.total) +
                      " parameters, this model has " + std::to_string(total));
  }
  for (std::size_t i = 0; i < m.opt.servers.size(); ++i) {
    if (m.server_initialized[i]) continue;
    m.call(m.opt.servers[i], "initialize", [&](grpc::ClientContext& ctx) {
      pb::InitializeReply rep;
      auto writer = m.control[i]->Initialize(&ctx, &rep);
      bool first = true;
      for (int s = 0; s < m.num_shards; ++s) {
        if (m.shard_server[static_cast<std::size_t>(s)] != i) continue;
        const Range r = layout.shard(s);
        for (std::int64_t off = 0; off < r.size(); off += m.opt.chunk_values) {
          pb::ParameterChunk c;
          if (first) {
            first = false;
            c.set_total_size(total);
            c.set_encoding(pb::FLOAT32);
            auto* u = c.mutable_rule();
            u->set_learning_rate(rule.learning_rate);
            u->set_initial_accumulator(rule.initial_accumulator);
            u->set_eps(rule.eps);
            auto* p = c.mutable_plan();
            for (const auto rows : plan.run_rows) p->add_run_rows(rows);
            p->set_block_rows(plan.block_rows);
            p->set_epochs(plan.epochs);
            p->set_target_loss(plan.target_loss);
            p->set_seed(plan.seed);
            p->set_warmup_steps(plan.warmup_steps);
            p->set_max_steps(plan.max_steps);
          }
          c.set_shard(s);
          c.set_length(r.size());
          c.set_offset(off);
          encode_values(params.data() + r.begin + off, std::min(m.opt.chunk_values, r.size() - off),
                        pb::FLOAT32, c.mutable_data());
          if (!writer->Write(c)) break;
        }
      }
      writer->WritesDone();
      grpc::Status st = writer->Finish();
      if (st.error_code() == grpc::StatusCode::ALREADY_EXISTS)
        return grpc::Status::OK; // another worker was first
      return st;
    });
    m.server_initialized[i] = true;
  }
  m.total = total;
}

std::vector<std::int64_t> Client::fetch(float* params, float* accumulator) {
  auto& m = *impl_;
  if (m.total == 0) throw runtime_error("fetch before the servers are initialized");
  if (m.num_shards == 1) return {m.fetch_shard(0, params, accumulator)};
  std::vector<std::future<std::int64_t>> jobs;
  for (int s = 0; s < m.num_shards; ++s) {
    jobs.push_back(std::async(std::launch::async, [&m, s, params, accumulator] {
      return m.fetch_shard(s, params, accumulator);
    }));
  }
  for (auto& j : jobs) j.wait();
  std::vector<std::int64_t> versions;
  for (auto& j : jobs) versions.push_back(j.get()); // rethrows the first failure
  return versions;
}

Client::Ticket Client::push_async(const float* grad, std::vector<std::int64_t> versions,
                                  PushOutcome* outcome) {
  return impl_->enqueue([this, grad, versions = std::move(versions), outcome] {
    const PushOutcome o = push(grad, versions);
    if (outcome) *outcome = o;
  });
}

Client::Ticket Client::fetch_async(float* params, std::vector<std::int64_t>* versions,
                                   double* seconds) {
  return impl_->enqueue([this, params, versions, seconds] {
    const auto t0 = std::chrono::steady_clock::now();
    auto v = fetch(params);
    if (versions) *versions = std::move(v);
    if (seconds)
      *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  });
}

void Client::wait(Ticket ticket) {
  auto& m = *impl_;
  std::unique_lock<std::mutex> lock(m.async_mutex);
  m.async_done_cv.wait(lock, [&] { return m.completed >= ticket; });
  for (auto it = m.failures.begin(); it != m.failures.end() && it->first <= ticket;) {
    const std::exception_ptr e = it->second;
    m.failures.erase(it);
    std::rethrow_exception(e);
  }
}

PushOutcome Client::push(const float* grad, const std::vector<std::int64_t>& versions) {
  const auto t0 = std::chrono::steady_clock::now();
  PushOutcome out = push_all(grad, versions);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

PushOutcome Client::push_all(const float* grad, const std::vector<std::int64_t>& versions) {
  auto& m = *impl_;
  if (m.total == 0) throw runtime_error("push before the servers are initialized");
  if (static_cast<int>(versions.size()) != m.num_shards)
    throw usage_error("push: one version per shard is needed");
  PushOutcome out;
  if (m.num_shards == 1) {
    (m.push_shard(0, grad, versions[0]) ? out.applied : out.stale)++;
    return out;
  }
  std::vector<std::future<bool>> jobs;
  for (int s = 0; s < m.num_shards; ++s) {
    jobs.push_back(std::async(std::launch::async, [&m, s, grad, &versions] {
      return m.push_shard(s, grad, versions[static_cast<std::size_t>(s)]);
    }));
  }
  for (auto& j : jobs) j.wait();
  for (auto& j : jobs) (j.get() ? out.applied : out.stale)++;
  return out;
}

std::int64_t TaskClient::worker_id() const {
  return client_.impl_->worker;
}

LeaseAnswer TaskClient::lease(std::int64_t steps) {
  auto& m = *client_.impl_;
  pb::LeaseRequest req;
  req.set_worker_id(m.worker);
  req.set_steps(steps);
  pb::LeaseReply rep;
  m.call(m.opt.servers[m.coordinator], "lease", [&](grpc::ClientContext& ctx) {
    return m.control[m.coordinator]->LeasePartition(&ctx, req, &rep);
  });
  LeaseAnswer a;
  switch (rep.kind()) {
  case pb::LeaseReply::PARTITION: {
    a.kind = LeaseAnswer::Kind::kPartition;
    const auto& p = rep.partition();
    a.task = PartitionTask{p.id(), p.epoch(), p.index(), p.run(), p.first_row(), p.rows()};
    break;
  }
  case pb::LeaseReply::DONE:
    a.kind = LeaseAnswer::Kind::kDone;
    break;
  default:
    a.kind = LeaseAnswer::Kind::kWait;
    break;
  }
  return a;
}

bool TaskClient::complete(std::int64_t lease_id, double mean_loss, std::int64_t steps) {
  auto& m = *client_.impl_;
  pb::CompleteRequest req;
  req.set_worker_id(m.worker);
  req.set_lease_id(lease_id);
  req.set_mean_loss(mean_loss);
  req.set_steps(steps);
  pb::CompleteReply rep;
  m.call(m.opt.servers[m.coordinator], "complete", [&](grpc::ClientContext& ctx) {
    return m.control[m.coordinator]->CompletePartition(&ctx, req, &rep);
  });
  return rep.accepted();
}

std::pair<bool, bool> TaskClient::heartbeat(std::int64_t steps) {
  auto& m = *client_.impl_;
  pb::HeartbeatRequest req;
  req.set_worker_id(m.worker);
  req.set_steps(steps);
  pb::HeartbeatReply rep;
  m.call(m.opt.servers[m.coordinator], "heartbeat", [&](grpc::ClientContext& ctx) {
    return m.control[m.coordinator]->Heartbeat(&ctx, req, &rep);
  });
  return {rep.finished(), rep.warmup_done()};
}

ServerStatus Client::status(std::size_t i) {
  if (i >= impl_->opt.servers.size()) throw usage_error("status: no server " + std::to_string(i));
  return impl_->status(i);
}

ServerStatus TaskClient::status() {
  return client_.impl_->status(client_.impl_->coordinator);
}

void Client::shutdown_servers(bool stop) {
  auto& m = *impl_;
  for (std::size_t i = 0; i < m.opt.servers.size(); ++i) {
    pb::ShutdownRequest req;
    req.set_stop(stop);
    pb::ShutdownReply rep;
    m.call(m.opt.servers[i], "shutdown",
           [&](grpc::ClientContext& ctx) { return m.control[i]->Shutdown(&ctx, req, &rep); });
  }
}

} // namespace dcae::ps
