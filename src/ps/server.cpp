#include "ps/server.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "ps/coordinator.h"
#include "ps/half.h"
#include "ps/internal/parameter_server.grpc.pb.h"
#include "ps/internal/wire.h"
#include "ps/parameter_layout.h"
#include "ps/update_rule.h"

namespace fs = std::filesystem;

namespace dcae::ps {
namespace {

namespace pb = dcae::ps::proto;
using grpc::ServerContext;
using GStatus = grpc::Status;
using grpc::StatusCode;

constexpr char kCheckpointMagic[8] = {'D', 'C', 'A', 'E', 'P', 'S', '0', '1'};
constexpr int kCheckpointFormat = 1;

/// One hosted shard: its values, Adagrad state and version, under one mutex.
struct Shard {
  int index = 0;
  Range range;
  std::mutex mutex;
  std::vector<float> params;
  std::vector<float> state;
  std::int64_t version = 0;
};

} // namespace

struct ParameterServer::Impl final : pb::ParameterServer::Service {
  explicit Impl(ServerOptions o) : opt(std::move(o)) {}

  ServerOptions opt;
  std::vector<std::unique_ptr<Shard>> shards; // hosted, in shard order
  std::atomic<bool> initialized{false};
  std::mutex init_mutex;
  std::int64_t total_size = 0;
  std::unique_ptr<AdagradRule> rule;
  bool hosts_coordinator = false;
  std::mutex coord_mutex;
  std::unique_ptr<Coordinator> coordinator;
  std::atomic<std::int64_t> next_worker{0};
  bool resumed = false;

  std::atomic<std::int64_t> pushes_applied{0}, pushes_stale{0}, pushes_refused{0},
      unauthenticated{0}, bytes_received{0}, bytes_sent{0}, checkpoints_written{0};

  std::unique_ptr<grpc::Server> server;
  int bound_port = 0;
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop_requested = false;
  bool stopped = false;
  std::mutex shutdown_mutex;
  std::thread checkpoint_thread;
  std::mutex checkpoint_mutex;
  std::mutex final_checkpoint_mutex;
  bool final_checkpoint_written = false;

  Shard* find_shard(int s) {
    for (auto& sh : shards) {
      if (sh->index == s) return sh.get();
    }
    return nullptr;
  }

  GStatus check_token(ServerContext* ctx) {
    const auto& md = ctx->client_metadata();
    const auto it = md.find(kTokenMetadataKey);
    if (it == md.end() ||
        !tokens_equal(std::string(it->second.data(), it->second.size()), opt.token)) {
      ++unauthenticated;
      return {StatusCode::UNAUTHENTICATED, "missing or wrong token (x-dcae-token)"};
    }
    return GStatus::OK;
  }

  /// Runs a handler: token first, and no exception ever leaves it (a server never aborts).
  template <typename Fn> GStatus guarded(ServerContext* ctx, Fn&& fn) {
    if (GStatus s = check_token(ctx); !s.ok()) return s;
    try {
      return fn();
    } catch (const std::bad_alloc&) {
      return {StatusCode::RESOURCE_EXHAUSTED, "out of memory"};
    } catch (const std::exception& e) {
      return {StatusCode::INTERNAL, e.what()};
    }
  }

  // ---- checkpoints

