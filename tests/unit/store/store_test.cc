// The store contract (store.h), run against every backend: SQLite in a temporary directory
// and a real one-member etcd on 127.0.0.1.
#include "store/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store_testing.h"

namespace openvpc::store {
namespace {

using namespace std::chrono_literals;
using testing::EtcdCluster;
using testing::TempDir;

Operation put(std::string key, std::string value) {
  return Operation{Operation::Kind::put, std::move(key), std::move(value)};
}
Operation erase(std::string key) {
  return Operation{Operation::Kind::erase, std::move(key), {}};
}

// Collects events until `count` arrived, the watch fails, or 10 s pass.
std::vector<Event> collect(Watch& watch, size_t count) {
  std::vector<Event> events;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (events.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto batch = watch.next(100ms);
    if (!batch) break;
    events.insert(events.end(), batch->begin(), batch->end());
  }
  return events;
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "etcd") {
      if (testing::etcd_binary().empty()) GTEST_SKIP() << "etcd is not installed";
      etcd_ = EtcdCluster::start(dir_.path());
      ASSERT_NE(etcd_, nullptr) << "etcd did not start";
      auto opened = open_etcd_store(etcd_->endpoints());
      ASSERT_TRUE(opened) << opened.error().message;
      store_ = std::move(*opened);
    } else {
      auto opened = open_sqlite_store(dir_.path() + "/data");
      ASSERT_TRUE(opened) << opened.error().message;
      store_ = std::move(*opened);
    }
  }

  int64_t revision() {
    auto current = store_->current_revision();
    EXPECT_TRUE(current) << current.error().message;
    return current ? *current : -1;
  }

  TxnResult must_txn(const std::vector<Compare>& compares, const std::vector<Operation>& ops) {
    auto result = store_->txn(compares, ops);
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : TxnResult{};
  }

  std::optional<KeyValue> must_get(std::string_view key) {
    auto result = store_->get(key);
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : std::nullopt;
  }

  TempDir dir_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, GetOfAbsentKeyIsEmpty) {
  EXPECT_FALSE(must_get("nothing").has_value());
}

TEST_P(StoreTest, PutIncrementsRevisionAndStampsKey) {
  const int64_t before = revision();
  auto first = must_txn({}, {put("k", "v1")});
  EXPECT_TRUE(first.succeeded);
  EXPECT_EQ(first.revision, before + 1);
  auto second = must_txn({}, {put("k", "v2")});
  EXPECT_EQ(second.revision, before + 2);
  auto kv = must_get("k");
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->key, "k");
  EXPECT_EQ(kv->value, "v2");
  EXPECT_EQ(kv->create_revision, first.revision);
  EXPECT_EQ(kv->mod_revision, second.revision);
  EXPECT_EQ(revision(), second.revision);
}

TEST_P(StoreTest, OneTransactionIsOneRevision) {
  const int64_t before = revision();
  auto result = must_txn({}, {put("a", "1"), put("b", "2"), put("c", "3")});
  EXPECT_EQ(result.revision, before + 1);
  for (const char* key : {"a", "b", "c"}) EXPECT_EQ(must_get(key)->mod_revision, before + 1);
}

TEST_P(StoreTest, EraseRemovesKeyAndEraseOfAbsentKeyChangesNothing) {
  auto created = must_txn({}, {put("k", "v")});
  auto erased = must_txn({}, {erase("k")});
  EXPECT_TRUE(erased.succeeded);
  EXPECT_EQ(erased.revision, created.revision + 1);
  EXPECT_FALSE(must_get("k").has_value());
  auto again = must_txn({}, {erase("k")});
  EXPECT_TRUE(again.succeeded);
  EXPECT_EQ(again.revision, erased.revision);  // nothing changed, no new revision
  auto recreated = must_txn({}, {put("k", "w")});
  EXPECT_EQ(must_get("k")->create_revision, recreated.revision);
}

TEST_P(StoreTest, TransactionWithoutOperationsKeepsRevision) {
  const int64_t before = revision();
  auto result = must_txn({}, {});
  EXPECT_TRUE(result.succeeded);
  EXPECT_EQ(result.revision, before);
}

TEST_P(StoreTest, CompareZeroHoldsOnlyForAbsentKey) {
  auto created = must_txn({{"k", 0}}, {put("k", "first")});
  EXPECT_TRUE(created.succeeded);
  auto again = must_txn({{"k", 0}}, {put("k", "second"), put("other", "x")});
  EXPECT_FALSE(again.succeeded);
  EXPECT_EQ(again.revision, created.revision);
  EXPECT_EQ(must_get("k")->value, "first");
  EXPECT_FALSE(must_get("other").has_value());  // nothing of a failed txn is applied
}

