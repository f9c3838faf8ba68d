// The parameter server and its client on loopback: token, bad pushes, staleness, chunked
// transfer of more than 4 MB, fp16, checkpoints and resume, TLS, reconnection with backoff.
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "ps/client.h"
#include "ps/internal/parameter_server.grpc.pb.h"
#include "ps/parameter_layout.h"
#include "ps/server.h"
#include "ps/task_client.h"
#include "ps/update_rule.h"
#include "test_data.h"

namespace dcae::ps {
namespace {

namespace pb = dcae::ps::proto;
const std::string kToken = "s3cret-token";

std::vector<float> random_values(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

PartitionPlan small_plan() {
  PartitionPlan p;
  p.run_rows = {100};
  p.block_rows = 50;
  p.epochs = 1;
  return p;
}

ServerOptions server_options(int shards = 1) {
  ServerOptions o;
  o.token = kToken;
  o.num_shards = shards;
  o.checkpoint_every_s = 0;
  return o;
}

ClientOptions client_options(const std::vector<int>& ports, const std::string& token = kToken) {
  ClientOptions o;
  for (const int p : ports) o.servers.push_back("127.0.0.1:" + std::to_string(p));
  o.token = token;
  o.retry_budget_s = 5;
  return o;
}

/// A raw stub, for calls the client never makes (no token, wrong lengths).
std::unique_ptr<pb::ParameterServer::Stub> raw_stub(int port) {
  return pb::ParameterServer::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
}

struct Running {
  explicit Running(ServerOptions o) : server(std::move(o)) { server.start(); }
  ParameterServer server;
};

TEST(ParameterServer, ChunkedFetchAndPushOfMoreThan4MBApplyAdagrad) {
  constexpr std::size_t kN = 1'500'001; // 6 MB of float32: more than one gRPC message may hold
  Running r(server_options(2));
  Client c(client_options({r.server.port()}));
  c.connect();
  EXPECT_FALSE(c.initialized());
  const auto init = random_values(kN, 1);
  AdagradSettings rule{0.05, 0.1, 1e-10};
  c.initialize(init, rule, small_plan());
  std::vector<float> got(kN);
  auto versions = c.fetch(got.data());
  ASSERT_EQ(versions.size(), 2U);
  EXPECT_EQ(versions[0], 0);
  EXPECT_EQ(got, init);
  const auto grad = random_values(kN, 2, 0.3f);
  const auto out = c.push(grad.data(), versions);
  EXPECT_EQ(out.applied, 2);
  std::vector<float> expect = init, state(kN, 0.1f);
  AdagradRule(rule).apply(expect.data(), state.data(), grad.data(), static_cast<std::int64_t>(kN));
  std::vector<float> accum(kN);
  versions = c.fetch(got.data(), accum.data());
  EXPECT_EQ(versions[0], 1);
  EXPECT_EQ(versions[1], 1);
  EXPECT_EQ(got, expect);
  EXPECT_EQ(accum, state);
  const auto s = c.status(0);
  EXPECT_EQ(s.pushes_applied, 2);
  EXPECT_GE(s.bytes_received,
            static_cast<std::int64_t>(kN * 4 * 2)); // initial values + one gradient
}

TEST(ParameterServer, CallsWithoutTheTokenAreRefused) {
  Running r(server_options());
  auto stub = raw_stub(r.server.port());
  grpc::ClientContext ctx;
  pb::StatusReply rep;
  const auto st = stub->Status(&ctx, pb::StatusRequest(), &rep);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext ctx2;
  ctx2.AddMetadata(kTokenMetadataKey, "wrong");
  pb::RegisterReply reg;
  EXPECT_EQ(stub->Register(&ctx2, pb::RegisterRequest(), &reg).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  Client bad(client_options({r.server.port()}, "not-the-token"));
  test::expect_error([&] { bad.connect(); }, ExitCode::kBadUsage, {"unauthenticated", "token"});
  EXPECT_EQ(r.server.counters().calls_unauthenticated, 3);
}

class Initialized : public ::testing::Test {
protected:
  static constexpr std::size_t kN = 1000;
  void SetUp() override { start(server_options()); }
  void start(ServerOptions o) {
    running = std::make_unique<Running>(std::move(o));
    client = std::make_unique<Client>(client_options({running->server.port()}));
    client->connect();
    if (!client->initialized()) client->initialize(init, AdagradSettings{}, small_plan());
  }
  std::vector<float> fetch() {
    std::vector<float> v(kN);
    client->fetch(v.data());
    return v;
  }
  std::vector<float> init = random_values(kN, 7);
  std::unique_ptr<Running> running;
  std::unique_ptr<Client> client;
};

TEST_F(Initialized, APushWithNonFiniteValuesIsRefusedAndChangesNothing) {
  for (const float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    auto grad = random_values(kN, 3);
    grad[kN / 2] = bad;
    test::expect_error([&] { client->push(grad.data(), {0}); }, ExitCode::kRuntime,
                       {"push refused", "non-finite"});
  }
  EXPECT_EQ(fetch(), init);
  const auto s = client->status(0);
  EXPECT_EQ(s.pushes_refused, 2);
  EXPECT_EQ(s.pushes_applied, 0);
  EXPECT_EQ(s.versions.at(0), 0);
}

TEST_F(Initialized, APushOfTheWrongLengthIsRefusedAndChangesNothing) {
  auto stub = raw_stub(running->server.port());
  for (const std::int64_t len :
       {static_cast<std::int64_t>(kN) - 1, static_cast<std::int64_t>(kN) + 1}) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kTokenMetadataKey, kToken);
    pb::PushReply rep;
    auto w = stub->Push(&ctx, &rep);
    pb::ParameterChunk c;
    c.set_shard(0);
    c.set_length(len);
    std::vector<float> g(static_cast<std::size_t>(len), 1.0f);
    c.set_data(g.data(), g.size() * 4);
    w->Write(c);
    w->WritesDone();
    const auto st = w->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find("length"), std::string::npos) << st.error_message();
  }
  { // the header says the right length, but the chunks carry fewer values
    grpc::ClientContext ctx;
    ctx.AddMetadata(kTokenMetadataKey, kToken);
    pb::PushReply rep;
    auto w = stub->Push(&ctx, &rep);
    pb::ParameterChunk c;
    c.set_length(kN);
    std::vector<float> g(10, 1.0f);
    c.set_data(g.data(), g.size() * 4);
    w->Write(c);
    w->WritesDone();
    EXPECT_EQ(w->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  { // a shard that is not hosted, and a ragged byte count
    grpc::ClientContext ctx;
    ctx.AddMetadata(kTokenMetadataKey, kToken);
    pb::PushReply rep;
    auto w = stub->Push(&ctx, &rep);
    pb::ParameterChunk c;
    c.set_shard(5);
    c.set_length(kN);
    c.set_data("abc");
    w->Write(c);
    w->WritesDone();
    EXPECT_EQ(w->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(fetch(), init);
  EXPECT_EQ(client->status(0).pushes_refused, 4);
  // Still serving after all that.
  const auto g = random_values(kN, 4);
  EXPECT_EQ(client->push(g.data(), {0}).applied, 1);
}

TEST_F(Initialized, BadInitializationAndCoordinatorCallsGetErrorStatuses) {
  auto stub = raw_stub(running->server.port());
  grpc::ClientContext ctx;
  ctx.AddMetadata(kTokenMetadataKey, kToken);
  pb::InitializeReply rep;
  auto w = stub->Initialize(&ctx, &rep);
  pb::ParameterChunk c;
  c.set_total_size(10);
  w->Write(c);
  w->WritesDone();
  EXPECT_EQ(w->Finish().error_code(), grpc::StatusCode::ALREADY_EXISTS);
  grpc::ClientContext ctx2;
  ctx2.AddMetadata(kTokenMetadataKey, kToken);
  pb::CompleteRequest creq;
  creq.set_mean_loss(std::numeric_limits<double>::quiet_NaN());
  pb::CompleteReply crep;
  EXPECT_EQ(stub->CompletePartition(&ctx2, creq, &crep).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(fetch(), init);
}

TEST(ParameterServer, AnUninitializedServerRefusesBadInitialValues) {
  Running r(server_options());
  auto stub = raw_stub(r.server.port());
  auto init_with = [&](std::int64_t total, std::vector<float> values, bool with_plan) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kTokenMetadataKey, kToken);
    pb::InitializeReply rep;
    auto w = stub->Initialize(&ctx, &rep);
    pb::ParameterChunk c;
    c.set_total_size(total);
    c.mutable_rule()->set_learning_rate(0.01);
    c.mutable_rule()->set_eps(1e-10);
    if (with_plan) {
      c.mutable_plan()->add_run_rows(10);
      c.mutable_plan()->set_block_rows(5);
      c.mutable_plan()->set_epochs(1);
    }
    c.set_data(values.data(), values.size() * 4);
    w->Write(c);
    w->WritesDone();
    return w->Finish().error_code();
  };
  EXPECT_EQ(init_with(0, {}, true), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(init_with(4, {1, 2, 3}, true), grpc::StatusCode::INVALID_ARGUMENT);   // too few values
  EXPECT_EQ(init_with(2, {1, 2, 3}, true), grpc::StatusCode::INVALID_ARGUMENT);   // too many
  EXPECT_EQ(init_with(3, {1, NAN, 3}, true), grpc::StatusCode::INVALID_ARGUMENT); // non-finite
  EXPECT_EQ(init_with(3, {1, 2, 3}, false),
            grpc::StatusCode::INVALID_ARGUMENT); // no plan for the coordinator
  Client c(client_options({r.server.port()}));
  c.connect();
  EXPECT_FALSE(c.initialized());
  test::expect_error([&] { TaskClient(c).lease(0); }, ExitCode::kRuntime, {"failed precondition"});
  EXPECT_EQ(init_with(3, {1, 2, 3}, true), grpc::StatusCode::OK);
}

TEST(ParameterServer, PushesStalerThanMaxStalenessAreDroppedAndCounted) {
  ServerOptions o = server_options();
  o.max_staleness = 1;
  Running r(o);
  Client c(client_options({r.server.port()}));
  c.connect();
  const auto init = random_values(100, 1);
  c.initialize(init, AdagradSettings{}, small_plan());
  const auto g = random_values(100, 2);
  EXPECT_EQ(c.push(g.data(), {0}).applied, 1); // staleness 0 → version 1
  EXPECT_EQ(c.push(g.data(), {0}).applied, 1); // staleness 1 → version 2
  std::vector<float> before(100), after(100);
  c.fetch(before.data());
  const auto out = c.push(g.data(), {0}); // staleness 2: dropped
  EXPECT_EQ(out.applied, 0);
  EXPECT_EQ(out.stale, 1);
  c.fetch(after.data());
  EXPECT_EQ(before, after);
  const auto s = c.status(0);
  EXPECT_EQ(s.pushes_stale, 1);
  EXPECT_EQ(s.pushes_applied, 2);
  EXPECT_EQ(s.versions.at(0), 2);
}

TEST(ParameterServer, Fp16TransferHalvesTheBytesAndKeepsHalfPrecision) {
  Running r(server_options());
  auto o = client_options({r.server.port()});
  o.fp16 = true;
  Client c(o);
  c.connect();
  const auto init = random_values(10000, 5);
  c.initialize(init, AdagradSettings{}, small_plan());
  const auto sent0 = c.status(0).bytes_sent;
  std::vector<float> got(init.size());
  c.fetch(got.data());
  EXPECT_EQ(c.status(0).bytes_sent - sent0, 20000);
  for (std::size_t i = 0; i < init.size(); ++i)
    EXPECT_NEAR(got[i], init[i], std::abs(init[i]) / 1024 + 1e-7);
  const auto g = random_values(10000, 6);
  const auto recv0 = c.status(0).bytes_received;
  EXPECT_EQ(c.push(g.data(), {0}).applied, 1);
  EXPECT_EQ(c.status(0).bytes_received - recv0, 20000);
}

TEST(ParameterServer, TwoServersEachHostingOneShardServeOneVector) {
  ServerOptions a = server_options(2), b = server_options(2);
  a.hosted = {0};
  b.hosted = {1};
  Running ra(a), rb(b);
  Client c(client_options({rb.server.port(), ra.server.port()})); // any order
  c.connect();
  const auto init = random_values(5001, 9);
  c.initialize(init, AdagradSettings{}, small_plan());
  std::vector<float> got(init.size());
  EXPECT_EQ(c.fetch(got.data()).size(), 2U);
  EXPECT_EQ(got, init);
  EXPECT_TRUE(TaskClient(c).status().coordinator);
  EXPECT_EQ(TaskClient(c).lease(0).kind, LeaseAnswer::Kind::kPartition);
  Client half(client_options({ra.server.port()}));
  test::expect_error([&] { half.connect(); }, ExitCode::kBadUsage, {"shard 1"});
}

TEST(ParameterServer, CheckpointsAtomicallyAndResumes) {
  test::TempDir dir;
  ServerOptions o = server_options(2);
  o.checkpoint = dir / "ps.ckpt";
  o.checkpoint_every_s = 0.2;
  std::vector<float> after_push(777);
  auto r = std::make_unique<Running>(o);
  Client c(client_options({r->server.port()}));
  c.connect();
  c.initialize(random_values(777, 1), AdagradSettings{}, small_plan());
  EXPECT_TRUE(std::filesystem::exists(o.checkpoint)) << "written right after initialization";
  const auto g = random_values(777, 2);
  c.push(g.data(), {0, 0});
  const std::int64_t lease_id = TaskClient(c).lease(0).task.lease_id;
  c.fetch(after_push.data());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_GE(c.status(0).checkpoints_written, 3);
  // No temporary file is left beside the checkpoint.
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
  // The server goes away and comes back on the same port; the same client carries on.
  o.listen = "127.0.0.1:" + std::to_string(r->server.port());
  r.reset();
  r = std::make_unique<Running>(o);
  EXPECT_TRUE(r->server.resumed());
  std::vector<float> got(777);
  const auto v = c.fetch(got.data());
  EXPECT_EQ(got, after_push);
  EXPECT_EQ(v, (std::vector<std::int64_t>{1, 1}));
  EXPECT_TRUE(TaskClient(c).complete(lease_id, 0.5, 10))
      << "the coordinator's leases survive the restart";
  EXPECT_EQ(c.status(0).coordination.partitions_completed, 1);
  EXPECT_TRUE(c.status(0).resumed);
}

TEST(ParameterServer, TheLastPartitionIsCheckpointedBeforeAnyWorkerHearsTheJobIsDone) {
  // No periodic checkpoints: only the one at initialization and the one the last completion
  // writes. A copy of the checkpoint taken right then (as a kill -9 of the server would leave
  // it) resumes as a finished job, so a launcher that restarts the server finds the job done
  // although its workers have left.
  test::TempDir dir;
  ServerOptions o = server_options();
  o.checkpoint = dir / "ps.ckpt";
  Running r(o);
  Client c(client_options({r.server.port()}));
  c.connect();
  c.initialize(random_values(100, 1), AdagradSettings{}, small_plan());
  TaskClient tasks(c);
  const auto first = tasks.lease(0);
  ASSERT_EQ(first.kind, LeaseAnswer::Kind::kPartition);
  EXPECT_TRUE(tasks.complete(first.task.lease_id, 0.5, 10));
  EXPECT_EQ(c.status(0).checkpoints_written, 1) << "only the one at initialization so far";
  const auto second = tasks.lease(10);
  ASSERT_EQ(second.kind, LeaseAnswer::Kind::kPartition);
  EXPECT_TRUE(tasks.complete(second.task.lease_id, 0.4, 10));
  EXPECT_EQ(c.status(0).checkpoints_written, 2);
  EXPECT_EQ(tasks.lease(0).kind, LeaseAnswer::Kind::kDone);
  EXPECT_EQ(c.status(0).checkpoints_written, 2) << "written once";
  std::filesystem::copy_file(o.checkpoint, dir / "copy.ckpt");
  ServerOptions o2 = server_options();
  o2.checkpoint = dir / "copy.ckpt";
  Running again(o2);
  ASSERT_TRUE(again.server.resumed());
  Client c2(client_options({again.server.port()}));
  c2.connect();
  EXPECT_TRUE(c2.status(0).coordination.finished);
  EXPECT_EQ(c2.status(0).coordination.partitions_completed, 2);
}

TEST(ParameterServer, RefusesACorruptOrForeignCheckpoint) {
  test::TempDir dir;
  ServerOptions o = server_options();
  o.checkpoint = dir / "ps.ckpt";
  test::put(o.checkpoint, "not a checkpoint at all");
  test::expect_error([&] { ParameterServer s(o); }, ExitCode::kBadInput,
                     {"ps.ckpt", "not a dcae parameter-server checkpoint"});
  std::filesystem::remove(o.checkpoint);
  {
    Running r(o);
    Client c(client_options({r.server.port()}));
    c.connect();
    c.initialize(random_values(100, 1), AdagradSettings{}, small_plan());
  }
  ServerOptions other = o;
  other.num_shards = 2;
  test::expect_error([&] { ParameterServer s(other); }, ExitCode::kBadInput,
                     {"ps.ckpt", "1 shards"});
  // Truncated values.
  const auto size = std::filesystem::file_size(o.checkpoint);
  std::filesystem::resize_file(o.checkpoint, size - 8);
  test::expect_error([&] { ParameterServer s(o); }, ExitCode::kBadInput, {"ps.ckpt", "truncated"});
}

TEST(ParameterServer, ListensOnLoopbackByDefault) {
  EXPECT_EQ(ServerOptions().listen.rfind("127.0.0.1:", 0), 0U);
  Running r(server_options());
  char port[8];
  std::snprintf(port, sizeof port, ":%04X", r.server.port());
  // Listening sockets (state 0A) on that port, IPv4 or IPv6 (gRPC may use a dual-stack socket
  // bound to the IPv4-mapped ::ffff:127.0.0.1): all must be bound to 127.0.0.1.
  int listening = 0, loopback = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream tcp(table);
    std::string line;
    while (std::getline(tcp, line)) {
      std::istringstream s(line);
      std::string sl, local, remote, state;
      s >> sl >> local >> remote >> state;
      if (state != "0A" || local.size() < 5 || local.substr(local.size() - 5) != port) continue;
      ++listening;
      const std::string addr = local.substr(0, local.size() - 5);
      if (addr == "0100007F" || addr == "0000000000000000FFFF00000100007F") ++loopback;
    }
  }
  EXPECT_GE(listening, 1) << "no listening socket on port " << r.server.port();
  EXPECT_EQ(loopback, listening) << "a socket on port " << r.server.port()
                                 << " is bound beyond 127.0.0.1";
}

TEST(ParameterServer, ClientReconnectsWithBackoffToARestartedServer) {
  test::TempDir dir;
  ServerOptions o = server_options();
  o.checkpoint = dir / "ps.ckpt";
  int port = 0;
  std::vector<float> init = random_values(300, 3);
  {
    Running r(o);
    port = r.server.port();
    Client c(client_options({port}));
    c.connect();
    c.initialize(init, AdagradSettings{}, small_plan());
  }
  // The server is down; the client keeps trying while it comes back on the same port.
  o.listen = "127.0.0.1:" + std::to_string(port);
  auto co = client_options({port});
  co.retry_budget_s = 20;
  Client c(co);
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Running> again;
  std::thread restart([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    again = std::make_unique<Running>(o);
  });
  c.connect();
  std::vector<float> got(300);
  c.fetch(got.data());
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  restart.join();
  EXPECT_EQ(got, init);
  EXPECT_GE(waited, 0.7);
  EXPECT_LT(waited, 10.0);
  // A server that never comes back: the client gives up after its budget with a clear error.
  again.reset();
  auto quick = client_options({port});
  quick.retry_budget_s = 0.5;
  Client gone(quick);
  test::expect_error([&] { gone.connect(); }, ExitCode::kRuntime,
                     {"127.0.0.1:" + std::to_string(port), "unavailable", "gave up"});
}

TEST(ParameterServer, ServesOverTlsWithTheGivenCertificateAndKey) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "openssl not installed";
  test::TempDir dir;
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "
      "subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ServerOptions o = server_options();
  o.tls.cert = dir / "cert.pem";
  o.tls.key = dir / "key.pem";
  Running r(o);
  auto co = client_options({r.server.port()});
  co.tls_ca = dir / "cert.pem";
  Client c(co);
  c.connect();
  c.initialize(random_values(50, 1), AdagradSettings{}, small_plan());
  std::vector<float> got(50);
  c.fetch(got.data());
  EXPECT_EQ(got, random_values(50, 1));
  // A plain-text client cannot talk to it.
  auto plain = client_options({r.server.port()});
  plain.retry_budget_s = 0.3;
  Client p(plain);
  EXPECT_THROW(p.connect(), Error);
  ServerOptions half = server_options();
  half.tls.cert = dir / "cert.pem";
  test::expect_error([&] { ParameterServer s(half); }, ExitCode::kBadUsage,
                     {"certificate and a key"});
}

TEST(ParameterServer, RefusesBadOptions) {
  ServerOptions o = server_options();
  o.chunk_values = 1 << 20; // 4 MB chunks would break gRPC's message limit
  test::expect_error([&] { ParameterServer s(o); }, ExitCode::kBadUsage, {"chunk size"});
  auto co = client_options({1});
  co.chunk_values = 1 << 20;
  test::expect_error([&] { Client c(co); }, ExitCode::kBadUsage, {"chunk size"});
  o = server_options();
  o.token.clear();
  test::expect_error([&] { ParameterServer s(o); }, ExitCode::kBadUsage, {"token"});
  o = server_options(2);
  o.hosted = {2};
  test::expect_error([&] { ParameterServer s(o); }, ExitCode::kBadUsage, {"shard 2"});
  o = server_options();
  o.listen = "256.1.1.1:1";
  ParameterServer s(o);
  test::expect_error([&] { s.start(); }, ExitCode::kRuntime, {"cannot listen", "256.1.1.1:1"});
}

} // namespace
} // namespace dcae::ps
