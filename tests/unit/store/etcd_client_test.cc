#include "store/etcd_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "fake_etcd.h"
#include "store_testing.h"

namespace openvpc::store::etcd {
namespace {

using testing::FakeEtcd;

TEST(EtcdClientTest, ParsesEndpoints) {
  auto plain = parse_endpoint("http://127.0.0.1:2379");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 2379);
  EXPECT_EQ(plain->url(), "http://127.0.0.1:2379");
  EXPECT_TRUE(parse_endpoint("localhost:1"));
  for (const char* bad : {"", "http://", "http://127.0.0.1", "http://h:0", "http://h:70000",
                          "http://h:12x", "https://h:1", "http://h:1/path", ":80"}) {
    EXPECT_FALSE(parse_endpoint(bad)) << bad;
  }
}

TEST(EtcdClientTest, MapsGatewayErrors) {
  const struct {
    const char* body;
    const char* code;
  } cases[] = {
      {R"({"error":"etcdserver: mvcc: required revision has been compacted","code":11})",
       "store.compacted"},
      {R"({"error":"etcdserver: mvcc: required revision is a future revision","code":11})",
       "store.invalid_argument"},
      {R"({"error":"etcdserver: duplicate key given in txn request","code":3})",
       "store.invalid_argument"},
      {R"({"error":"etcdserver: no leader","code":14})", "store.unavailable"},
      {"<html>not json</html>", "store.unavailable"},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_gateway_error(400, c.body).error.code, c.code);
  EXPECT_EQ(parse_gateway_error(503, R"({"error":"x","code":14})").grpc_code, 14);
}

const char* kRangeAnswer = R"({"header":{"revision":"7"}})";

void answer(FakeEtcd& fake, const std::string& path, int status, std::string body,
            std::atomic<int>* hits = nullptr) {
  fake.server().Post(path, [=](const httplib::Request&, httplib::Response& res) {
    if (hits != nullptr) ++*hits;
    res.status = status;
    res.set_content(body, "application/json");
  });
}

TEST(EtcdClientTest, FailsOverFromADeadEndpointAndRemembersTheLiveOne) {
  FakeEtcd live;
  answer(live, "/v3/kv/range", 200, kRangeAnswer);
  ASSERT_TRUE(live.start());
  const std::string dead = "http://127.0.0.1:" + std::to_string(testing::free_port());
  auto client = Client::create({dead, live.endpoint()});
  ASSERT_TRUE(client);
  auto response = (*client)->post("/v3/kv/range", {{"key", "YQ=="}}, false);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ((*response)["header"]["revision"], "7");
  EXPECT_EQ((*client)->preferred(), 1u);
}

TEST(EtcdClientTest, NoEndpointAnsweringIsUnavailable) {
  const std::string dead = "http://127.0.0.1:" + std::to_string(testing::free_port());
  auto client = Client::create({dead, dead});
  ASSERT_TRUE(client);
  auto response = (*client)->post("/v3/kv/range", {{"key", "YQ=="}}, true);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "store.unavailable");
  EXPECT_NE(response.error().message.find(dead), std::string::npos);
}

TEST(EtcdClientTest, WritesMoveOnOnlyWhenTheMemberCertainlyDidNotApplyThem) {
  FakeEtcd leaderless, timed_out, healthy;
  std::atomic<int> healthy_hits = 0;
  answer(leaderless, "/v3/kv/txn", 503, R"({"error":"etcdserver: no leader","code":14})");
  answer(timed_out, "/v3/kv/txn", 503, R"({"error":"etcdserver: request timed out","code":14})");
  answer(healthy, "/v3/kv/txn", 200, kRangeAnswer, &healthy_hits);
  ASSERT_TRUE(leaderless.start() && timed_out.start() && healthy.start());

  auto moves_on = Client::create({leaderless.endpoint(), healthy.endpoint()});
  ASSERT_TRUE(moves_on);
  EXPECT_TRUE((*moves_on)->post("/v3/kv/txn", nlohmann::json::object(), false));
  EXPECT_EQ(healthy_hits.load(), 1);

  auto stays = Client::create({timed_out.endpoint(), healthy.endpoint()});
  ASSERT_TRUE(stays);
  auto write = (*stays)->post("/v3/kv/txn", nlohmann::json::object(), false);
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().code, "store.unavailable");
  EXPECT_EQ(healthy_hits.load(), 1);  // a possibly applied write is not sent twice
  EXPECT_TRUE((*stays)->post("/v3/kv/txn", nlohmann::json::object(), true));  // reads move on
  EXPECT_EQ(healthy_hits.load(), 2);
}

TEST(EtcdClientTest, AnswerThatIsNotJsonIsCorrupt) {
  FakeEtcd fake;
  answer(fake, "/v3/kv/range", 200, "{\"header\":");
  ASSERT_TRUE(fake.start());
  auto client = Client::create({fake.endpoint()});
  ASSERT_TRUE(client);
  auto response = (*client)->post("/v3/kv/range", nlohmann::json::object(), true);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, "store.corrupt");
}

TEST(EtcdClientTest, ConcurrentRequestsAllSucceed) {
  FakeEtcd fake;
  answer(fake, "/v3/kv/range", 200, kRangeAnswer);
  ASSERT_TRUE(fake.start());
  auto client = Client::create({fake.endpoint()});
  ASSERT_TRUE(client);
  std::mutex mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto response = (*client)->post("/v3/kv/range", nlohmann::json::object(), true);
        std::lock_guard lock(mutex);
        if (!response) failures.push_back(response.error().message);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
}

}  // namespace
}  // namespace openvpc::store::etcd