  void write_checkpoint() {
    if (opt.checkpoint.empty() || !initialized) return;
    std::lock_guard<std::mutex> ck(checkpoint_mutex);
    nlohmann::json h;
    h["format"] = kCheckpointFormat;
    h["num_shards"] = opt.num_shards;
    h["total_size"] = total_size;
    h["rule"] = {{"learning_rate", rule->settings().learning_rate},
                 {"initial_accumulator", rule->settings().initial_accumulator},
                 {"eps", rule->settings().eps}};
    h["next_worker"] = next_worker.load();
    h["counters"] = {pushes_applied.load(), pushes_stale.load(), pushes_refused.load()};
    std::vector<std::vector<float>> params, state;
    std::vector<int> hosted;
    std::vector<std::int64_t> versions;
    for (auto& sh : shards) {
      std::lock_guard<std::mutex> lock(sh->mutex);
      params.push_back(sh->params);
      state.push_back(sh->state);
      versions.push_back(sh->version);
      hosted.push_back(sh->index);
    }
    h["hosted"] = hosted;
    h["versions"] = versions;
    if (hosts_coordinator) {
      std::lock_guard<std::mutex> lock(coord_mutex);
      h["coordinator"] = coordinator ? coordinator->to_json() : nlohmann::json();
    }
    const std::string header = h.dump();
    AtomicOutput out(opt.checkpoint);
    {
      std::ofstream f(out.temp_path(), std::ios::binary);
      f.write(kCheckpointMagic, sizeof kCheckpointMagic);
      const std::uint64_t n = header.size();
      f.write(reinterpret_cast<const char*>(&n), sizeof n);
      f.write(header.data(), static_cast<std::streamsize>(n));
      for (std::size_t i = 0; i < params.size(); ++i) {
        f.write(reinterpret_cast<const char*>(params[i].data()),
                static_cast<std::streamsize>(params[i].size() * 4));
        f.write(reinterpret_cast<const char*>(state[i].data()),
                static_cast<std::streamsize>(state[i].size() * 4));
      }
      f.flush();
      if (!f)
        throw runtime_error(out.temp_path().string() + ": cannot write the server checkpoint");
    }
    out.commit();
    ++checkpoints_written;
  }

  /// The checkpoint of a finished job, written once before any worker hears that the job is
  /// done: a server that dies from then on resumes as finished (the workers will not return).
  void write_final_checkpoint() {
    std::lock_guard<std::mutex> lock(final_checkpoint_mutex);
    if (final_checkpoint_written) return;
    try {
      write_checkpoint();
    } catch (const std::exception& e) {
      log::warn("server checkpoint at the end of the job failed: ", e.what());
    }
    final_checkpoint_written = true;
  }

  void load_checkpoint() {
    const std::string where = opt.checkpoint.string();
    std::ifstream f(opt.checkpoint, std::ios::binary);
    if (!f) throw input_error(where + ": cannot open the server checkpoint");
    char magic[8];
    std::uint64_t n = 0;
    if (!f.read(magic, sizeof magic) || std::memcmp(magic, kCheckpointMagic, sizeof magic) != 0 ||
        !f.read(reinterpret_cast<char*>(&n), sizeof n) || n > (64u << 20)) {
      throw input_error(where + ": not a dcae parameter-server checkpoint");
    }
    std::string header(n, '\0');
    if (!f.read(header.data(), static_cast<std::streamsize>(n)))
      throw input_error(where + ": truncated header");
    nlohmann::json h;
    try {
      h = nlohmann::json::parse(header);
      if (h.at("format").get<int>() > kCheckpointFormat)
        throw input_error(where + ": checkpoint format is newer than this dcae");
      if (h.at("num_shards").get<int>() != opt.num_shards) {
        throw input_error(where + ": checkpoint of " +
                          std::to_string(h.at("num_shards").get<int>()) +
                          " shards, this server has " + std::to_string(opt.num_shards));
      }
      std::vector<int> hosted;
      for (auto& sh : shards) hosted.push_back(sh->index);
      if (h.at("hosted").get<std::vector<int>>() != hosted)
        throw input_error(where + ": checkpoint of other shards");
      total_size = h.at("total_size").get<std::int64_t>();
      const ParameterLayout layout(total_size, opt.num_shards);
      AdagradSettings s;
      s.learning_rate = h.at("rule").at("learning_rate").get<double>();
      s.initial_accumulator = h.at("rule").at("initial_accumulator").get<double>();
      s.eps = h.at("rule").at("eps").get<double>();
      rule = std::make_unique<AdagradRule>(s);
      // Workers registered after the checkpoint are unknown here: skip ahead so that their ids
      // are never handed out again.
      next_worker = h.at("next_worker").get<std::int64_t>() + (1 << 20);
      const auto versions = h.at("versions").get<std::vector<std::int64_t>>();
      const auto counters = h.at("counters").get<std::vector<std::int64_t>>();
      pushes_applied = counters.at(0);
      pushes_stale = counters.at(1);
      pushes_refused = counters.at(2);
      for (std::size_t i = 0; i < shards.size(); ++i) {
        Shard& sh = *shards[i];
        sh.range = layout.shard(sh.index);
        sh.params.resize(static_cast<std::size_t>(sh.range.size()));
        sh.state.resize(sh.params.size());
        sh.version = versions.at(i);
        if (!f.read(reinterpret_cast<char*>(sh.params.data()),
                    static_cast<std::streamsize>(sh.params.size() * 4)) ||
            !f.read(reinterpret_cast<char*>(sh.state.data()),
                    static_cast<std::streamsize>(sh.state.size() * 4))) {
          throw input_error(where + ": truncated values of shard " + std::to_string(sh.index));
        }
      }
      if (hosts_coordinator && h.contains("coordinator") && !h["coordinator"].is_null()) {
        coordinator = std::make_unique<Coordinator>(plan_from_json(h["coordinator"].at("plan")),
                                                    opt.lease_timeout_s);
        coordinator->restore(h["coordinator"], Coordinator::Clock::now());
      }
    } catch (const nlohmann::json::exception& e) {
      throw input_error(where + ": bad checkpoint header: " + e.what());
    } catch (Error& e) {
      if (e.code() != ExitCode::kBadInput) throw input_error(where + ": " + e.what());
      throw;
    }
    initialized = true;
    resumed = true;
    std::int64_t v = 0;
    for (auto& sh : shards) v = std::max(v, sh->version);
    log::info("resumed from ", where, " (", total_size, " parameters, version ", v, ")");
  }

