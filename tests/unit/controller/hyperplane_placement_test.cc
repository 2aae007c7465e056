// HyperplanePlacement: a placed NAT gateway is pending until every live node of its shard has
// ACKed a program that carries it (HyperplaneAcks), then available. Across a controller
// restart: the store keeps the shards, the new controller knows no live node yet, and the grace
// period keeps the shards (and the NAT gateways available) until the nodes are back or the
// grace is over.
#include "controller/hyperplane_placement.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>

#include <algorithm>
#include <map>

#include "controller/program_publisher.h"
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

  // `node` is sent version `version` of a program that carries the NAT gateway, and ACKs it.
  void runs(const std::string& node, uint64_t version) {
    program::Program program;
    program.nat_gateways.emplace_back().name = nat_id_;
    acks_.published(node, version, program);
    acked_[node] = version;
  }
  // Every node of the shard runs it.
  void shard_runs(uint64_t version) {
    for (const auto& node : nat().shard) runs(node, version);
  }

  testing::MemoryStore store_;
  model::RegionStore regions_;
  std::string nat_id_;
  int64_t now_ = kStart;
  std::map<std::string, uint64_t> acked_;  // what the mapping service knows
  std::set<std::string> elsewhere_;        // attached to another controller of the same store
  HyperplaneAcks acks_{[this](const std::string& node) -> std::optional<uint64_t> {
    if (elsewhere_.contains(node)) return std::nullopt;
    auto it = acked_.find(node);
    return it == acked_.end() ? 0 : it->second;
  }};
};

TEST_F(HyperplanePlacementTest, FirstStartPlacesOnTheLiveNodes) {
  HyperplanePlacement placement(
      regions_, 3, acks_, [&] { return now_; }, 30);
  ASSERT_TRUE(placement.set_live_nodes({"hp-a", "hp-b", "hp-c", "hp-d"}).ok());
  EXPECT_EQ(nat().state, "pending");  // placed even in grace; its nodes have not ACKed it
  EXPECT_EQ(nat().shard.size(), 3u);
  shard_runs(1);
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "available");
}

TEST_F(HyperplanePlacementTest, PlacedButNotAckedStaysPending) {
  HyperplanePlacement placement(regions_, 3, acks_, [&] { return now_; });
  ASSERT_TRUE(placement.set_live_nodes({"hp-a", "hp-b", "hp-c", "hp-d"}).ok());
  ASSERT_EQ(nat().shard.size(), 3u);
  // Sent to every node of the shard, ACKed by none (each still runs its previous version).
  for (const auto& node : nat().shard) {
    runs(node, 5);
    acked_[node] = 4;
  }
  EXPECT_TRUE(placement.news());  // a publish while it waits: worth a reconcile
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "pending");
  EXPECT_FALSE(placement.news());
  // The shard's nodes ACK it: available.
  for (const auto& node : nat().shard) acked_[node] = 5;
  acks_.acknowledged();
  EXPECT_TRUE(placement.news());
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "available");
  acks_.acknowledged();
  EXPECT_FALSE(placement.news());  // nothing waits any more
}

TEST_F(HyperplanePlacementTest, OneNodeOfTheShardNotAckedStaysPending) {
  HyperplanePlacement placement(regions_, 3, acks_, [&] { return now_; });
  ASSERT_TRUE(placement.set_live_nodes({"hp-a", "hp-b", "hp-c", "hp-d"}).ok());
  const auto shard = nat().shard;
  ASSERT_EQ(shard.size(), 3u);
  std::string outsider;
  for (const char* node : {"hp-a", "hp-b", "hp-c", "hp-d"}) {
    if (std::find(shard.begin(), shard.end(), node) == shard.end()) outsider = node;
  }
  runs(shard[0], 2);
  runs(shard[2], 7);
  runs(outsider, 3);  // not in the shard: does not count
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "pending");
  // The last node runs an older version that did not carry it yet.
  runs(shard[1], 4);
  acked_[shard[1]] = 3;
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "pending");
  acked_[shard[1]] = 4;
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "available");
}

// With several controllers on one store, a shard node attached to another controller ACKs
// that controller's versions: here it neither blocks nor counts; the nodes attached here do.
TEST_F(HyperplanePlacementTest, ANodeAttachedToAnotherControllerIsLeftToIt) {
  HyperplanePlacement placement(regions_, 3, acks_, [&] { return now_; });
  ASSERT_TRUE(placement.set_live_nodes({"hp-a", "hp-b", "hp-c"}).ok());
  const auto shard = nat().shard;
  ASSERT_EQ(shard.size(), 3u);
  elsewhere_ = {shard[0], shard[1], shard[2]};
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "pending");  // none attached here: nothing to count
  elsewhere_ = {shard[1]};
  runs(shard[0], 2);
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "pending");  // shard[2] is attached here and has not ACKed
  runs(shard[2], 5);
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "available");
}

// A version that leaves the gateway out breaks the run: carried again later, the node must ACK
// the later version.
TEST_F(HyperplanePlacementTest, AVersionWithoutItStartsANewRun) {
  HyperplanePlacement placement(regions_, 1, acks_, [&] { return now_; });
  ASSERT_TRUE(placement.set_live_nodes({"hp-a"}).ok());
  runs("hp-a", 1);
  acks_.published("hp-a", 2, program::Program{});  // it left the node's program
  runs("hp-a", 3);
  acked_["hp-a"] = 2;
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "pending");
  acked_["hp-a"] = 3;
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "available");
}

