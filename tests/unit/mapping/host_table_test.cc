#include "mapping/host_table.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "mapping/program_codec.h"
#include "test_programs.h"

namespace openvpc::mapping {
namespace {

constexpr uint64_t kEpoch = 77;

// Records what the table sends, as "s<version>" for snapshots and "d<version>" for deltas.
class RecordingSubscriber : public Subscriber {
 public:
  void send(std::shared_ptr<const wire::ProgramUpdate> update) override {
    EXPECT_EQ(update->epoch(), kEpoch);
    sent.push_back((update->has_snapshot() ? "s" : "d") + std::to_string(update->version()));
  }
  void close(const std::string& reason) override { closed = reason; }
  std::vector<std::string> sent;
  std::string closed;
};

wire::Program program_number(int n) {
  program::Program p = testing::rich_program();
  p.generation = n;
  return encode(p);
}

wire::Hello hello(const std::string& host, uint64_t version, uint64_t epoch = kEpoch) {
  wire::Hello h;
  h.set_host_id(host);
  h.set_last_applied_version(version);
  h.set_epoch(epoch);
  return h;
}

// Publishes versions 1..count for "h1" with a history of 3 deltas.
std::unique_ptr<HostTable> table_with_versions(int count) {
  auto table = std::make_unique<HostTable>(kEpoch, 3);
  for (int n = 1; n <= count; ++n) table->publish("h1", program_number(n));
  return table;
}

TEST(HostTable, PublishMakesConsecutiveVersionsAndSkipsNoChange) {
  HostTable table(kEpoch, 3);
  EXPECT_EQ(table.publish("h1", program_number(1)), 1u);
  EXPECT_EQ(table.publish("h1", program_number(1)), 1u);
  EXPECT_EQ(table.publish("h1", program_number(2)), 2u);
  EXPECT_EQ(table.publish("h2", program_number(2)), 1u);
  auto hosts = table.hosts();
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].host_id, "h1");
  EXPECT_EQ(hosts[0].desired_version, 2u);
  EXPECT_EQ(hosts[1].desired_version, 1u);
  EXPECT_FALSE(hosts[0].connected);
}

struct AttachCase {
  const char* description;
  uint64_t epoch;
  uint64_t last_applied;
  std::vector<std::string> expected;
  uint64_t acked_after_hello;
};

TEST(HostTable, AttachSendsWhatTheRouterMissed) {
  // Versions 1..5 published; the history holds the deltas for 3, 4 and 5.
  const AttachCase cases[] = {
      {"new router", 0, 0, {"s5"}, 0},
      {"current router", kEpoch, 5, {}, 5},
      {"one behind", kEpoch, 4, {"d5"}, 4},
      {"as far back as the history goes", kEpoch, 2, {"d3", "d4", "d5"}, 2},
      {"behind the history", kEpoch, 1, {"s5"}, 1},
      {"other epoch, same version", 12, 5, {"s5"}, 0},
      {"ahead of the controller", kEpoch, 9, {"s5"}, 0},
  };
  for (const auto& c : cases) {
    auto table_owner = table_with_versions(5);
    HostTable& table = *table_owner;
    RecordingSubscriber router;
    table.attach(hello("h1", c.last_applied, c.epoch), &router);
    EXPECT_EQ(router.sent, c.expected) << c.description;
    EXPECT_EQ(table.hosts()[0].acked_version, c.acked_after_hello) << c.description;
    EXPECT_TRUE(table.hosts()[0].connected) << c.description;
  }
}

TEST(HostTable, HistoryLargerThanTheSnapshotIsDropped) {
  auto table_owner = table_with_versions(2);
  HostTable& table = *table_owner;
  wire::Program tiny;  // version 3 removes everything: its snapshot is smaller than any delta
  tiny.set_generation(3);
  table.publish("h1", tiny);
  RecordingSubscriber at_one, at_two;
  table.attach(hello("h1", 1, kEpoch), &at_one);
  EXPECT_EQ(at_one.sent, (std::vector<std::string>{"s3"}));  // d2 is gone
  table.attach(hello("h1", 2, kEpoch), &at_two);
  EXPECT_EQ(at_two.sent, (std::vector<std::string>{"d3"}));  // the newest delta always stays
}

TEST(HostTable, SubscriberBeforeFirstPublishGetsASnapshotThenDeltas) {
  HostTable table(kEpoch, 3);
  RecordingSubscriber router;
  table.attach(hello("h1", 0, 0), &router);
  EXPECT_TRUE(router.sent.empty());
  table.publish("h1", program_number(1));
  table.publish("h1", program_number(2));
  table.publish("h2", program_number(3));  // another host: not for this router
  EXPECT_EQ(router.sent, (std::vector<std::string>{"s1", "d2"}));
}

TEST(HostTable, AcknowledgeRecordsOnlyPlausibleVersionsFromTheLiveStream) {
  auto table_owner = table_with_versions(3);
  HostTable& table = *table_owner;
  RecordingSubscriber router;
  RecordingSubscriber stranger;
  table.attach(hello("h1", 0, 0), &router);
  EXPECT_EQ(table.acked_version("h1"), 0u);
  EXPECT_FALSE(table.acknowledge("h1", &stranger, 3));
  EXPECT_FALSE(table.acknowledge("h1", &router, 4));  // never published
  EXPECT_TRUE(table.acknowledge("h1", &router, 3));
  EXPECT_FALSE(table.acknowledge("h1", &router, 2));  // older than the last ACK
  EXPECT_FALSE(table.acknowledge("nope", &router, 1));
  EXPECT_EQ(table.hosts()[0].acked_version, 3u);
  EXPECT_EQ(table.acked_version("h1"), 3u);
  EXPECT_EQ(table.acked_version("nope"), 0u);
}

TEST(HostTable, ANewStreamSupersedesTheOldOne) {
  auto table_owner = table_with_versions(2);
  HostTable& table = *table_owner;
  RecordingSubscriber old_stream;
  RecordingSubscriber new_stream;
  table.attach(hello("h1", 0, 0), &old_stream);
  table.attach(hello("h1", 2, kEpoch), &new_stream);
  EXPECT_FALSE(old_stream.closed.empty());
  table.detach("h1", &old_stream);  // the old stream's end must not disconnect the host
  EXPECT_TRUE(table.hosts()[0].connected);
  table.publish("h1", program_number(3));
  EXPECT_EQ(old_stream.sent, (std::vector<std::string>{"s2"}));
  EXPECT_EQ(new_stream.sent, (std::vector<std::string>{"d3"}));
  table.detach("h1", &new_stream);
  EXPECT_FALSE(table.hosts()[0].connected);
}

TEST(HostTable, CloseAllClosesEveryStreamAndKeepsTheState) {
  auto table_owner = table_with_versions(2);
  HostTable& table = *table_owner;
  RecordingSubscriber router;
  table.attach(hello("h1", 2, kEpoch), &router);
  table.close_all("stopping");
  EXPECT_EQ(router.closed, "stopping");
  EXPECT_EQ(table.hosts()[0].desired_version, 2u);
}

}  // namespace
}  // namespace openvpc::mapping