  // ---- service

  GStatus Register(ServerContext* ctx, const pb::RegisterRequest* req,
                   pb::RegisterReply* rep) override {
    return guarded(ctx, [&] {
      rep->set_worker_id(hosts_coordinator && !req->observer() ? next_worker++ : 0);
      for (auto& sh : shards) rep->add_shards(sh->index);
      rep->set_num_shards(opt.num_shards);
      rep->set_initialized(initialized);
      rep->set_total_size(initialized ? total_size : 0);
      rep->set_coordinator(hosts_coordinator);
      if (hosts_coordinator && !req->observer())
        log::debug("worker ", rep->worker_id(), " registered (", req->worker_name(), ")");
      return GStatus::OK;
    });
  }

  GStatus Initialize(ServerContext* ctx, grpc::ServerReader<pb::ParameterChunk>* reader,
                     pb::InitializeReply*) override {
    return guarded(ctx, [&]() -> GStatus {
      pb::ParameterChunk c;
      if (!reader->Read(&c)) return {StatusCode::INVALID_ARGUMENT, "empty initialization"};
      if (initialized) return {StatusCode::ALREADY_EXISTS, "already initialized"};
      const std::int64_t total = c.total_size();
      if (total < opt.num_shards)
        return {StatusCode::INVALID_ARGUMENT, "total_size smaller than the number of shards"};
      const ParameterLayout layout(total, opt.num_shards);
      AdagradSettings s{c.rule().learning_rate(), c.rule().initial_accumulator(), c.rule().eps()};
      if (!(s.learning_rate > 0) || !(s.initial_accumulator >= 0) || !(s.eps > 0)) {
        return {StatusCode::INVALID_ARGUMENT,
                "update rule: learning_rate and eps must be > 0, initial_accumulator ≥ 0"};
      }
      std::unique_ptr<Coordinator> coord;
      if (hosts_coordinator) {
        if (c.plan().run_rows_size() == 0)
          return {StatusCode::INVALID_ARGUMENT, "the coordinator needs a partition plan"};
        PartitionPlan p;
        p.run_rows.assign(c.plan().run_rows().begin(), c.plan().run_rows().end());
        p.block_rows = c.plan().block_rows();
        p.epochs = c.plan().epochs();
        p.target_loss = c.plan().target_loss();
        p.seed = c.plan().seed();
        p.warmup_steps = c.plan().warmup_steps();
        p.max_steps = c.plan().max_steps();
        try {
          coord = std::make_unique<Coordinator>(p, opt.lease_timeout_s);
        } catch (const Error& e) {
          return {StatusCode::INVALID_ARGUMENT, e.what()};
        }
      }
      std::vector<std::vector<float>> values(shards.size());
      std::vector<std::int64_t> filled(shards.size(), 0);
      for (std::size_t i = 0; i < shards.size(); ++i) {
        values[i].assign(static_cast<std::size_t>(layout.shard(shards[i]->index).size()), 0.0f);
      }
      const pb::Encoding enc = c.encoding();
      bool first = true;
      while (first || reader->Read(&c)) {
        first = false;
        std::size_t i = 0;
        while (i < shards.size() && shards[i]->index != c.shard()) ++i;
        if (i == shards.size())
          return {StatusCode::INVALID_ARGUMENT,
                  "shard " + std::to_string(c.shard()) + " is not hosted here"};
        if (c.data().empty()) continue;
        std::string err;
        const std::int64_t n = decode_chunk(c, enc, static_cast<std::int64_t>(values[i].size()),
                                            values[i].data(), &err);
        if (n < 0) return {StatusCode::INVALID_ARGUMENT, err};
        filled[i] += n;
        bytes_received += static_cast<std::int64_t>(c.data().size());
      }
      for (std::size_t i = 0; i < shards.size(); ++i) {
        if (filled[i] != static_cast<std::int64_t>(values[i].size())) {
          return {StatusCode::INVALID_ARGUMENT,
                  "shard " + std::to_string(shards[i]->index) + ": " + std::to_string(filled[i]) +
                      " of " + std::to_string(values[i].size()) + " initial values"};
        }
      }
      std::lock_guard<std::mutex> lock(init_mutex);
      if (initialized) return {StatusCode::ALREADY_EXISTS, "already initialized"};
      total_size = total;
      rule = std::make_unique<AdagradRule>(s);
      for (std::size_t i = 0; i < shards.size(); ++i) {
        Shard& sh = *shards[i];
        std::lock_guard<std::mutex> sl(sh.mutex);
        sh.range = layout.shard(sh.index);
        sh.params = std::move(values[i]);
        sh.state.assign(sh.params.size(), rule->initial_state());
        sh.version = 0;
      }
      {
        std::lock_guard<std::mutex> cl(coord_mutex);
        coordinator = std::move(coord);
      }
      initialized = true;
      try {
        write_checkpoint(); // a server restarted from now on always finds its parameters
      } catch (const std::exception& e) {
        log::warn("server checkpoint failed: ", e.what());
      }
      log::info("initialized: ", total, " parameters, ", opt.num_shards, " shard(s)");
      return GStatus::OK;
    });
  }

