// etcd-only behaviour of the store: endpoints, a vanished etcd, a three-member cluster losing
// a member, and durability when both the writer and etcd are killed with SIGKILL.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "store/store.h"
#include "store_testing.h"

namespace openvpc::store {
namespace {

using namespace std::chrono_literals;
using testing::EtcdCluster;
using testing::TempDir;

Operation put(std::string key, std::string value) {
  return Operation{Operation::Kind::put, std::move(key), std::move(value)};
}

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::etcd_binary().empty()) GTEST_SKIP() << "etcd is not installed";
  }
  std::unique_ptr<Store> open(const std::vector<std::string>& endpoints) {
    auto store = open_etcd_store(endpoints);
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }
  TempDir dir_;
};

TEST_F(EtcdStoreTest, OpeningNeedsAReachableWellFormedEndpoint) {
  auto none = open_etcd_store({});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "store.invalid_argument");
  auto malformed = open_etcd_store({"http://127.0.0.1"});
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, "store.invalid_argument");
  auto unreachable = open_etcd_store({"http://127.0.0.1:" + std::to_string(testing::free_port())});
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, "store.unavailable");
}

TEST_F(EtcdStoreTest, KilledEtcdMakesEveryCallUnavailableWithoutCrashing) {
  auto etcd = EtcdCluster::start(dir_.path());
  ASSERT_NE(etcd, nullptr);
  auto store = open(etcd->endpoints());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->txn({}, {put("k", "v")}));
  auto watch = store->watch("", 0);
  ASSERT_TRUE(watch) << watch.error().message;
  etcd->kill(0);
  EXPECT_EQ(store->get("k").error().code, "store.unavailable");
  EXPECT_EQ(store->range("").error().code, "store.unavailable");
  EXPECT_EQ(store->txn({}, {put("k", "w")}).error().code, "store.unavailable");
  EXPECT_EQ(store->compact(1).error().code, "store.unavailable");
  EXPECT_EQ(store->current_revision().error().code, "store.unavailable");
  EXPECT_EQ(store->watch("", 0).error().code, "store.unavailable");
  std::string watch_error;
  for (int i = 0; i < 100 && watch_error.empty(); ++i) {
    auto events = (*watch)->next(100ms);
    if (!events) watch_error = events.error().code;
  }
  EXPECT_EQ(watch_error, "store.unavailable");
}

// The member the store talks to dies (a follower: a dead leader's in-flight proposals wait for
// etcd's request timeout and fail with an unknown outcome, which is etcd's behaviour, not ours).
TEST_F(EtcdStoreTest, ThreeMemberClusterKeepsServingWhenOneMemberDies) {
  auto etcd = EtcdCluster::start(dir_.path(), 3);
  ASSERT_NE(etcd, nullptr);
  int leader = -1;
  for (int i = 0; i < 50 && leader < 0; ++i) {
    leader = etcd->leader();
    if (leader < 0) std::this_thread::sleep_for(100ms);
  }
  ASSERT_GE(leader, 0);
  const int victim = (leader + 1) % 3;
  auto endpoints = etcd->endpoints();
  std::rotate(endpoints.begin(), endpoints.begin() + victim, endpoints.end());
  auto store = open(endpoints);
  ASSERT_NE(store, nullptr);
  const int64_t first = (*store->txn({}, {put("k", "1")})).revision;
  auto watch = store->watch("k", first);
  ASSERT_TRUE(watch) << watch.error().message;
  etcd->kill(victim);  // the member every request went to so far
  auto second = store->txn({{"k", first}}, {put("k", "2")});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->succeeded);
  auto kv = store->get("k");
  ASSERT_TRUE(kv && kv->has_value());
  EXPECT_EQ((*kv)->value, "2");
  std::vector<Event> events;  // the watch resumes on another member
  for (int i = 0; i < 100 && events.size() < 2; ++i) {
    auto batch = (*watch)->next(100ms);
    ASSERT_TRUE(batch) << batch.error().message;
    events.insert(events.end(), batch->begin(), batch->end());
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.value, "1");
  EXPECT_EQ(events[1].kv.value, "2");
}

TEST_F(EtcdStoreTest, AcknowledgedTransactionsSurviveKill9OfWriterAndEtcd) {
  auto etcd = EtcdCluster::start(dir_.path());
  ASSERT_NE(etcd, nullptr);
  const auto endpoints = etcd->endpoints();
  auto run = testing::run_and_kill_writer([&] { return open_etcd_store(endpoints); }, 200,
                                          [&] { etcd->kill(0); });
  ASSERT_TRUE(run.killed) << "the writer stopped by itself";
  ASSERT_GE(run.acknowledged.size(), 10u);
  ASSERT_TRUE(etcd->restart(0));
  auto store = open(endpoints);
  ASSERT_NE(store, nullptr);
  testing::expect_durable(*store, run);
}

}  // namespace
}  // namespace openvpc::store
