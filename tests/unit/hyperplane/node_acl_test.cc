// A NAT gateway's subnet network ACL on its hyperplane node (node_acl.h): a node program with
// the gateway's subnet and ACL compiled by compile_node_program, then real Geneve packets from an
// instance's router and from the edge through NatNodeTranslator. Each of the four checks
// denies when a rule denies and passes when one allows; lower rule numbers win; traffic that
// stays inside the subnet skips the check, as at a router.
#include "hyperplane/node_acl.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "hyperplane/nat_node_translator.h"
#include "hyperplane/node_program.h"
#include "node_packets.h"
#include "packet/builder.h"
#include "packet/geneve.h"

namespace openvpc::hyperplane {
namespace {

using dataplane::Verdict;
using packet::IpAddress;
using program::AclAction;
using program::cidr_literal;
using program::Direction;

constexpr uint32_t kNode = 0x7f000c01;       // 127.0.12.1, this hyperplane node (the only slot)
constexpr uint32_t kRouter = 0x7f000101;     // 127.0.1.1, the instance's router
constexpr uint32_t kEdge = 0x7f000a01;       // 127.0.10.1
constexpr uint32_t kInside = 0x0a000a05;     // 10.0.10.5: an instance in another subnet
constexpr uint32_t kNeighbour = 0x0a000114;  // 10.0.1.20: an instance in the gateway's subnet
constexpr uint32_t kNat = 0x0a000164;        // 10.0.1.100, the gateway's address
constexpr uint32_t kRemote = 0xcb00710a;     // 203.0.113.10
constexpr uint32_t kOther = 0xcb00710b;      // 203.0.113.11
constexpr uint32_t kVpc = 7;
constexpr uint32_t kInstanceEni = 21;
constexpr uint32_t kGatewayEni = 90;
constexpr uint32_t kSubnet = 11;  // 10.0.1.0/24
constexpr uint32_t kAcl = 31;

using Buffer = testing::NodeBuffer;

std::vector<uint8_t> tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                         uint8_t flags) {
  packet::TcpSpec spec;
  spec.src_port = sport;
  spec.dst_port = dport;
  spec.flags = flags;
  return packet::build_tcp({.src = IpAddress::v4(src), .dst = IpAddress::v4(dst)}, spec, {});
}

std::vector<uint8_t> geneve(std::span<const uint8_t> inner, uint32_t from, uint32_t source_eni,
                            uint16_t flags) {
  return testing::node_geneve(inner, from, kNode, kVpc, source_eni, kGatewayEni, flags);
}

program::NetworkAclEntry entry(uint16_t number, Direction direction, const char* cidr,
                               AclAction action, int protocol = program::kAllProtocols,
                               program::PortRange ports = {}) {
  return {number, direction, {protocol, ports, -1, -1}, cidr_literal(cidr), action};
}

// Allows everything both ways (the default ACL's rule 100); `first` come before it.
std::vector<program::NetworkAclEntry> open_but(std::vector<program::NetworkAclEntry> first) {
  first.push_back(entry(100, Direction::ingress, "0.0.0.0/0", AclAction::allow));
  first.push_back(entry(100, Direction::egress, "0.0.0.0/0", AclAction::allow));
  return first;
}

program::Program node_program(std::vector<program::NetworkAclEntry> entries) {
  program::Program p;
  p.host_underlay = IpAddress::v4(kNode);
  p.edge_nodes = {IpAddress::v4(kEdge)};
  program::NatGateway g;
  g.id = 3;
  g.name = "nat-0123456789abcdef0";
  g.vpc = kVpc;
  g.eni = kGatewayEni;
  g.addresses = {IpAddress::v4(kNat)};
  g.nodes = {IpAddress::v4(kNode)};
  g.subnet = kSubnet;
  p.nat_gateways = {g};
  p.subnets = {{kSubnet, "subnet-nat", kVpc, cidr_literal("10.0.1.0/24"), kAcl, 0}};
  p.network_acls = {{kAcl, "acl-nat", kVpc, std::move(entries)}};
  return p;
}

class NodeAclTest : public ::testing::Test {
 protected:
  NodeAclTest() : table(64), translator(table) {}