  GStatus Heartbeat(ServerContext* ctx, const pb::HeartbeatRequest* req,
                    pb::HeartbeatReply* rep) override {
    return guarded(ctx, [&]() -> GStatus {
      std::lock_guard<std::mutex> lock(coord_mutex);
      if (!coordinator)
        return {StatusCode::FAILED_PRECONDITION, "no coordinator here (or not initialized)"};
      coordinator->heartbeat(req->worker_id(), req->steps(), Coordinator::Clock::now());
      rep->set_finished(coordinator->finished());
      rep->set_warmup_done(coordinator->warmup_done());
      return GStatus::OK;
    });
  }

  GStatus Fetch(ServerContext* ctx, const pb::FetchRequest* req,
                grpc::ServerWriter<pb::ParameterChunk>* writer) override {
    return guarded(ctx, [&]() -> GStatus {
      if (!initialized) return {StatusCode::FAILED_PRECONDITION, "not initialized"};
      Shard* sh = find_shard(req->shard());
      if (sh == nullptr)
        return {StatusCode::INVALID_ARGUMENT,
                "shard " + std::to_string(req->shard()) + " is not hosted here"};
      if (req->encoding() != pb::FLOAT32 && req->encoding() != pb::FLOAT16)
        return {StatusCode::INVALID_ARGUMENT, "unknown encoding"};
      const std::int64_t chunk =
          req->chunk_values() > 0
              ? std::clamp<std::int64_t>(req->chunk_values(), 256, kMaxChunkValues)
              : opt.chunk_values;
      std::vector<float> params, state;
      std::int64_t version = 0;
      {
        std::lock_guard<std::mutex> lock(sh->mutex);
        params = sh->params;
        if (req->with_accumulator()) state = sh->state;
        version = sh->version;
      }
      const auto n = static_cast<std::int64_t>(params.size());
      pb::ParameterChunk c;
      for (std::int64_t off = 0; off < n || off == 0; off += chunk) {
        const std::int64_t m = std::min(chunk, n - off);
        c.Clear();
        if (off == 0) {
          c.set_shard(sh->index);
          c.set_version(version);
          c.set_length(n);
          c.set_encoding(req->encoding());
        }
        c.set_offset(off);
        encode_values(params.data() + off, m, req->encoding(), c.mutable_data());
        if (req->with_accumulator())
          encode_values(state.data() + off, m, req->encoding(), c.mutable_accumulator());
        bytes_sent += static_cast<std::int64_t>(c.data().size() + c.accumulator().size());
        if (!writer->Write(c)) return {StatusCode::CANCELLED, "the client went away"};
        if (n == 0) break;
      }
      return GStatus::OK;
    });
  }

