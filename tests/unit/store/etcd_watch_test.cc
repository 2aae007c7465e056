#include "store/etcd_watch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "fake_etcd.h"
#include "store/etcd_json.h"
#include "store_testing.h"

namespace openvpc::store::etcd {
namespace {

using namespace std::chrono_literals;
using testing::FakeEtcd;

std::string put_event(const std::string& key, int64_t revision) {
  return R"({"kv":{"key":")" + base64_encode(key) + R"(","create_revision":")" +
         std::to_string(revision) + R"(","mod_revision":")" + std::to_string(revision) +
         R"(","value":"MQ=="}})";
}
std::string events_line(const std::vector<std::string>& events) {
  std::string list;
  for (const auto& e : events) list += (list.empty() ? "" : ",") + e;
  return R"({"result":{"header":{"revision":"9"},"events":[)" + list + "]}}\n";
}
const std::string kCreated = "{\"result\":{\"header\":{\"revision\":\"9\"},\"created\":true}}\n";

// Serves /v3/watch: the n-th stream sends streams[n] (then stays open, bounded, until the
// test ends); records each stream's start_revision.
class ScriptedWatchServer {
 public:
  explicit ScriptedWatchServer(std::vector<std::vector<std::string>> streams)
      : streams_(std::move(streams)) {
    fake_.server().Post("/v3/watch", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = nlohmann::json::parse(req.body, nullptr, false);
      size_t index = 0;
      {
        std::lock_guard lock(mutex_);
        index = starts_.size();
        starts_.push_back(*int_field(body["create_request"], "start_revision"));
      }
      std::vector<std::string> lines =
          index < streams_.size() ? streams_[index] : std::vector<std::string>{kCreated};
      const bool last = index + 1 >= streams_.size();
      res.set_chunked_content_provider("application/json",
                                       [this, lines, last](size_t, httplib::DataSink& sink) {
                                         for (const auto& line : lines)
                                           sink.write(line.data(), line.size());
                                         for (int i = 0; last && i < 200 && !done_.load(); ++i)
                                           std::this_thread::sleep_for(10ms);
                                         sink.done();  // ends the stream: the watch must resume
                                         return true;
                                       });
    });
  }
  ~ScriptedWatchServer() { done_.store(true); }
  bool start() { return fake_.start(); }
  Endpoint endpoint() { return *parse_endpoint(fake_.endpoint()); }
  std::vector<int64_t> starts() {
    std::lock_guard lock(mutex_);
    return starts_;
  }
  void finish() { done_.store(true); }

 private:
  std::atomic<bool> done_ = false;
  std::vector<std::vector<std::string>> streams_;
  std::mutex mutex_;
  std::vector<int64_t> starts_;
  FakeEtcd fake_;  // last: stopped first, while the members above still exist
};

std::vector<Event> collect(Watch& watch, size_t count) {
  std::vector<Event> events;
  for (int i = 0; i < 100 && events.size() < count; ++i) {
    auto batch = watch.next(100ms);
    if (!batch) break;
    events.insert(events.end(), batch->begin(), batch->end());
  }
  return events;
}

TEST(EtcdWatchTest, ResumesABrokenStreamWithoutLosingOrRepeatingEvents) {
  // The first stream breaks after the first of revision 5's two events.
  ScriptedWatchServer server(
      {{kCreated, events_line({put_event("k1", 4)}), events_line({put_event("k2", 5)})},
       {kCreated, events_line({put_event("k2", 5), put_event("k3", 5)}),
        events_line({put_event("k4", 6)})}});
  ASSERT_TRUE(server.start());
  auto watch = start_watch({server.endpoint()}, 0, "k", 3);
  ASSERT_TRUE(watch) << watch.error().message;
  auto events = collect(**watch, 4);
  std::vector<std::string> keys;
  for (const auto& e : events) keys.push_back(e.kv.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"k1", "k2", "k3", "k4"}));
  auto starts = server.starts();
  ASSERT_GE(starts.size(), 2u);
  EXPECT_EQ(starts[0], 3);
  EXPECT_EQ(starts[1], 5);  // the last revision again; its delivered event is skipped
  server.finish();
}

TEST(EtcdWatchTest, CompactionEndsTheWatchAfterQueuedEvents) {
  ScriptedWatchServer server({{kCreated, events_line({put_event("k1", 4)}),
                               R"({"result":{"header":{},"canceled":true,"compact_revision":"8"}})"
                               "\n"}});
  ASSERT_TRUE(server.start());
  auto watch = start_watch({server.endpoint()}, 0, "k", 4);
  ASSERT_TRUE(watch) << watch.error().message;
  auto events = collect(**watch, 1);
  ASSERT_EQ(events.size(), 1u);
  Result<std::vector<Event>> after = (*watch)->next(2s);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, "store.compacted");
  server.finish();
}

TEST(EtcdWatchTest, MalformedEventBreaksTheWatchAsCorrupt) {
  ScriptedWatchServer server({{kCreated, events_line({R"({"type":"PUT"})"})}});
  ASSERT_TRUE(server.start());
  auto watch = start_watch({server.endpoint()}, 0, "k", 4);
  ASSERT_TRUE(watch) << watch.error().message;
  Result<std::vector<Event>> after = (*watch)->next(2s);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, "store.corrupt");
  server.finish();
}

TEST(EtcdWatchTest, NoReachableEndpointFailsTheStart) {
  Endpoint dead{"127.0.0.1", testing::free_port()};
  auto watch = start_watch({dead, dead}, 0, "k", 1);
  ASSERT_FALSE(watch);
  EXPECT_EQ(watch.error().code, "store.unavailable");
}

}  // namespace
}  // namespace openvpc::store::etcd