  void load(std::vector<program::NetworkAclEntry> entries) {
    auto plan = compile_node_program(node_program(std::move(entries)), kNode, 0, nullptr);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    table.set_gateways(plan->gateways);
    translator.set_config(plan->config);
  }
  Buffer run(std::span<const uint8_t> bytes) {
    Buffer b(bytes);
    translator.process({&b.packet, 1}, 10);
    return b;
  }
  // Instance -> internet; the NAT port it got (0: dropped).
  uint16_t out(uint32_t inside, uint32_t remote, uint16_t port = 443) {
    const Buffer b =
        run(geneve(tcp(inside, 40000, remote, port, packet::kTcpSyn), kRouter, kInstanceEni, 0));
    return b.packet.verdict == Verdict::encapsulate ? b.meta().tuple.src_port : 0;
  }
  // Internet -> the NAT port; whether it reached the instance's router.
  bool in(uint32_t remote, uint16_t nat_port, uint16_t port = 443) {
    const Buffer b =
        run(geneve(tcp(remote, port, kNat, nat_port, packet::kTcpSyn | packet::kTcpAck), kEdge, 0,
                   packet::kVpcFlagFromHyperplane));
    return b.packet.verdict == Verdict::encapsulate &&
           b.meta().geneve.outer_dst.v4_host_order() == kRouter;
  }
  uint64_t drops(NodeDrop d) const { return translator.counters().drops[size_t(d)]; }
  bool has_flow(uint32_t inside, uint32_t remote) const {
    return table.find_out(0, inside, 40000, remote, 443, packet::kProtoTcp).has_value();
  }

  NatTable table;
  NatNodeTranslator translator;
};

TEST_F(NodeAclTest, TheDefaultAclLetsEverythingThroughWithoutALookup) {
  load(open_but({}));
  const GatewayAcl& acl = translator.config().acls.at(0);
  EXPECT_TRUE(acl.allows_all(Direction::ingress));
  EXPECT_TRUE(acl.allows_all(Direction::egress));
  const uint16_t port = out(kInside, kRemote);
  ASSERT_NE(port, 0);
  EXPECT_TRUE(in(kRemote, port));
}

// Check 1: the packet from the instance, ingress (source = the instance).
TEST_F(NodeAclTest, IngressFromTheInstanceDeniesBeforeAnyFlowIsMade) {
  load(open_but({entry(90, Direction::ingress, "10.0.0.0/16", AclAction::deny)}));
  EXPECT_FALSE(translator.config().acls.at(0).allows_all(Direction::ingress));
  EXPECT_TRUE(translator.config().acls.at(0).allows_all(Direction::egress));
  EXPECT_EQ(out(kInside, kRemote), 0);
  EXPECT_EQ(drops(NodeDrop::nacl_ingress_denied), 1u);
  EXPECT_FALSE(has_flow(kInside, kRemote));
  EXPECT_EQ(table.flows(), 0u);
  // An instance of the gateway's own subnet: its packets do not cross the ACL.
  EXPECT_NE(out(kNeighbour, kRemote), 0);
}

// Check 2: leaving toward the internet, egress (destination = the internet), judged before
// translation: a denied packet takes no port.
TEST_F(NodeAclTest, EgressTowardTheInternetDeniesWithoutTakingAPort) {
  load(open_but({entry(90, Direction::egress, "203.0.113.10/32", AclAction::deny, packet::kProtoTcp,
                       {443, 443})}));
  EXPECT_EQ(out(kInside, kRemote), 0);
  EXPECT_EQ(drops(NodeDrop::nacl_egress_denied), 1u);
  EXPECT_EQ(table.flows(), 0u);
  EXPECT_NE(out(kInside, kRemote, 80), 0);  // another port
  EXPECT_NE(out(kInside, kOther), 0);       // another address
  EXPECT_EQ(table.flows(), 2u);
}

// Check 3: the reply from the internet, ingress (source = the internet).
TEST_F(NodeAclTest, IngressFromTheInternetDeniesTheReply) {
  load(open_but({entry(90, Direction::ingress, "203.0.113.10/32", AclAction::deny)}));
  const uint16_t denied = out(kInside, kRemote);
  ASSERT_NE(denied, 0);
  EXPECT_FALSE(in(kRemote, denied));
  EXPECT_EQ(drops(NodeDrop::nacl_ingress_denied), 1u);
  const uint16_t allowed = out(kInside, kOther);
  ASSERT_NE(allowed, 0);
  EXPECT_TRUE(in(kOther, allowed));
}

// Check 4: toward the instance after translate_in, egress (destination = the instance and its
// port, known only once translated).
TEST_F(NodeAclTest, EgressTowardTheInstanceDeniesTheTranslatedReply) {
  load(open_but({entry(90, Direction::egress, "10.0.0.0/16", AclAction::deny, packet::kProtoTcp,
                       {40000, 40000})}));
  const uint16_t port = out(kInside, kRemote);
  ASSERT_NE(port, 0);
  EXPECT_FALSE(in(kRemote, port));
  EXPECT_EQ(drops(NodeDrop::nacl_egress_denied), 1u);
  // An instance of the gateway's own subnet: the reply does not cross the ACL.
  const uint16_t neighbour = out(kNeighbour, kOther);
  ASSERT_NE(neighbour, 0);
  EXPECT_TRUE(in(kOther, neighbour));
}

// The RST the node answers a flowless TCP packet with goes toward the instance: egress too.
TEST_F(NodeAclTest, TheResetTowardTheInstancePassesEgressToo) {
  const auto ack =
      geneve(tcp(kInside, 40000, kRemote, 443, packet::kTcpAck), kRouter, kInstanceEni, 0);
  load(open_but({}));
  const Buffer allowed = run(ack);
  ASSERT_EQ(allowed.packet.verdict, Verdict::encapsulate);
  EXPECT_EQ(allowed.meta().geneve.outer_dst.v4_host_order(), kRouter);
  EXPECT_EQ(translator.counters().events[size_t(NodeEvent::reset_sent)], 1u);
  load(open_but({entry(90, Direction::egress, "10.0.0.0/16", AclAction::deny, packet::kProtoTcp,
                       {40000, 40000})}));
  EXPECT_EQ(run(ack).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::nacl_egress_denied), 1u);
  EXPECT_EQ(translator.counters().events[size_t(NodeEvent::reset_sent)], 1u);
}