  GStatus Push(ServerContext* ctx, grpc::ServerReader<pb::ParameterChunk>* reader,
               pb::PushReply* rep) override {
    return guarded(ctx, [&]() -> GStatus {
      auto refuse = [&](StatusCode code, const std::string& why) {
        ++pushes_refused;
        return GStatus(code, "push refused: " + why);
      };
      pb::ParameterChunk c;
      if (!reader->Read(&c)) return refuse(StatusCode::INVALID_ARGUMENT, "empty push");
      if (!initialized) return refuse(StatusCode::FAILED_PRECONDITION, "not initialized");
      Shard* sh = find_shard(c.shard());
      if (sh == nullptr)
        return refuse(StatusCode::INVALID_ARGUMENT,
                      "shard " + std::to_string(c.shard()) + " is not hosted here");
      const auto n = static_cast<std::int64_t>(sh->params.size()); // fixed after initialization
      if (c.length() != n) {
        return refuse(StatusCode::INVALID_ARGUMENT,
                      "gradient of length " + std::to_string(c.length()) + " for shard " +
                          std::to_string(sh->index) + " of length " + std::to_string(n));
      }
      const std::int64_t base = c.version();
      const pb::Encoding enc = c.encoding();
      thread_local std::vector<float> grad;
      grad.resize(static_cast<std::size_t>(n));
      std::int64_t filled = 0;
      bool first = true;
      while (first || reader->Read(&c)) {
        first = false;
        if (c.data().empty()) continue;
        if (c.offset() != filled)
          return refuse(StatusCode::INVALID_ARGUMENT, "chunks out of order");
        std::string err;
        const std::int64_t m = decode_chunk(c, enc, n, grad.data(), &err);
        if (m < 0) return refuse(StatusCode::INVALID_ARGUMENT, err);
        filled += m;
        bytes_received += static_cast<std::int64_t>(c.data().size());
      }
      if (filled != n) {
        return refuse(StatusCode::INVALID_ARGUMENT, "gradient of length " + std::to_string(filled) +
                                                        " for shard " + std::to_string(sh->index) +
                                                        " of length " + std::to_string(n));
      }
      std::lock_guard<std::mutex> lock(sh->mutex);
      const std::int64_t staleness = std::max<std::int64_t>(0, sh->version - base);
      rep->set_staleness(staleness);
      if (opt.max_staleness >= 0 && staleness > opt.max_staleness) {
        ++pushes_stale;
        rep->set_applied(false);
        rep->set_version(sh->version);
        return GStatus::OK;
      }
      rule->apply(sh->params.data(), sh->state.data(), grad.data(), n);
      ++sh->version;
      ++pushes_applied;
      rep->set_applied(true);
      rep->set_version(sh->version);
      return GStatus::OK;
    });
  }

  GStatus LeasePartition(ServerContext* ctx, const pb::LeaseRequest* req,
                         pb::LeaseReply* rep) override {
    return guarded(ctx, [&]() -> GStatus {
      std::unique_lock<std::mutex> lock(coord_mutex);
      if (!coordinator)
        return {StatusCode::FAILED_PRECONDITION, "no coordinator here (or not initialized)"};
      const LeaseAnswer a =
          coordinator->lease(req->worker_id(), req->steps(), Coordinator::Clock::now());
      rep->set_lease_timeout_s(coordinator->lease_timeout_s());
      if (a.kind == LeaseAnswer::Kind::kDone) {
        lock.unlock();
        write_final_checkpoint();
      }
      switch (a.kind) {
      case LeaseAnswer::Kind::kDone:
        rep->set_kind(pb::LeaseReply::DONE);
        break;
      case LeaseAnswer::Kind::kWait:
        rep->set_kind(pb::LeaseReply::WAIT);
        break;
      case LeaseAnswer::Kind::kPartition: {
        rep->set_kind(pb::LeaseReply::PARTITION);
        auto* p = rep->mutable_partition();
        p->set_id(a.task.lease_id);
        p->set_epoch(a.task.epoch);
        p->set_index(a.task.index);
        p->set_run(a.task.run);
        p->set_first_row(a.task.first_row);
        p->set_rows(a.task.rows);
        break;
      }
      }
      return GStatus::OK;
    });
  }

