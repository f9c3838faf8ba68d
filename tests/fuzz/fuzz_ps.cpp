// The parameter server's request handling, through its real gRPC service on loopback: every
// input is a sequence of calls (Register, Initialize and Push streams of chunks with random
// shards, offsets, lengths, versions, encodings, chunk counts and bytes, Fetch, Heartbeat,
// LeasePartition, CompletePartition, Status), each with the right token or a wrong one. The
// server must answer every call (with an error status for a bad one), never crash, and keep
// its parameters finite: after each input a Fetch of every shard must decode to finite values.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>
#include <grpcpp/grpcpp.h>

#include "core/log.h"
#include "ps/internal/parameter_server.grpc.pb.h"
#include "ps/internal/wire.h"
#include "ps/security.h"
#include "ps/server.h"

namespace {

namespace proto = dcae::ps::proto;
constexpr int kShards = 2;
const std::string kToken = "fuzz-token-0123456789";

struct Fixture {
  std::unique_ptr<dcae::ps::ParameterServer> server;
  std::unique_ptr<proto::ParameterServer::Stub> stub;
  Fixture() {
    dcae::log::set_level(dcae::log::Level::kError);
    dcae::ps::ServerOptions o;
    o.num_shards = kShards;
    o.token = kToken;
    o.checkpoint_every_s = 0;
    server = std::make_unique<dcae::ps::ParameterServer>(o);
    server->start();
    stub = proto::ParameterServer::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials()));
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

/// Printable ASCII (what a gRPC client can send as metadata, and valid UTF-8 for strings).
std::string printable(FuzzedDataProvider& in, std::size_t max) {
  std::string s = in.ConsumeRandomLengthString(max);
  for (auto& ch : s) ch = static_cast<char>(0x20 + static_cast<unsigned char>(ch) % 0x5f);
  return s;
}

void prepare(grpc::ClientContext& ctx, FuzzedDataProvider& in) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (in.ConsumeProbability<float>() < 0.9f)
    ctx.AddMetadata(dcae::ps::kTokenMetadataKey, kToken);
  else
    ctx.AddMetadata(dcae::ps::kTokenMetadataKey, printable(in, 32));
}

proto::ParameterChunk chunk(FuzzedDataProvider& in) {
  proto::ParameterChunk c;
  c.set_shard(in.ConsumeIntegralInRange<int>(-1, kShards));
  c.set_version(in.ConsumeIntegralInRange<std::int64_t>(-2, 50));
  c.set_length(in.ConsumeIntegralInRange<std::int64_t>(-1, 4096));
  c.set_encoding(in.ConsumeBool() ? proto::FLOAT32 : proto::FLOAT16);
  c.set_worker_id(in.ConsumeIntegralInRange<std::int64_t>(-1, 8));
  c.set_total_size(in.ConsumeIntegralInRange<std::int64_t>(-1, 8192));
  c.set_offset(in.ConsumeIntegralInRange<std::int64_t>(-4, 4096));
  if (in.ConsumeBool()) {
    auto* r = c.mutable_rule();
    r->set_learning_rate(in.ConsumeFloatingPoint<double>());
    r->set_initial_accumulator(in.ConsumeFloatingPoint<double>());
    r->set_eps(in.ConsumeFloatingPoint<double>());
  }
  if (in.ConsumeBool()) {
    auto* p = c.mutable_plan();
    for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i)
      p->add_run_rows(in.ConsumeIntegralInRange<std::int64_t>(-5, 5000));
    p->set_block_rows(in.ConsumeIntegralInRange<std::int64_t>(-1, 5000));
    p->set_epochs(in.ConsumeIntegralInRange<std::int64_t>(-1, 3));
    p->set_target_loss(in.ConsumeFloatingPoint<double>());
    p->set_seed(in.ConsumeIntegral<std::uint64_t>());
    p->set_warmup_steps(in.ConsumeIntegralInRange<std::int64_t>(-1, 100));
  }
  if (in.ConsumeBool()) {
    // Mostly well-formed values (so that the update rule runs), sometimes raw bytes.
    if (in.ConsumeBool()) {
      const auto n = in.ConsumeIntegralInRange<std::int64_t>(0, 512);
      std::string data;
      std::vector<float> v(static_cast<std::size_t>(n));
      for (auto& x : v) x = in.ConsumeFloatingPointInRange<float>(-4.f, 4.f);
      dcae::ps::encode_values(v.data(), n, c.encoding(), &data);
      c.set_data(data);
    } else {
      c.set_data(in.ConsumeRandomLengthString(2048));
    }
  }
  if (in.ConsumeProbability<float>() < 0.1f) c.set_accumulator(in.ConsumeRandomLengthString(256));
  return c;
}

