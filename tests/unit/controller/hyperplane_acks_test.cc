// HyperplaneAcks: a node runs a NAT gateway or load balancer once it has ACKed a version at or
// after the first one of the unbroken run of published versions that carry it.
#include "controller/hyperplane_acks.h"

#include <gtest/gtest.h>

#include <map>

namespace openvpc::controller {
namespace {

program::Program carrying(std::vector<std::string> nats, std::vector<std::string> balancers) {
  program::Program program;
  for (auto& name : nats) program.nat_gateways.emplace_back().name = std::move(name);
  for (auto& name : balancers) program.load_balancers.emplace_back().name = std::move(name);
  return program;
}

class HyperplaneAcksTest : public ::testing::Test {
 protected:
  NodeCarries of(const std::string& node) { return acks_.carried({node}).at(node); }

  std::map<std::string, uint64_t> acked_;
  HyperplaneAcks acks_{[this](const std::string& node) { return acked_[node]; }};
};

TEST_F(HyperplaneAcksTest, RunsWhatItsAckedVersionCarries) {
  acks_.published("hp-a", 3, carrying({"nat-1"}, {}));
  acks_.published("hp-a", 4, carrying({"nat-1", "nat-2"}, {"net/front/1"}));
  acked_["hp-a"] = 2;
  EXPECT_TRUE(of("hp-a").nat_gateways.empty());
  acked_["hp-a"] = 3;  // nat-1 since 3, the others since 4
  EXPECT_EQ(of("hp-a").nat_gateways, (std::set<std::string>{"nat-1"}));
  EXPECT_TRUE(of("hp-a").load_balancers.empty());
  acked_["hp-a"] = 4;
  EXPECT_EQ(of("hp-a").nat_gateways, (std::set<std::string>{"nat-1", "nat-2"}));
  EXPECT_EQ(of("hp-a").load_balancers, (std::set<std::string>{"net/front/1"}));
  // Still carried in 5: the run goes on, an ACK of 4 still counts.
  acks_.published("hp-a", 5, carrying({"nat-1", "nat-2"}, {"net/front/1"}));
  EXPECT_EQ(of("hp-a").nat_gateways.size(), 2u);
  // Left out of 6, carried again in 7: only an ACK of 7 counts for nat-2.
  acks_.published("hp-a", 6, carrying({"nat-1"}, {"net/front/1"}));
  acks_.published("hp-a", 7, carrying({"nat-1", "nat-2"}, {"net/front/1"}));
  acked_["hp-a"] = 6;
  EXPECT_EQ(of("hp-a").nat_gateways, (std::set<std::string>{"nat-1"}));
  acked_["hp-a"] = 7;
  EXPECT_EQ(of("hp-a").nat_gateways.size(), 2u);
}

TEST_F(HyperplaneAcksTest, ANodeNeverPublishedToOrCarryingNothingRunsNothing) {
  acked_["hp-a"] = 9;
  auto carried = acks_.carried({"hp-a", "hp-b"});
  ASSERT_EQ(carried.size(), 2u);
  EXPECT_TRUE(carried["hp-a"].nat_gateways.empty());
  acks_.published("hp-a", 9, carrying({"nat-1"}, {}));
  EXPECT_EQ(of("hp-a").nat_gateways.size(), 1u);
  acks_.published("hp-a", 10, program::Program{});  // it left the fleet: a router's program
  acks_.published("hp-a", 11, carrying({"nat-1"}, {}));
  acked_["hp-a"] = 10;
  EXPECT_TRUE(of("hp-a").nat_gateways.empty());
}

TEST_F(HyperplaneAcksTest, PublishesAndAcksAreNews) {
  EXPECT_FALSE(acks_.take_news());
  acks_.published("hp-a", 1, carrying({"nat-1"}, {}));
  EXPECT_TRUE(acks_.take_news());
  EXPECT_FALSE(acks_.take_news());
  acks_.acknowledged();
  EXPECT_TRUE(acks_.take_news());
  acks_.published("h1", 1, program::Program{});  // a router: nothing to wait for
  EXPECT_FALSE(acks_.take_news());
}

}  // namespace
}  // namespace openvpc::controller