// Only live nodes count: a dead node of a shard kept through the grace does not hold the gateway
// back, but a shard with no live node runs nothing.
TEST_F(HyperplanePlacementTest, OnlyTheLiveNodesOfTheShardMustAck) {
  HyperplanePlacement first(
      regions_, 3, acks_, [&] { return now_; }, 30);
  ASSERT_TRUE(first.set_live_nodes({"hp-a", "hp-b", "hp-c"}).ok());
  const auto shard = nat().shard;
  ASSERT_EQ(nat().state, "pending");
  ASSERT_TRUE(first.set_live_nodes({}).ok());  // in grace: the shard stays, nobody is live
  ASSERT_EQ(nat().shard, shard);
  shard_runs(1);  // (what they ACKed before they went)
  ASSERT_TRUE(first.reconcile().ok());
  EXPECT_EQ(nat().state, "pending");
  ASSERT_TRUE(first.set_live_nodes({shard[0], shard[2]}).ok());  // shard[1] is not back
  ASSERT_EQ(nat().shard, shard);
  EXPECT_EQ(nat().state, "available");
}

// The controller's wiring: the publisher compiles the pending gateway into its nodes' programs
// (and nothing into the others'), the versions it published are what the nodes must ACK.
TEST_F(HyperplanePlacementTest, PublishedNodeProgramsCarryThePendingGateway) {
  std::map<std::string, uint64_t> versions;
  std::map<std::string, program::Program> sent;
  ProgramPublisher publisher(
      regions_, {},
      [&](const std::string& host, const program::Program& program) {
        sent[host] = program;
        return ++versions[host];
      },
      [&](const std::string& node, uint64_t version, const program::Program& program) {
        acks_.published(node, version, program);
      });
  HyperplanePlacement placement(regions_, 2, acks_, [&] { return now_; });
  ASSERT_TRUE(publisher.refresh().ok());
  const std::map<std::string, std::string> fleet = {
      {"hp-a", "127.0.12.1"}, {"hp-b", "127.0.12.2"}, {"hp-c", "127.0.12.3"}};
  publisher.set_fleet({}, fleet);
  for (const auto& [node, underlay] : fleet) {
    acked_[node] = versions[node];  // they run their first (empty) programs
  }
  ASSERT_TRUE(placement.set_live_nodes({"hp-a", "hp-b", "hp-c"}).ok());
  const auto shard = nat().shard;
  ASSERT_EQ(shard.size(), 2u);
  EXPECT_EQ(nat().state, "pending");
  ASSERT_TRUE(publisher.refresh().ok());  // the store watch's refresh
  for (const auto& [node, underlay] : fleet) {
    const bool in_shard = std::find(shard.begin(), shard.end(), node) != shard.end();
    ASSERT_EQ(sent[node].nat_gateways.size(), in_shard ? 1u : 0u) << node;
    if (in_shard) {
      EXPECT_EQ(sent[node].nat_gateways[0].name, nat_id_);
    }
  }
  EXPECT_TRUE(placement.news());
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "pending");  // sent, not yet ACKed
  acked_[shard[0]] = versions[shard[0]];
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "pending");
  acked_[shard[1]] = versions[shard[1]];
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(nat().state, "available");
}

TEST_F(HyperplanePlacementTest, TwoControllersWithOneFleetWriteTheSameShards) {
  // Two controllers on one store, each told the whole fleet (fleet_sync.h) in its own order:
  // the first places, the second finds nothing to change.
  HyperplanePlacement a(
      regions_, 3, acks_, [&] { return now_; }, 0);
  HyperplanePlacement b(
      regions_, 3, acks_, [&] { return now_; }, 0);
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
        regions_, 3, acks_, [&] { return now_; }, 30);
    ASSERT_TRUE(first.set_live_nodes({"hp-a", "hp-b", "hp-c", "hp-d"}).ok());
    shard = nat().shard;
    ASSERT_EQ(shard.size(), 3u);
    shard_runs(1);
    ASSERT_TRUE(first.reconcile().ok());
    ASSERT_EQ(nat().state, "available");
  }
  now_ += 100;  // the controller restarts; no node has resubscribed yet
  HyperplaneAcks fresh([](const std::string&) -> uint64_t { return 0; });
  HyperplanePlacement restarted(
      regions_, 3, fresh, [&] { return now_; }, 30);
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
  EXPECT_EQ(nat().state, "available");  // the new node's ACK is not waited for: it was available
}

// Without the grace a restarted controller re-places against whichever nodes are back first:
// a shard never shrinks (its dead slots wait), but a spare node that resubscribes before the
// shard's own nodes takes their slots and moves their flows.
TEST_F(HyperplanePlacementTest, WithoutGraceTheFirstNodesBackTakeTheSlots) {
  std::vector<std::string> before;
  {
    HyperplanePlacement first(
        regions_, 3, acks_, [&] { return now_; }, 0);
    ASSERT_TRUE(first.set_live_nodes({"hp-a", "hp-b", "hp-c"}).ok());
    before = nat().shard;
    ASSERT_EQ(before.size(), 3u);
  }
  HyperplanePlacement restarted(
      regions_, 3, acks_, [&] { return now_; }, 0);
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
