// HyperplanePlacement across a controller restart: the store keeps the shards, the new
// controller knows no live node yet, and the grace period keeps the shards (and the NAT
// gateways available) until the nodes are back or the grace is over.
#include "controller/hyperplane_placement.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "model/memory_store.h"
#include "model/nat_gateway.h"
#include "model/operations.h"

namespace openvpc::controller {
namespace {

constexpr int64_t kStart = 1'700'000'000;

class HyperplanePlacementTest : public ::testing::Test {
 protected:
  HyperplanePlacementTest() : regions_(store_) {
    auto committed = regions_.mutate([&](model::Region& region) -> Result<void> {
      model::IdSource ids(3);
      model::Caller caller;
      caller.account_id = "111111111111";
      caller.ids = &ids;
      caller.now = kStart;
      auto vpc = model::create_vpc(region, caller, "10.0.0.0/16");
      if (!vpc) return vpc.error();
      auto subnet = model::create_subnet(region, caller, *vpc, "10.0.1.0/24", "");
      if (!subnet) return subnet.error();
      auto igw = model::create_internet_gateway(region, caller);
      if (!igw) return igw.error();
      if (auto attached = model::attach_internet_gateway(region, caller, *igw, *vpc); !attached) {
        return attached.error();
      }
      auto allocation = model::allocate_address(region, caller);
      if (!allocation) return allocation.error();
      model::NatGatewayRequest request;
      request.subnet_id = *subnet;
      request.allocation_id = *allocation;
      auto nat = model::create_nat_gateway(region, caller, request);
      if (!nat) return nat.error();
      nat_id_ = *nat;
      return {};
    });
    EXPECT_TRUE(committed.ok()) << committed.error().message;
  }

  model::NatGateway nat() {
    auto region = regions_.snapshot();
    EXPECT_TRUE(region.ok());
    return (*region)->nat_gateways.at(nat_id_);
  }

  testing::MemoryStore store_;
  model::RegionStore regions_;
  std::string nat_id_;
  int64_t now_ = kStart;
};

TEST_F(HyperplanePlacementTest, FirstStartPlacesOnTheLiveNodes) {
  HyperplanePlacement placement(
      regions_, 3, [&] { return now_; }, 30);
  ASSERT_TRUE(placement.set_live_nodes({"hp-a", "hp-b", "hp-c", "hp-d"}).ok());
  EXPECT_EQ(nat().state, "available");  // a gateway without a shard is placed even in grace
  EXPECT_EQ(nat().shard.size(), 3u);
}

TEST_F(HyperplanePlacementTest, TwoControllersWithOneFleetWriteTheSameShards) {
  // Two controllers on one store, each told the whole fleet (fleet_sync.h) in its own order:
  // the first places, the second finds nothing to change.
  HyperplanePlacement a(
      regions_, 3, [&] { return now_; }, 0);
  HyperplanePlacement b(
      regions_, 3, [&] { return now_; }, 0);
  ASSERT_TRUE(a.set_live_nodes({"hp-d", "hp-b", "hp-a", "hp-c"}).ok());
  const auto shard = nat().shard;
  const int txns = store_.txn_count;
  ASSERT_TRUE(b.set_live_nodes({"hp-a", "hp-b", "hp-c", "hp-d"}).ok());
  EXPECT_EQ(nat().shard, shard);
  EXPECT_EQ(store_.txn_count, txns);
  // describe() names the controller each node is attached to, where it is known.
  b.set_controller_source([] { return std::map<std::string, std::string>{{"hp-a", "ctl-1:10"}}; });
  auto described = b.describe();
  ASSERT_TRUE(described.ok());
  EXPECT_NE(described->find(R"("controller":"ctl-1:10","live":true,)"), std::string::npos)
      << *described;
}

TEST_F(HyperplanePlacementTest, RestartKeepsShardsDuringTheGraceThenRefills) {
  std::vector<std::string> shard;
  {
    HyperplanePlacement first(
        regions_, 3, [&] { return now_; }, 30);
    ASSERT_TRUE(first.set_live_nodes({"hp-a", "hp-b", "hp-c", "hp-d"}).ok());
    shard = nat().shard;
    ASSERT_EQ(shard.size(), 3u);
  }
  now_ += 100;  // the controller restarts; no node has resubscribed yet
  HyperplanePlacement restarted(
      regions_, 3, [&] { return now_; }, 30);
  ASSERT_TRUE(restarted.reconcile().ok());  // e.g. an API change right after the start
  EXPECT_EQ(nat().shard, shard);
  EXPECT_EQ(nat().state, "available");
  // Two of the three come back; the third does not (it died while the controller was down).
  const std::string lost = shard[1];
  std::vector<std::string> back = {"hp-a", "hp-b", "hp-c", "hp-d"};
  back.erase(std::find(back.begin(), back.end(), lost));
  ASSERT_TRUE(restarted.set_live_nodes(back).ok());
  EXPECT_EQ(nat().shard, shard);
  EXPECT_FALSE(restarted.settle());  // still in grace
  now_ += 31;
  EXPECT_TRUE(restarted.settle());
  EXPECT_FALSE(restarted.settle());  // once
  const std::vector<std::string> refilled = nat().shard;
  ASSERT_EQ(refilled.size(), 3u);
  EXPECT_EQ(refilled[0], shard[0]);  // survivors keep their slots
  EXPECT_EQ(refilled[2], shard[2]);
  EXPECT_NE(refilled[1], lost);
  EXPECT_EQ(nat().state, "available");
}

// Without the grace a restarted controller re-places against whichever nodes are back first:
// a shard never shrinks (its dead slots wait), but a spare node that resubscribes before the
// shard's own nodes takes their slots and moves their flows.
TEST_F(HyperplanePlacementTest, WithoutGraceTheFirstNodesBackTakeTheSlots) {
  std::vector<std::string> before;
  {
    HyperplanePlacement first(
        regions_, 3, [&] { return now_; }, 0);
    ASSERT_TRUE(first.set_live_nodes({"hp-a", "hp-b", "hp-c"}).ok());
    before = nat().shard;
    ASSERT_EQ(before.size(), 3u);
  }
  HyperplanePlacement restarted(
      regions_, 3, [&] { return now_; }, 0);
  EXPECT_TRUE(restarted.settle());
  EXPECT_EQ(nat().shard, before);  // nobody is back: every slot waits for its node
  ASSERT_TRUE(restarted.set_live_nodes({"hp-d", before[0]}).ok());
  const auto after = nat().shard;
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_EQ(std::count(after.begin(), after.end(), "hp-d"), 1);
}

}  // namespace
}  // namespace openvpc::controller
