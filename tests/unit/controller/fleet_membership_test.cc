// FleetMembership: the merge of this controller's own nodes with the other controllers'
// records, their expiry one lease after their last renewal (on the reader's clock, injected
// here), the records a renewal writes and erases, and what counts as a membership change.
#include "controller/fleet_membership.h"

#include <gtest/gtest.h>

#include "program/cidr.h"

namespace openvpc::controller {
namespace {

constexpr int64_t kLease = 10'000;

mapping::NodeStatus status(const std::string& id, mapping::NodeRole role,
                           const std::string& underlay) {
  return {id, role, *program::parse_address(underlay)};
}

store::KeyValue record(const FleetNode& node, int64_t mod_revision, uint64_t renewal = 1) {
  return {fleet_key(node.node_id, node.controller), encode_fleet_record(node, renewal),
          mod_revision, mod_revision};
}

std::vector<std::string> ids(const std::vector<FleetNode>& nodes) {
  std::vector<std::string> out;
  for (const auto& node : nodes) out.push_back(node.node_id + "@" + node.controller);
  return out;
}

const FleetNode kRemoteHp2{"hp2", mapping::NodeRole::hyperplane, "127.0.17.2", "b"};
const FleetNode kRemoteEdge{"edge1", mapping::NodeRole::edge, "127.0.17.9", "b"};

TEST(FleetRecordTest, RoundTripsAndRejectsWhatItDidNotWrite) {
  const FleetNode node{"hp1", mapping::NodeRole::hyperplane, "127.0.17.1", "a"};
  auto decoded = decode_fleet_record(record(node, 5));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, node);

