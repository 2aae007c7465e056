// SQLite-only behaviour of the store: the file on disk, reopening, a data dir that goes away
// or is read-only, corruption, two stores on one file, and durability across kill -9.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/store.h"
#include "store_testing.h"

namespace openvpc::store {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

Operation put(std::string key, std::string value) {
  return Operation{Operation::Kind::put, std::move(key), std::move(value)};
}

std::unique_ptr<Store> must_open(const std::string& dir) {
  auto store = open_sqlite_store(dir);
  EXPECT_TRUE(store) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

TEST(SqliteStoreTest, CreatesOneFileInTheDataDir) {
  TempDir dir;
  auto store = must_open(dir.path() + "/data");
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/data/openvpc.db"));
}

TEST(SqliteStoreTest, ReopeningKeepsKeysAndRevision) {
  TempDir dir;
  int64_t written = 0;
  {
    auto store = must_open(dir.path());
    ASSERT_NE(store, nullptr);
    written = (*store->txn({}, {put("k", "v")})).revision;
  }
  auto store = must_open(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->current_revision(), written);
  auto kv = store->get("k");
  ASSERT_TRUE(kv && kv->has_value());
  EXPECT_EQ((*kv)->value, "v");
  EXPECT_EQ((*store->txn({}, {put("k", "w")})).revision, written + 1);
}

TEST(SqliteStoreTest, RemovedDataDirIsReportedNotWrittenIntoTheVoid) {
  TempDir dir;
  auto store = must_open(dir.path() + "/data");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->txn({}, {put("k", "v")}));
  auto watch = store->watch("", 0);
  ASSERT_TRUE(watch);
  std::filesystem::remove_all(dir.path() + "/data");
  auto txn = store->txn({}, {put("k", "w")});
  ASSERT_FALSE(txn);
  EXPECT_EQ(txn.error().code, "store.unavailable");
  EXPECT_NE(txn.error().message.find("removed"), std::string::npos) << txn.error().message;
  EXPECT_EQ(store->get("k").error().code, "store.unavailable");
  EXPECT_EQ(store->range("").error().code, "store.unavailable");
  EXPECT_EQ(store->current_revision().error().code, "store.unavailable");
  EXPECT_EQ((*watch)->next(10ms).error().code, "store.unavailable");
}

// Opens a store in a child process that has no privileges to override file permissions
// (root drops to nobody), and returns "code: message" of the failure, or "ok".
std::string open_without_privileges(const std::string& dir) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
    auto store = open_sqlite_store(dir);
    const std::string answer = store ? "ok" : store.error().code + ": " + store.error().message;
    (void)!::write(fds[1], answer.data(), answer.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string answer;
  char buffer[512];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) answer.append(buffer, n);
  ::close(fds[0]);
  ::waitpid(child, nullptr, 0);
  return answer;
}

TEST(SqliteStoreTest, ReadOnlyDataDirIsAClearError) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  const std::string data = dir.path() + "/data";
  ASSERT_EQ(::mkdir(data.c_str(), 0555), 0);
  const std::string answer = open_without_privileges(data);
  EXPECT_EQ(answer.rfind("store.unavailable: ", 0), 0u) << answer;
  EXPECT_NE(answer.find(data), std::string::npos) << answer;
}

TEST(SqliteStoreTest, ReadOnlyDatabaseFileIsAClearError) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  const std::string data = dir.path() + "/data";
  ASSERT_NE(must_open(data), nullptr);
  ::chmod((data + "/openvpc.db").c_str(), 0444);
  ::chmod(data.c_str(), 0555);
  const std::string answer = open_without_privileges(data);
  EXPECT_EQ(answer.rfind("store.unavailable: ", 0), 0u) << answer;
}

TEST(SqliteStoreTest, DataDirThatIsAFileIsAClearError) {
  TempDir dir;
  std::ofstream(dir.path() + "/file") << "not a directory";
  auto store = open_sqlite_store(dir.path() + "/file");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, "store.unavailable");
  EXPECT_NE(store.error().message.find("not a directory"), std::string::npos);
}

TEST(SqliteStoreTest, GarbageFileIsCorrupt) {
  TempDir dir;
  std::ofstream(dir.path() + "/openvpc.db") << std::string(8192, 'x');
  auto store = open_sqlite_store(dir.path());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, "store.corrupt") << store.error().message;
}

TEST(SqliteStoreTest, TwoStoresOnOneFileShareOneRevisionCounter) {
  TempDir dir;
  auto first = must_open(dir.path());
  auto second = must_open(dir.path());
  ASSERT_TRUE(first && second);
  auto watch = first->watch("", 0);
  ASSERT_TRUE(watch);
  const int64_t a = (*first->txn({}, {put("a", "1")})).revision;
  const int64_t b = (*second->txn({}, {put("b", "2")})).revision;
  EXPECT_EQ(b, a + 1);
  EXPECT_EQ(*first->current_revision(), b);
  std::vector<Event> events;
  for (int i = 0; i < 50 && events.size() < 2; ++i) {  // the other store's write shows at
    auto batch = (*watch)->next(100ms);                // the watch's next timeout
    ASSERT_TRUE(batch);
    events.insert(events.end(), batch->begin(), batch->end());
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kv.key, "b");
}

TEST(SqliteStoreTest, WatchOutlivesItsStore) {
  TempDir dir;
  auto store = must_open(dir.path());
  auto watch = store->watch("", 0);
  ASSERT_TRUE(watch);
  ASSERT_TRUE(store->txn({}, {put("k", "v")}));
  store.reset();
  auto events = (*watch)->next(10ms);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().kv.key, "k");
}

TEST(SqliteStoreTest, WatchFromLongAgoDeliversEverythingInOrder) {
  TempDir dir;
  auto store = must_open(dir.path());
  constexpr int kTxns = 1200;  // more than one batch of history per next()
  const int64_t start = *store->current_revision() + 1;
  for (int i = 0; i < kTxns; ++i) ASSERT_TRUE(store->txn({}, {put("k", std::to_string(i))}));
  auto watch = store->watch("k", start);
  ASSERT_TRUE(watch);
  std::vector<Event> events;
  for (int i = 0; i < 10 && events.size() < kTxns; ++i) {
    auto batch = (*watch)->next(0ms);
    ASSERT_TRUE(batch);
    events.insert(events.end(), batch->begin(), batch->end());
  }
  ASSERT_EQ(events.size(), size_t{kTxns});
  for (int i = 0; i < kTxns; ++i) EXPECT_EQ(events[i].kv.value, std::to_string(i));
}

// The durability contract: a child writing two-key transactions is killed with SIGKILL
// mid-burst; after reopening, every acknowledged transaction is there, none by half.
TEST(SqliteStoreTest, AcknowledgedTransactionsSurviveKill9) {
  TempDir dir;
  auto run =
      testing::run_and_kill_writer([&] { return open_sqlite_store(dir.path()); }, 300, [] {});
  ASSERT_TRUE(run.killed) << "the writer stopped by itself";
  ASSERT_GE(run.acknowledged.size(), 10u);
  auto store = must_open(dir.path());
  ASSERT_NE(store, nullptr);
  testing::expect_durable(*store, run);
}

}  // namespace
}  // namespace openvpc::store