  GStatus CompletePartition(ServerContext* ctx, const pb::CompleteRequest* req,
                            pb::CompleteReply* rep) override {
    return guarded(ctx, [&]() -> GStatus {
      if (!std::isfinite(req->mean_loss()))
        return {StatusCode::INVALID_ARGUMENT, "the partition's loss is not finite"};
      bool job_done = false;
      {
        std::lock_guard<std::mutex> lock(coord_mutex);
        if (!coordinator)
          return {StatusCode::FAILED_PRECONDITION, "no coordinator here (or not initialized)"};
        const bool was_finished = coordinator->finished();
        rep->set_accepted(coordinator->complete(req->worker_id(), req->lease_id(), req->mean_loss(),
                                                req->steps(), Coordinator::Clock::now()));
        job_done = !was_finished && coordinator->finished();
      }
      if (job_done) write_final_checkpoint();
      return GStatus::OK;
    });
  }

  GStatus fill_status(pb::StatusReply* rep) {
    for (auto& sh : shards) {
      rep->add_shards(sh->index);
      std::lock_guard<std::mutex> lock(sh->mutex);
      rep->add_versions(sh->version);
    }
    rep->set_initialized(initialized);
    rep->set_pushes_applied(pushes_applied);
    rep->set_pushes_stale(pushes_stale);
    rep->set_pushes_refused(pushes_refused);
    rep->set_calls_unauthenticated(unauthenticated);
    rep->set_bytes_received(bytes_received);
    rep->set_bytes_sent(bytes_sent);
    rep->set_checkpoints_written(checkpoints_written);
    rep->set_resumed(resumed);
    rep->set_coordinator(hosts_coordinator);
    std::lock_guard<std::mutex> lock(coord_mutex);
    if (coordinator) {
      coordinator->expire(Coordinator::Clock::now());
      const CoordinatorStatus s = coordinator->status();
      rep->set_partitions_per_epoch(s.partitions_per_epoch);
      rep->set_partitions_completed(s.partitions_completed);
      rep->set_leases_expired(s.leases_expired);
      rep->set_requeued_completed_by_other(s.requeued_completed_by_other);
      rep->set_current_epoch(s.current_epoch);
      rep->set_finished(s.finished);
      rep->set_stop_reason(s.stop_reason);
      rep->set_steps(s.steps);
      rep->set_warmup_done(s.warmup_done);
      rep->set_workers_registered(s.workers);
      for (const auto& [e, v] : s.epoch_losses) {
        auto* el = rep->add_epoch_losses();
        el->set_epoch(e);
        el->set_mean_loss(v.first);
        el->set_partitions(v.second);
      }
      for (const auto& [w, c] : s.partitions_by_worker) {
        auto* wp = rep->add_partitions_by_worker();
        wp->set_worker_id(w);
        wp->set_partitions(c);
      }
    }
    return GStatus::OK;
  }

  GStatus Status(ServerContext* ctx, const pb::StatusRequest*, pb::StatusReply* rep) override {
    return guarded(ctx, [&] { return fill_status(rep); });
  }

  GStatus Shutdown(ServerContext* ctx, const pb::ShutdownRequest* req,
                   pb::ShutdownReply*) override {
    return guarded(ctx, [&]() -> GStatus {
      write_checkpoint();
      if (req->stop()) request_stop();
      return GStatus::OK;
    });
  }

  void request_stop() {
    {
      std::lock_guard<std::mutex> lock(stop_mutex);
      stop_requested = true;
    }
    stop_cv.notify_all();
  }