  struct Case {
    const char* description;
    store::KeyValue kv;
  };
  const std::vector<Case> cases = {
      {"not JSON", {fleet_key("hp1", "a"), "{", 1, 1}},
      {"key names another controller", {fleet_key("hp1", "b"), encode_fleet_record(node, 1), 1, 1}},
      {"key names another node", {fleet_key("hp9", "a"), encode_fleet_record(node, 1), 1, 1}},
      {"router role", record({"hp1", mapping::NodeRole::router, "127.0.17.1", "a"}, 1)},
      {"underlay not IPv4", record({"hp1", mapping::NodeRole::hyperplane, "fd00::1", "a"}, 1)},
      {"underlay not an address",
       record({"hp1", mapping::NodeRole::hyperplane, "nowhere", "a"}, 1)},
      {"unknown role",
       {fleet_key("hp1", "a"),
        R"({"node_id":"hp1","role":"spine","underlay":"127.0.17.1","controller":"a"})", 1, 1}},
      {"empty controller", record({"hp1", mapping::NodeRole::hyperplane, "127.0.17.1", ""}, 1)},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(decode_fleet_record(c.kv).has_value()) << c.description;
  }
}

TEST(FleetMembershipTest, OwnNodesAreLiveWithoutAnyRecordAndRoutersAreNotFleet) {
  FleetMembership fleet("a", kLease);
  fleet.set_local({status("hp1", mapping::NodeRole::hyperplane, "127.0.17.1"),
                   status("h1", mapping::NodeRole::router, "127.0.17.50")});
  EXPECT_EQ(ids(fleet.live(0)), (std::vector<std::string>{"hp1@a"}));
  EXPECT_EQ(fleet.live(0)[0].underlay, "127.0.17.1");
}

TEST(FleetMembershipTest, AnotherControllersRecordLivesOneLeaseAfterItsLastRenewal) {
  FleetMembership fleet("a", kLease);
  fleet.observe({record(kRemoteHp2, 7), record(kRemoteEdge, 7)}, 1'000);
  EXPECT_EQ(ids(fleet.live(1'000)), (std::vector<std::string>{"edge1@b", "hp2@b"}));
  // Read again unchanged: its age counts from when its mod_revision last moved.
  fleet.observe({record(kRemoteHp2, 7), record(kRemoteEdge, 7)}, 5'000);
  EXPECT_EQ(fleet.live(1'000 + kLease - 1).size(), 2u);
  EXPECT_TRUE(fleet.live(1'000 + kLease).empty());
  // hp2 renewed at 9.5 s, edge1 not: only hp2 is live at 12 s.
  fleet.observe({record(kRemoteHp2, 8, 2), record(kRemoteEdge, 7)}, 9'500);
  EXPECT_EQ(ids(fleet.live(12'000)), (std::vector<std::string>{"hp2@b"}));
  // Erased: gone at once.
  fleet.observe({record(kRemoteEdge, 7)}, 9'600);
  EXPECT_EQ(ids(fleet.live(9'600)), (std::vector<std::string>{"edge1@b"}));
}

TEST(FleetMembershipTest, TimeWithoutAReadAgesNoRecord) {
  FleetMembership fleet("a", kLease);
  fleet.observe({record(kRemoteHp2, 7)}, 0);
  // 20 s without a read (the store was down): only the first half lease of it counts.
  fleet.observe({record(kRemoteHp2, 7)}, 20'000);
  EXPECT_EQ(ids(fleet.live(20'000)), (std::vector<std::string>{"hp2@b"}));
  EXPECT_EQ(fleet.live(20'000 + kLease / 2 - 1).size(), 1u);
  EXPECT_TRUE(fleet.live(20'000 + kLease / 2).empty());
}

TEST(FleetMembershipTest, OwnAttachmentWinsThenTheNewestRecord) {
  FleetMembership fleet("a", kLease);
  // hp2 moved from c (record not yet expired) to b: b's newer record wins.
  const FleetNode old{"hp2", mapping::NodeRole::hyperplane, "127.0.17.99", "c"};
  fleet.observe({record(kRemoteHp2, 12), record(old, 4)}, 0);
  ASSERT_EQ(fleet.live(0).size(), 1u);
  EXPECT_EQ(fleet.live(0)[0], kRemoteHp2);
  // Now it is attached here too: this controller's own view wins.
  fleet.set_local({status("hp2", mapping::NodeRole::hyperplane, "127.0.17.2")});
  EXPECT_EQ(ids(fleet.live(0)), (std::vector<std::string>{"hp2@a"}));
}

TEST(FleetMembershipTest, OwnRecordsInTheStoreDoNotMakeANodeLive) {
  // A controller restarted under the same id: its old records name nodes it holds no stream
  // for; they are not live, and its first renewal erases them.
  FleetMembership fleet("a", kLease);
  const FleetNode stale{"hp1", mapping::NodeRole::hyperplane, "127.0.17.1", "a"};
  fleet.observe({record(stale, 3)}, 0);
  EXPECT_TRUE(fleet.live(0).empty());
  auto ops = fleet.renewal();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, store::Operation::Kind::erase);
  EXPECT_EQ(ops[0].key, fleet_key("hp1", "a"));
}

TEST(FleetMembershipTest, RenewalPutsHeldNodesAndErasesOnesThatLeft) {
  FleetMembership fleet("a", kLease);
  fleet.set_local({status("hp1", mapping::NodeRole::hyperplane, "127.0.17.1"),
                   status("hp3", mapping::NodeRole::hyperplane, "127.0.17.3")});
  auto first = fleet.renewal();
  fleet.renewed();
  ASSERT_EQ(first.size(), 2u);
  for (const auto& op : first) EXPECT_EQ(op.kind, store::Operation::Kind::put);
  // Each renewal writes a different value (a new mod_revision on any backend).
  auto second = fleet.renewal();
  fleet.renewed();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_NE(first[0].value, second[0].value);
  // hp3 left: its record goes, once.
  fleet.set_local({status("hp1", mapping::NodeRole::hyperplane, "127.0.17.1")});
  auto third = fleet.renewal();
  fleet.renewed();
  ASSERT_EQ(third.size(), 2u);
  EXPECT_EQ(third[1].kind, store::Operation::Kind::erase);
  EXPECT_EQ(third[1].key, fleet_key("hp3", "a"));
  EXPECT_EQ(fleet.renewal().size(), 1u);
  // Nothing held, nothing written: a controller without nodes does not touch the store.
  FleetMembership idle("b", kLease);
  EXPECT_TRUE(idle.renewal().empty());
}

TEST(FleetMembershipTest, RecordsUnrenewedForTwoLeasesAreAbandonedOwnOnesNever) {
  FleetMembership fleet("a", kLease);
  const FleetNode own{"hp1", mapping::NodeRole::hyperplane, "127.0.17.1", "a"};
  fleet.observe({record(kRemoteHp2, 7), record(own, 8), {fleet_key("x", "y"), "junk", 9, 9}}, 0);
  EXPECT_EQ(fleet.invalid_records(), 1u);
  EXPECT_TRUE(fleet.abandoned(2 * kLease - 1).empty());
  auto gone = fleet.abandoned(2 * kLease);
  ASSERT_EQ(gone.size(), 2u);  // hp2's record and the junk, compared on what was seen
  EXPECT_EQ(gone[0].key, fleet_key("hp2", "b"));
  EXPECT_EQ(gone[0].mod_revision, 7);
  EXPECT_EQ(gone[1].key, fleet_key("x", "y"));
  // The same invalid record read again is not counted again.
  fleet.observe({record(kRemoteHp2, 7), {fleet_key("x", "y"), "junk", 9, 9}}, 1);
  EXPECT_EQ(fleet.invalid_records(), 1u);
}

TEST(FleetMembershipTest, MovingToAnotherControllerIsNotAMembershipChange) {
  const FleetNode on_a{"hp1", mapping::NodeRole::hyperplane, "127.0.17.1", "a"};
  FleetNode on_b = on_a;
  on_b.controller = "b";
  EXPECT_TRUE(same_membership({on_a}, {on_b}));
  FleetNode moved_address = on_b;
  moved_address.underlay = "127.0.17.7";
  EXPECT_FALSE(same_membership({on_a}, {moved_address}));
  FleetNode edge = on_a;
  edge.role = mapping::NodeRole::edge;
  EXPECT_FALSE(same_membership({on_a}, {edge}));
  EXPECT_FALSE(same_membership({on_a}, {on_a, kRemoteHp2}));
  EXPECT_TRUE(same_membership({}, {}));
}

}  // namespace
}  // namespace openvpc::controller
