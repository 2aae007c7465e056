// FleetSync: two controllers sharing one store see one fleet; only membership changes reach
// the callback (not renewals, not a node moving between controllers); a dead controller's
// nodes expire one lease after its last renewal; a store outage keeps the others' nodes.
// The clock is injected: no sleeps, no watch thread (sync() is called where run() would).
#include "controller/fleet_sync.h"

#include <gtest/gtest.h>

#include "model/memory_store.h"
#include "program/cidr.h"

namespace openvpc::controller {
namespace {

constexpr auto kLease = std::chrono::milliseconds(9'000);

// A MemoryStore that can be taken down: every call then fails with store.unavailable.
class OutageStore : public testing::MemoryStore {
 public:
  bool down = false;
  Result<store::RangeResult> range(std::string_view prefix, int64_t limit) override {
    if (down) return make_error("store.unavailable", "down");
    return MemoryStore::range(prefix, limit);
  }
  Result<store::TxnResult> txn(const std::vector<store::Compare>& compares,
                               const std::vector<store::Operation>& ops) override {
    if (down) return make_error("store.unavailable", "down");
    return MemoryStore::txn(compares, ops);
  }
};

mapping::NodeStatus hyperplane(const std::string& id, const std::string& underlay) {
  return {id, mapping::NodeRole::hyperplane, *program::parse_address(underlay)};
}

const auto kHp1 = hyperplane("hp1", "127.0.17.1");
const auto kHp2 = hyperplane("hp2", "127.0.17.2");
const auto kHp3 = hyperplane("hp3", "127.0.17.3");

// One controller's FleetSync and what its callback was given.
struct Controller {
  Controller(store::Store* store, const std::string& id, const int64_t& clock)
      : sync(
            store, id, kLease, [clock = &clock] { return *clock; },
            [this](const std::vector<FleetNode>& live) { changes.push_back(names(live)); }) {}

  static std::string names(const std::vector<FleetNode>& live) {
    std::string out;
    for (const auto& node : live) out += (out.empty() ? "" : ",") + node.node_id;
    return out;
  }
  std::string live() const { return names(sync.live()); }

  FleetSync sync;
  std::vector<std::string> changes;
};

class FleetSyncTest : public ::testing::Test {
 protected:
  // A holds hp1, B holds hp2 and hp3; both have read the other's records.
  void attach_all() {
    ASSERT_TRUE(a_.sync.set_local({kHp1}).ok());
    ASSERT_TRUE(b_.sync.set_local({kHp2, kHp3}).ok());
    ASSERT_TRUE(a_.sync.sync().ok());
  }

  OutageStore store_;
  int64_t now_ = 1'000'000;
  Controller a_{&store_, "a", now_};
  Controller b_{&store_, "b", now_};
};

TEST_F(FleetSyncTest, BothControllersSeeEveryNodeWhoeverHoldsIt) {
  attach_all();
  EXPECT_EQ(a_.live(), "hp1,hp2,hp3");
  EXPECT_EQ(b_.live(), "hp1,hp2,hp3");
  EXPECT_EQ(a_.changes, (std::vector<std::string>{"hp1", "hp1,hp2,hp3"}));
  EXPECT_EQ(b_.changes, (std::vector<std::string>{"hp1,hp2,hp3"}));
  for (const auto& node : a_.sync.live()) {
    EXPECT_EQ(node.controller, node.node_id == "hp1" ? "a" : "b");
  }
}

TEST_F(FleetSyncTest, RenewalsWriteTheStoreButChangeNothing) {
  attach_all();
  const int txns = store_.txn_count;
  for (int i = 0; i < 12; ++i) {  // four leases, synced every 3 s
    now_ += 3'000;
    ASSERT_TRUE(a_.sync.sync().ok());
    ASSERT_TRUE(b_.sync.sync().ok());
  }
  EXPECT_GE(store_.txn_count - txns, 24);  // both renewed at every third of the lease
  EXPECT_EQ(a_.changes.size(), 2u);
  EXPECT_EQ(b_.changes.size(), 1u);
  EXPECT_EQ(a_.live(), "hp1,hp2,hp3");
}

TEST_F(FleetSyncTest, ANodeLeavingItsControllerLeavesEveryControllersFleetAtOnce) {
  attach_all();
  ASSERT_TRUE(b_.sync.set_local({kHp2}).ok());  // hp3's stream ended (the node died)
  ASSERT_TRUE(a_.sync.sync().ok());             // no time passes: the record is erased
  EXPECT_EQ(a_.changes.back(), "hp1,hp2");
  EXPECT_EQ(b_.changes.back(), "hp1,hp2");
}

TEST_F(FleetSyncTest, NodesOfAKilledControllerMoveWithoutAChangeAndItsRecordsGo) {
  attach_all();
  // B is killed: it renews no more. Its nodes reattach to A within the lease.
  now_ += 2'000;
  ASSERT_TRUE(a_.sync.set_local({kHp1, kHp2, kHp3}).ok());
  EXPECT_EQ(a_.changes.size(), 2u);  // same membership: no placement, no recompile
  for (const auto& node : a_.sync.live()) EXPECT_EQ(node.controller, "a");
  // Two leases on, B's records are erased (compare on their last mod_revision).
  for (int i = 0; i < 7; ++i) {
    now_ += 3'000;
    ASSERT_TRUE(a_.sync.sync().ok());
  }
  auto records = store_.range(kFleetPrefix, 0);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->kvs.size(), 3u);
  for (const auto& kv : records->kvs) EXPECT_TRUE(kv.key.ends_with("/a")) << kv.key;
  EXPECT_EQ(a_.changes.size(), 2u);
  EXPECT_EQ(a_.live(), "hp1,hp2,hp3");
}

TEST_F(FleetSyncTest, NodesNobodyRenewsExpireOneLeaseAfterTheLastRenewal) {
  attach_all();
  // B is killed with its nodes; A reads every 3 s. B's records age from A's first read.
  for (int64_t step : {3'000, 3'000, 2'999}) {
    now_ += step;
    ASSERT_TRUE(a_.sync.sync().ok());
    EXPECT_EQ(a_.live(), "hp1,hp2,hp3");
  }
  now_ += 1;
  ASSERT_TRUE(a_.sync.sync().ok());
  EXPECT_EQ(a_.live(), "hp1");
  EXPECT_EQ(a_.changes.back(), "hp1");
}

TEST_F(FleetSyncTest, AStoreOutageKeepsTheOthersNodesButAppliesOwnChanges) {
  attach_all();
  store_.down = true;
  now_ += 3 * kLease.count();
  EXPECT_FALSE(a_.sync.sync().ok());
  EXPECT_EQ(a_.live(), "hp1,hp2,hp3");  // not declared dead while unread
  auto left = a_.sync.set_local({});    // hp1 died: A's routers must hear now
  EXPECT_FALSE(left.ok());
  EXPECT_EQ(a_.changes.back(), "hp2,hp3");
  // Back: B could not renew either. The time nobody could read ages nobody's records, so B's
  // nodes stay live at A's first read (no flap of every shard after an outage)...
  store_.down = false;
  ASSERT_TRUE(a_.sync.sync().ok());
  EXPECT_EQ(a_.live(), "hp2,hp3");
  // ...and expire a lease after the outage if B never renews again.
  for (int i = 0; i < 3; ++i) {
    now_ += 3'000;
    ASSERT_TRUE(a_.sync.sync().ok());
  }
  EXPECT_EQ(a_.live(), "");
}

TEST(FleetSyncWithoutStoreTest, TheFleetIsTheLocalOneAndNothingIsWritten) {
  int64_t now = 0;
  Controller alone(nullptr, "a", now);
  EXPECT_TRUE(alone.sync.sync().ok());
  EXPECT_TRUE(alone.changes.empty());  // nothing yet: the programs' fleet is already empty
  ASSERT_TRUE(alone.sync.set_local({kHp2, kHp1}).ok());
  ASSERT_TRUE(alone.sync.set_local({kHp1, kHp2}).ok());  // a stream replaced: no change
  ASSERT_TRUE(alone.sync.set_local({kHp1}).ok());
  EXPECT_EQ(alone.changes, (std::vector<std::string>{"hp1,hp2", "hp1"}));
}

}  // namespace
}  // namespace openvpc::controller