TEST_P(StoreTest, CompareOnModRevision) {
  auto created = must_txn({}, {put("k", "1")});
  auto stale = must_txn({{"k", created.revision - 1}}, {put("k", "stale")});
  EXPECT_FALSE(stale.succeeded);
  auto fresh = must_txn({{"k", created.revision}}, {put("k", "2")});
  EXPECT_TRUE(fresh.succeeded);
  auto erased = must_txn({{"k", fresh.revision}}, {erase("k")});
  EXPECT_TRUE(erased.succeeded);
  EXPECT_TRUE(must_txn({{"k", 0}}, {put("k", "3")}).succeeded);  // absent again
}

TEST_P(StoreTest, TwoTransactionsComparingOneRevisionExactlyOneWins) {
  auto created = must_txn({}, {put("k", "0")});
  auto first = must_txn({{"k", created.revision}}, {put("k", "a")});
  auto second = must_txn({{"k", created.revision}}, {put("k", "b")});
  EXPECT_TRUE(first.succeeded);
  EXPECT_FALSE(second.succeeded);
  EXPECT_EQ(must_get("k")->value, "a");
}

TEST_P(StoreTest, EightRacingThreadsOneWinnerPerRevision) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const int64_t seen = must_get("race") ? must_get("race")->mod_revision : 0;
    std::atomic<int> winners = 0, errors = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto result = store_->txn({{"race", seen}}, {put("race", std::to_string(t))});
        if (!result) ++errors;
        if (result && result->succeeded) ++winners;
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

TEST_P(StoreTest, CompareAndSwapCounterFromEightThreadsLosesNoIncrement) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 5;
  std::vector<std::thread> threads;
  std::atomic<int> errors = 0;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int done = 0, attempts = 0; done < kIncrements && attempts < 1000; ++attempts) {
        auto current = store_->get("counter");
        if (!current) return void(++errors);
        const int value = *current ? std::stoi((*current)->value) : 0;
        const int64_t mod = *current ? (*current)->mod_revision : 0;
        auto result = store_->txn({{"counter", mod}}, {put("counter", std::to_string(value + 1))});
        if (!result) return void(++errors);
        if (result->succeeded) ++done;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(must_get("counter")->value, std::to_string(kThreads * kIncrements));
}

TEST_P(StoreTest, DuplicateKeyInOneTransactionIsRejected) {
  auto result = store_->txn({}, {put("k", "1"), erase("k")});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "store.invalid_argument");
  EXPECT_FALSE(must_get("k").has_value());
}

TEST_P(StoreTest, RangeReturnsPrefixSortedBytewise) {
  must_txn({}, {put("a/2", "2"), put("a/10", "10"), put("a", "top"), put("b/1", "b"),
                put("a/\xff", "high"), put("a0", "next")});
  auto range = store_->range("a/");
  ASSERT_TRUE(range) << range.error().message;
  std::vector<std::string> keys;
  for (const auto& kv : range->kvs) keys.push_back(kv.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a/10", "a/2", "a/\xff"}));
  EXPECT_FALSE(range->more);
  EXPECT_EQ(range->revision, revision());
  auto all = store_->range("");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->kvs.size(), 6u);
  auto high = store_->range("a/\xff");
  ASSERT_TRUE(high);
  ASSERT_EQ(high->kvs.size(), 1u);
  EXPECT_EQ(high->kvs[0].value, "high");
}

TEST_P(StoreTest, RangeLimitSaysWhenThereIsMore) {
  must_txn({}, {put("p/1", ""), put("p/2", ""), put("p/3", "")});
  auto two = store_->range("p/", 2);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->kvs.size(), 2u);
  EXPECT_EQ(two->kvs[1].key, "p/2");
  EXPECT_TRUE(two->more);
  auto three = store_->range("p/", 3);
  ASSERT_TRUE(three);
  EXPECT_EQ(three->kvs.size(), 3u);
  EXPECT_FALSE(three->more);
}

TEST_P(StoreTest, BinaryKeysAndEmptyValuesRoundTrip) {
  const std::string key("bin\0\x01\xfe", 6), value("\0\xff\n\"\\", 5);
  must_txn({}, {put(key, value), put("empty", "")});
  EXPECT_EQ(must_get(key)->value, value);
  auto empty = must_get("empty");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->value, "");
}

std::vector<std::string> describe(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(std::string(e.kind == Event::Kind::put ? "put " : "erase ") + e.kv.key + "=" +
                  e.kv.value + "@" + std::to_string(e.kv.mod_revision));
  }
  return out;
}