template <typename Reply, typename Call> void stream_call(FuzzedDataProvider& in, Call&& open) {
  grpc::ClientContext ctx;
  prepare(ctx, in);
  Reply reply;
  auto writer = open(&ctx, &reply);
  for (int i = in.ConsumeIntegralInRange(0, 4); i > 0; --i)
    if (!writer->Write(chunk(in))) break;
  writer->WritesDone();
  (void)writer->Finish();
}

/// Every hosted shard's values, fetched as float32: all finite (else a finding).
void check_parameters_finite() {
  auto& f = fixture();
  for (int s = 0; s < kShards; ++s) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(dcae::ps::kTokenMetadataKey, kToken);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    proto::FetchRequest req;
    req.set_shard(s);
    auto reader = f.stub->Fetch(&ctx, req);
    proto::ParameterChunk c;
    while (reader->Read(&c)) {
      const std::string& d = c.data();
      for (std::size_t i = 0; i + 4 <= d.size(); i += 4) {
        float v;
        std::memcpy(&v, d.data() + i, 4);
        if (!std::isfinite(v)) {
          std::fprintf(stderr, "shard %d holds a non-finite parameter after this input\n", s);
          std::abort();
        }
      }
    }
    (void)reader->Finish();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& f = fixture();
  FuzzedDataProvider in(data, size);
  for (int call = in.ConsumeIntegralInRange(1, 8); call > 0 && in.remaining_bytes() > 0; --call) {
    switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0: {
      grpc::ClientContext ctx;
      prepare(ctx, in);
      proto::RegisterRequest r;
      r.set_worker_name(printable(in, 64));
      r.set_observer(in.ConsumeBool());
      proto::RegisterReply reply;
      (void)f.stub->Register(&ctx, r, &reply);
      break;
    }
    case 1:
      stream_call<proto::InitializeReply>(in,
                                          [&](grpc::ClientContext* c, proto::InitializeReply* r) {
                                            return f.stub->Initialize(c, r);
                                          });
      break;
    case 2:
      stream_call<proto::PushReply>(
          in, [&](grpc::ClientContext* c, proto::PushReply* r) { return f.stub->Push(c, r); });
      break;
    case 3: {
      grpc::ClientContext ctx;
      prepare(ctx, in);
      proto::FetchRequest r;
      r.set_shard(in.ConsumeIntegralInRange<int>(-1, kShards));
      r.set_encoding(in.ConsumeBool() ? proto::FLOAT32 : proto::FLOAT16);
      r.set_with_accumulator(in.ConsumeBool());
      r.set_chunk_values(in.ConsumeIntegralInRange<std::int64_t>(-1, 1 << 20));
      auto reader = f.stub->Fetch(&ctx, r);
      proto::ParameterChunk c;
      while (reader->Read(&c)) {
      }
      (void)reader->Finish();
      break;
    }
    case 4: {
      grpc::ClientContext ctx;
      prepare(ctx, in);
      proto::HeartbeatRequest r;
      r.set_worker_id(in.ConsumeIntegralInRange<std::int64_t>(-1, 8));
      r.set_steps(in.ConsumeIntegral<std::int64_t>());
      proto::HeartbeatReply reply;
      (void)f.stub->Heartbeat(&ctx, r, &reply);
      break;
    }
    case 5: {
      grpc::ClientContext ctx;
      prepare(ctx, in);
      proto::LeaseRequest r;
      r.set_worker_id(in.ConsumeIntegralInRange<std::int64_t>(-1, 8));
      r.set_steps(in.ConsumeIntegral<std::int64_t>());
      proto::LeaseReply reply;
      (void)f.stub->LeasePartition(&ctx, r, &reply);
      break;
    }
    case 6: {
      grpc::ClientContext ctx;
      prepare(ctx, in);
      proto::CompleteRequest r;
      r.set_worker_id(in.ConsumeIntegralInRange<std::int64_t>(-1, 8));
      r.set_lease_id(in.ConsumeIntegralInRange<std::int64_t>(-1, 20));
      r.set_mean_loss(in.ConsumeFloatingPoint<double>());
      r.set_steps(in.ConsumeIntegral<std::int64_t>());
      proto::CompleteReply reply;
      (void)f.stub->CompletePartition(&ctx, r, &reply);
      break;
    }
    default: {
      grpc::ClientContext ctx;
      prepare(ctx, in);
      proto::StatusReply reply;
      (void)f.stub->Status(&ctx, proto::StatusRequest(), &reply);
      break;
    }
    }
  }
  check_parameters_finite();
  return 0;
}