  void checkpoint_loop() {
    std::unique_lock<std::mutex> lock(stop_mutex);
    while (!stop_requested) {
      if (opt.checkpoint_every_s > 0) {
        stop_cv.wait_for(lock, std::chrono::duration<double>(opt.checkpoint_every_s));
      } else {
        stop_cv.wait(lock);
      }
      if (stop_requested) break;
      lock.unlock();
      try {
        write_checkpoint();
      } catch (const std::exception& e) {
        log::warn("server checkpoint failed: ", e.what());
      }
      lock.lock();
    }
  }

  void do_shutdown() {
    std::lock_guard<std::mutex> lock(shutdown_mutex);
    if (stopped) return;
    request_stop();
    if (server) server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    if (checkpoint_thread.joinable()) checkpoint_thread.join();
    try {
      write_checkpoint();
    } catch (const std::exception& e) {
      log::warn("last server checkpoint failed: ", e.what());
    }
    stopped = true;
  }
};

ParameterServer::ParameterServer(ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  auto& o = impl_->opt;
  if (o.token.empty()) throw usage_error("parameter server: a token is required");
  if (o.num_shards < 1) throw usage_error("parameter server: --shards must be ≥ 1");
  if (o.hosted.empty()) {
    for (int s = 0; s < o.num_shards; ++s) o.hosted.push_back(s);
  }
  std::sort(o.hosted.begin(), o.hosted.end());
  o.hosted.erase(std::unique(o.hosted.begin(), o.hosted.end()), o.hosted.end());
  for (const int s : o.hosted) {
    if (s < 0 || s >= o.num_shards) {
      throw usage_error("parameter server: shard " + std::to_string(s) + " out of range [0, " +
                        std::to_string(o.num_shards) + ")");
    }
    auto sh = std::make_unique<Shard>();
    sh->index = s;
    impl_->shards.push_back(std::move(sh));
  }
  impl_->hosts_coordinator = o.hosted.front() == 0;
  if (o.tls.cert.empty() != o.tls.key.empty())
    throw usage_error("parameter server: TLS needs both a certificate and a key");
  if (o.chunk_values < 256 || o.chunk_values > kMaxChunkValues) {
    throw usage_error("parameter server: chunk size must be in [256, " +
                      std::to_string(kMaxChunkValues) + "] values");
  }
  if (o.resume && !o.checkpoint.empty() && fs::exists(o.checkpoint)) impl_->load_checkpoint();
}

ParameterServer::~ParameterServer() {
  shutdown();
}

void ParameterServer::start() {
  auto& o = impl_->opt;
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!o.tls.cert.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({read_file(o.tls.key), read_file(o.tls.cert)});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  grpc::ServerBuilder b;
  b.AddListeningPort(o.listen, creds, &impl_->bound_port);
  b.RegisterService(impl_.get());
  b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  set_transport_arguments([&b](const char* key, int value) { b.AddChannelArgument(key, value); });
  impl_->server = b.BuildAndStart();
  if (!impl_->server || impl_->bound_port == 0) {
    impl_->server.reset();
    throw runtime_error("parameter server: cannot listen on " + o.listen);
  }
  impl_->checkpoint_thread = std::thread([this] { impl_->checkpoint_loop(); });
  std::string hosted;
  for (const int s : o.hosted) hosted += (hosted.empty() ? "" : ",") + std::to_string(s);
  log::info("parameter server: shard(s) ", hosted, " of ", o.num_shards, " on ", o.listen,
            " (port ", impl_->bound_port, ")", o.tls.cert.empty() ? "" : " with TLS",
            impl_->hosts_coordinator ? "; coordinator" : "");
}

int ParameterServer::port() const {
  return impl_->bound_port;
}

void ParameterServer::wait() {
  {
    std::unique_lock<std::mutex> lock(impl_->stop_mutex);
    impl_->stop_cv.wait(lock, [&] { return impl_->stop_requested; });
  }
  impl_->do_shutdown();
}

void ParameterServer::shutdown() {
  impl_->do_shutdown();
}

void ParameterServer::write_checkpoint() {
  impl_->write_checkpoint();
}

ServerCounters ParameterServer::counters() const {
  return {impl_->pushes_applied,     impl_->pushes_stale,   impl_->pushes_refused,
          impl_->unauthenticated,    impl_->bytes_received, impl_->bytes_sent,
          impl_->checkpoints_written};
}

bool ParameterServer::resumed() const {
  return impl_->resumed;
}

} // namespace dcae::ps