TEST_P(StoreTest, WatchDeliversChangesUnderPrefixInOrder) {
  auto watch = store_->watch("w/", 0);
  ASSERT_TRUE(watch) << watch.error().message;
  const int64_t r1 = must_txn({}, {put("w/a", "1"), put("other", "x")}).revision;
  const int64_t r2 = must_txn({}, {put("w/b", "2"), put("w/a", "3")}).revision;
  const int64_t r3 = must_txn({}, {erase("w/b")}).revision;
  auto events = collect(**watch, 4);
  EXPECT_EQ(describe(events),
            (std::vector<std::string>{
                "put w/a=1@" + std::to_string(r1), "put w/b=2@" + std::to_string(r2),
                "put w/a=3@" + std::to_string(r2), "erase w/b=@" + std::to_string(r3)}));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].kv.create_revision, r1);
  auto quiet = (*watch)->next(50ms);  // nothing more, and in particular not "other"
  ASSERT_TRUE(quiet);
  EXPECT_TRUE(quiet->empty());
}

TEST_P(StoreTest, WatchFromPastRevisionReplaysHistory) {
  const int64_t first = must_txn({}, {put("h/1", "a")}).revision;
  must_txn({}, {put("h/2", "b")});
  must_txn({}, {erase("h/1")});
  auto watch = store_->watch("h/", first);
  ASSERT_TRUE(watch) << watch.error().message;
  auto events = collect(**watch, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kv.mod_revision, first);
  EXPECT_EQ(events[2].kind, Event::Kind::erase);
  EXPECT_EQ(events[2].kv.key, "h/1");
}

TEST_P(StoreTest, WatchResumesFromLastRevisionPlusOneWithoutGapsOrDuplicates) {
  const int64_t start = revision() + 1;
  for (int i = 0; i < 6; ++i) must_txn({}, {put("r/" + std::to_string(i), "v")});
  int64_t last = 0;
  {
    auto watch = store_->watch("r/", start);
    ASSERT_TRUE(watch);
    auto events = collect(**watch, 3);
    ASSERT_GE(events.size(), 3u);
    last = events[2].kv.mod_revision;  // pretend we processed only three
  }
  auto resumed = store_->watch("r/", last + 1);
  ASSERT_TRUE(resumed);
  auto rest = collect(**resumed, 3);
  ASSERT_EQ(rest.size(), 3u);
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i].kv.key, "r/" + std::to_string(i + 3));
    EXPECT_EQ(rest[i].kv.mod_revision, last + 1 + static_cast<int64_t>(i));
  }
}

TEST_P(StoreTest, WatchSeesEveryWriteOfAConcurrentWriterInOrder) {
  constexpr int kWrites = 50;
  auto watch = store_->watch("c/", 0);
  ASSERT_TRUE(watch);
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) (void)store_->txn({}, {put("c/k", std::to_string(i))});
  });
  auto events = collect(**watch, kWrites);
  writer.join();
  ASSERT_EQ(events.size(), size_t{kWrites});
  for (int i = 0; i < kWrites; ++i) {
    EXPECT_EQ(events[i].kv.value, std::to_string(i));
    if (i > 0) {
      EXPECT_EQ(events[i].kv.mod_revision, events[i - 1].kv.mod_revision + 1);
    }
  }
}

// A watch from a compacted revision fails with store.compacted, from watch() or next().
Error watch_error(Store& store, std::string_view prefix, int64_t from) {
  auto watch = store.watch(prefix, from);
  if (!watch) return watch.error();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto events = (*watch)->next(100ms);
    if (!events) return events.error();
    if (!events->empty()) return make_error("test.events", "the watch delivered events");
  }
  return make_error("test.none", "no error");
}

TEST_P(StoreTest, CompactionMakesOlderRevisionsUnwatchable) {
  const int64_t first = must_txn({}, {put("x/1", "a")}).revision;
  const int64_t second = must_txn({}, {put("x/1", "b")}).revision;
  const int64_t third = must_txn({}, {put("x/2", "c")}).revision;
  ASSERT_TRUE(store_->compact(second));
  EXPECT_EQ(watch_error(*store_, "x/", first).code, "store.compacted");
  auto watch = store_->watch("x/", second);  // the compaction revision itself is kept
  ASSERT_TRUE(watch) << watch.error().message;
  auto events = collect(**watch, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.mod_revision, second);
  EXPECT_EQ(events[1].kv.mod_revision, third);
  EXPECT_EQ(must_get("x/1")->value, "b");  // compaction keeps the current state
}

TEST_P(StoreTest, CompactionOfCompactedOrFutureRevisionFails) {
  must_txn({}, {put("k", "1")});
  const int64_t current = must_txn({}, {put("k", "2")}).revision;
  ASSERT_TRUE(store_->compact(current));
  auto again = store_->compact(current);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "store.compacted");
  auto future = store_->compact(current + 100);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().code, "store.invalid_argument");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace openvpc::store