// Lowest number first: the same two rules decide differently as their numbers swap; with no
// rule matching, the `*` rule denies.
TEST_F(NodeAclTest, TheLowerRuleNumberWins) {
  struct Case {
    const char* description;
    uint16_t allow_number;
    uint16_t deny_number;
    bool passes;
  };
  const Case cases[] = {
      {"allow 80 before deny 90", 80, 90, true},
      {"deny 80 before allow 90", 90, 80, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.description);
    table.set_gateways({});
    load({entry(100, Direction::ingress, "0.0.0.0/0", AclAction::allow),
          entry(c.allow_number, Direction::egress, "203.0.113.10/32", AclAction::allow),
          entry(c.deny_number, Direction::egress, "203.0.113.0/24", AclAction::deny)});
    EXPECT_EQ(out(kInside, kRemote) != 0, c.passes);
    EXPECT_EQ(out(kInside, kOther), 0);  // denied by the /24 either way
  }
  table.set_gateways({});
  load({entry(100, Direction::ingress, "0.0.0.0/0", AclAction::allow)});  // no egress entry
  EXPECT_EQ(out(kInside, kRemote), 0);
}

TEST_F(NodeAclTest, TheNodeProgramMustCarryTheSubnetAndItsAcl) {
  // A gateway that names no subnet has no ACL to apply.
  program::Program p = node_program({});
  p.nat_gateways[0].subnet = 0;
  auto plan = compile_node_program(p, kNode, 0, nullptr);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->config.acls.size(), 1u);
  EXPECT_TRUE(plan->config.acls[0].allows_all(Direction::ingress));
  EXPECT_TRUE(plan->config.acls[0].allows_all(Direction::egress));
  // An empty ACL (only `*`) denies both ways.
  plan = compile_node_program(node_program({}), kNode, 0, nullptr);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->config.acls[0].allows_all(Direction::ingress));
  EXPECT_FALSE(plan->config.acls[0].allows_all(Direction::egress));
  // A subnet or ACL the program does not carry: refused.
  p = node_program({});
  p.subnets.clear();
  EXPECT_FALSE(compile_node_program(p, kNode, 0, nullptr).ok());
  p = node_program({});
  p.network_acls.clear();
  EXPECT_FALSE(compile_node_program(p, kNode, 0, nullptr).ok());
}

TEST(NodeDropNames, NetworkAclDropsAreNamed) {
  EXPECT_EQ(to_string(NodeDrop::nacl_ingress_denied), "nacl_ingress_denied");
  EXPECT_EQ(to_string(NodeDrop::nacl_egress_denied), "nacl_egress_denied");
}

}  // namespace
}  // namespace openvpc::hyperplane
