// Load with bad input mixed in: one parameter server, 16 threads pushing concurrently for
// DCAE_LOAD_SECONDS (default 60) seconds. Each push is, at random, a good gradient (through the
// client, as a worker sends it) or a bad one sent raw: the wrong length, a NaN or an infinity,
// a shard that is not hosted, a ragged byte count, or a wrong token. Afterwards: every bad push
// was refused with an error status and counted (pushes_refused, calls_unauthenticated), every
// good push was applied (its reply and pushes_applied, and the shard's version, equal the good
// count), the parameters are finite and the server still serves.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "ps/client.h"
#include "ps/internal/parameter_server.grpc.pb.h"
#include "ps/security.h"
#include "ps/server.h"
#include "ps/update_rule.h"

namespace dcae::ps {
namespace {

namespace pb = dcae::ps::proto;
const std::string kToken = "load-test-token-0123";
constexpr std::size_t kN = 20000;

double seconds() {
  const char* s = std::getenv("DCAE_LOAD_SECONDS");
  return s ? std::atof(s) : 60.0;
}

/// A raw push of `values` floats (as bytes) to `shard` with `length`; returns the status.
grpc::Status raw_push(pb::ParameterServer::Stub& stub, const std::string& token, int shard,
                      std::int64_t length, const std::string& bytes) {
  grpc::ClientContext ctx;
  ctx.AddMetadata(kTokenMetadataKey, token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  pb::PushReply rep;
  auto w = stub.Push(&ctx, &rep);
  pb::ParameterChunk c;
  c.set_shard(shard);
  c.set_length(length);
  c.set_data(bytes);
  w->Write(c);
  w->WritesDone();
  return w->Finish();
}

std::string floats(std::size_t n, float value) {
  std::vector<float> v(n, 0.001f);
  if (n > 0) v[n / 2] = value;
  return std::string(reinterpret_cast<const char*>(v.data()), n * sizeof(float));
}

TEST(ParameterServerLoad, SixteenPushersWithBadPushesMixedIn) {
  ServerOptions so;
  so.token = kToken;
  so.checkpoint_every_s = 0;
  ParameterServer server(so);
  server.start();
  ClientOptions co;
  co.servers = {"127.0.0.1:" + std::to_string(server.port())};
  co.token = kToken;
  co.retry_budget_s = 10;
  {
    Client init(co);
    init.connect();
    std::vector<float> v(kN, 0.5f);
    PartitionPlan plan;
    plan.run_rows = {100};
    plan.block_rows = 50;
    plan.epochs = 1;
    init.initialize(v, AdagradSettings{}, plan);
  }
  enum Kind { kGood, kWrongLength, kNaN, kInf, kUnknownShard, kRagged, kWrongToken, kKinds };
  const char* names[kKinds] = {"good",          "wrong length", "NaN",        "infinity",
                               "unknown shard", "ragged bytes", "wrong token"};
  std::atomic<std::int64_t> sent[kKinds] = {}, refused[kKinds] = {}, applied_good{0}, unexpected{0};
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<long>(seconds() * 1000));
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(1000 + t));
      Client client(co);
      client.connect();
      auto stub = pb::ParameterServer::NewStub(grpc::CreateChannel(
          "127.0.0.1:" + std::to_string(server.port()), grpc::InsecureChannelCredentials()));
      std::normal_distribution<float> g(0.f, 0.01f);
      std::vector<float> grad(kN);
      while (std::chrono::steady_clock::now() < end) {
        // Half the pushes good, the other half spread over the bad kinds.
        const int kind = rng() % 2 ? kGood : 1 + static_cast<int>(rng() % (kKinds - 1));
        ++sent[kind];
        grpc::Status st;
        switch (kind) {
        case kGood:
          for (auto& x : grad) x = g(rng);
          try {
            if (client.push(grad.data(), {0}).applied == 1) ++applied_good;
          } catch (const Error& e) {
            std::fprintf(stderr, "a good push failed: %s\n", e.what());
            ++unexpected;
          }
          continue;
        case kWrongLength:
          st = raw_push(*stub, kToken, 0, static_cast<std::int64_t>(kN) - 1 - rng() % 5,
                        floats(kN - 1, 0.f));
          break;
        case kNaN:
          st = raw_push(*stub, kToken, 0, kN, floats(kN, std::numeric_limits<float>::quiet_NaN()));
          break;
        case kInf:
          st = raw_push(*stub, kToken, 0, kN, floats(kN, -std::numeric_limits<float>::infinity()));
          break;
        case kUnknownShard:
          st = raw_push(*stub, kToken, 3 + static_cast<int>(rng() % 5), kN, floats(kN, 0.f));
          break;
        case kRagged:
          st = raw_push(*stub, kToken, 0, kN, floats(kN, 0.f).substr(1));
          break;
        case kWrongToken:
          st = raw_push(*stub, "not-the-token-" + std::to_string(rng()), 0, kN, floats(kN, 0.f));
          break;
        }
        if (st.ok())
          ++unexpected;
        else
          ++refused[kind];
      }
    });
  for (auto& th : threads) th.join();

  Client check(co);
  check.connect();
  const ServerStatus s = check.status(0);
  std::int64_t bad_sent = 0, bad_refused = 0, unauth_sent = sent[kWrongToken];
  std::printf("| push | sent | refused | applied |\n|---|---|---|---|\n");
  for (int k = 0; k < kKinds; ++k) {
    std::printf("| %s | %lld | %lld | %lld |\n", names[k], static_cast<long long>(sent[k]),
                static_cast<long long>(refused[k]),
                static_cast<long long>(k == kGood ? applied_good.load() : 0));
    if (k != kGood) bad_sent += sent[k], bad_refused += refused[k];
  }
  std::printf("server: pushes_applied %lld, pushes_refused %lld, calls_unauthenticated %lld, "
              "version %lld\n",
              static_cast<long long>(s.pushes_applied), static_cast<long long>(s.pushes_refused),
              static_cast<long long>(s.calls_unauthenticated),
              static_cast<long long>(s.versions.at(0)));
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GT(bad_sent, 100);
  EXPECT_EQ(bad_refused, bad_sent);
  EXPECT_EQ(applied_good.load(), sent[kGood].load());
  EXPECT_EQ(s.pushes_applied, sent[kGood].load());
  EXPECT_EQ(s.versions.at(0), sent[kGood].load());
  EXPECT_EQ(s.pushes_refused, bad_sent - unauth_sent);
  EXPECT_GE(s.calls_unauthenticated, unauth_sent);
  std::vector<float> v(kN);
  check.fetch(v.data());
  for (float x : v) ASSERT_TRUE(std::isfinite(x));
}

} // namespace
} // namespace dcae::ps
