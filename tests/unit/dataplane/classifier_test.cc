#include "dataplane/classifier.h"
#include "dataplane/actions.h"

#include <gtest/gtest.h>

#include "packet/checksum.h"
#include "packet/geneve.h"
#include "topology.h"

namespace openvpc::dataplane::testing {
namespace {

class ClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto compiled = compile(standard_program());
    ASSERT_TRUE(compiled.ok());
    program_ = *compiled;
  }
  const LocalEni& eni(uint32_t id) {
    return program_->local_enis[size_t(program_->find_local_eni(id))];
  }
  Classification outbound(uint32_t id, const std::vector<uint8_t>& ip) {
    Classifier classifier(*program_, view(), nullptr);
    return classifier.outbound(eni(id), packet::parse_ip(ip));
  }
  // Connection-table ENI slot = the program's local ENI index, as a fresh pipeline assigns.
  ConnectionView view() {
    slots_.clear();
    for (size_t i = 0; i < program_->local_enis.size(); ++i) slots_.push_back(uint16_t(i));
    return {&table_, slots_, 100, 1};
  }
  std::shared_ptr<const CompiledProgram> program_;
  conntrack::ConntrackTable table_{64, 8};
  std::vector<uint16_t> slots_;
};

TEST_F(ClassifierTest, EncapsulationActionCarriesTheTunnelFields) {
  const auto ip = tcp_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 443);
  const Classification c = outbound(101, ip);
  EXPECT_EQ(c.action.verdict, Verdict::encapsulate);
  EXPECT_EQ(c.action.outer_dst_v4, kRemoteHost.v4_host_order());
  EXPECT_EQ(c.action.vni, 7u);
  EXPECT_EQ(c.action.source_eni, 101u);
  EXPECT_EQ(c.action.destination_eni, 201u);
  EXPECT_EQ(c.action.outer_src_port, packet::flow_source_port(packet::parse_ip(ip).tuple));
  EXPECT_TRUE(c.action.decrement_ttl);
  // Egress tracked: ingress has no everywhere all-ports rule.
  EXPECT_EQ(c.groups[0].local_index, program_->find_local_eni(101));
  EXPECT_TRUE(c.groups[0].allowed_by_rules);
  EXPECT_FALSE(c.groups[0].untracked);
  EXPECT_EQ(c.groups[1].local_index, -1);
}

TEST_F(ClassifierTest, LocalDeliveryTracksBothEnis) {
  const Classification c = outbound(101, tcp_ip(kWeb1.ip, kDb.ip, 40000, 5432));
  EXPECT_EQ(c.action.verdict, Verdict::deliver);
  EXPECT_EQ(c.action.out_id, 103u);
  EXPECT_EQ(c.action.dst_mac, kDb.mac);
  EXPECT_EQ(c.action.src_mac, kRouterMac);
  EXPECT_EQ(c.groups[0].local_index, program_->find_local_eni(101));
  EXPECT_EQ(c.groups[1].local_index, program_->find_local_eni(103));
  EXPECT_EQ(c.groups[1].denied, DropReason::security_group_ingress_denied);
}

TEST_F(ClassifierTest, ALiveConnectionAllowsWhatTheRulesDoNot) {
  const auto out = tcp_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 80);
  const auto reply = geneve(kRemoteHost, kHost, 7, 201, 101,
                            tcp_ip(kRemoteWeb.ip, kWeb1.ip, 80, 40000, packet::kTcpAck));
  {
    Classifier classifier(*program_, view(), nullptr);
    EXPECT_EQ(classifier.inbound(packet::parse_ip(reply)).action.drop_reason,
              DropReason::security_group_ingress_denied);
  }
  const uint16_t web1 = uint16_t(program_->find_local_eni(101));
  ASSERT_TRUE(table_.open(web1, packet::parse_ip(out), 100).ok());
  Classifier classifier(*program_, view(), nullptr);
  const Classification c = classifier.inbound(packet::parse_ip(reply));
  EXPECT_EQ(c.action.verdict, Verdict::deliver);
  EXPECT_FALSE(c.groups[0].allowed_by_rules);  // the connection allowed it
  EXPECT_EQ(c.groups[0].local_index, int32_t(web1));
}

TEST_F(ClassifierTest, GatewayTargets) {
  const Classification igw = outbound(101, udp_ip(kWeb1.ip, address_literal("8.8.8.8"), 1, 2));
  EXPECT_EQ(igw.action.verdict, Verdict::encapsulate);  // to the edge node
  EXPECT_EQ(igw.action.outer_dst_v4, kEdge.v4_host_order());
  // A NAT gateway the program does not list (not placed yet): a named drop, not a packet sent
  // nowhere.
  const Classification nat = outbound(101, udp_ip(kWeb1.ip, address_literal("172.16.1.1"), 1, 2));
  EXPECT_EQ(nat.action.verdict, Verdict::drop);
  EXPECT_EQ(nat.action.drop_reason, DropReason::gateway_unavailable);
}

// Routes to NAT gateway 902 (172.16.0.0/12) under a program listing it with `nodes`.
class NatGatewayRouteTest : public ClassifierTest {
 protected:
  void use_nodes(std::vector<IpAddress> nodes, bool is_public = true) {
    program::Program p = standard_program();
    with_nat_gateway(p, std::move(nodes));
    p.nat_gateways[0].is_public = is_public;
    auto compiled = compile(p);
    ASSERT_TRUE(compiled.ok()) << compiled.error().message;
    program_ = *compiled;
  }
  // A UDP packet from web1 to 172.16.1.1 whose flow hash picks `slot` of `slots`.
  std::vector<uint8_t> flow_to_slot(size_t slot, size_t slots, uint16_t first_port = 1000) {
    for (uint16_t port = first_port;; ++port) {
      auto ip = udp_ip(kWeb1.ip, address_literal("172.16.1.1"), port, 53);
      if (packet::flow_source_port(packet::parse_ip(ip).tuple) % slots == slot) return ip;
    }
  }
};

TEST_F(NatGatewayRouteTest, EachFlowGoesToTheNodeOfItsSlotWithTheTunnelFields) {
  use_nodes({kNatNode1, kNatNode2, kNatNode3});
  const IpAddress nodes[] = {kNatNode1, kNatNode2, kNatNode3};
  for (size_t slot = 0; slot < 3; ++slot) {
    SCOPED_TRACE(slot);
    const auto ip = flow_to_slot(slot, 3);
    const Classification c = outbound(101, ip);
    ASSERT_EQ(c.action.verdict, Verdict::encapsulate) << to_string(c.action.drop_reason);
    EXPECT_EQ(c.action.outer_dst_v4, nodes[slot].v4_host_order());
    EXPECT_EQ(c.action.outer_src_port, packet::flow_source_port(packet::parse_ip(ip).tuple));
    EXPECT_EQ(c.action.vni, 7u);
    EXPECT_EQ(c.action.source_eni, 101u);
    EXPECT_EQ(c.action.destination_eni, kNatGatewayEni);
    EXPECT_EQ(c.action.vpc_flags, 0u);
    EXPECT_TRUE(c.action.decrement_ttl);
    EXPECT_EQ(c.action.mtu, kGatewayMtu);  // public: it leaves through the internet gateway
    EXPECT_EQ(c.action.gateway_kind, program::RouteTargetKind::nat_gateway);
    EXPECT_EQ(c.action.out_id, kNatGateway);
    EXPECT_EQ(c.groups[0].local_index, program_->find_local_eni(101));  // egress tracked
  }
  // The same flow always picks the same node.
  EXPECT_EQ(outbound(101, flow_to_slot(1, 3)).action.outer_dst_v4,
            outbound(101, flow_to_slot(1, 3)).action.outer_dst_v4);
}

TEST_F(NatGatewayRouteTest, ADownSlotsFlowsGoToTheNextLiveSlotWrapping) {
  use_nodes({kNatNode1, kNodeDown, kNatNode3});
  EXPECT_EQ(outbound(101, flow_to_slot(1, 3)).action.outer_dst_v4, kNatNode3.v4_host_order());
  EXPECT_EQ(outbound(101, flow_to_slot(0, 3)).action.outer_dst_v4, kNatNode1.v4_host_order());
  use_nodes({kNatNode1, kNatNode2, kNodeDown});
  EXPECT_EQ(outbound(101, flow_to_slot(2, 3)).action.outer_dst_v4, kNatNode1.v4_host_order());
  std::string trace;
  Classifier traced(*program_, view(), &trace);
  traced.outbound(eni(101), packet::parse_ip(flow_to_slot(2, 3)));
  EXPECT_NE(trace.find("target: nat gateway 902 (eni 950): node 192.168.0.21 (slot 2 of 3, its "
                       "node down: the next live slot's)"),
            std::string::npos)
      << trace;
  use_nodes({kNodeDown, kNodeDown, kNatNode3});
  for (size_t slot = 0; slot < 3; ++slot) {
    EXPECT_EQ(outbound(101, flow_to_slot(slot, 3)).action.outer_dst_v4, kNatNode3.v4_host_order());
  }
}

TEST_F(NatGatewayRouteTest, NoNodeUpIsGatewayUnavailable) {
  for (auto nodes :
       {std::vector<IpAddress>{kNodeDown, kNodeDown, kNodeDown}, std::vector<IpAddress>{}}) {
    use_nodes(nodes);
    for (size_t slot = 0; slot < 3; ++slot) {
      const Classification c = outbound(101, flow_to_slot(slot, 3));
      EXPECT_EQ(c.action.verdict, Verdict::drop);
      EXPECT_EQ(c.action.drop_reason, DropReason::gateway_unavailable);
    }
  }
}

TEST_F(NatGatewayRouteTest, APrivateGatewayKeepsTheVpcMtuAndSourceCheckOffIsFlagged) {
  use_nodes({kNatNode1}, /*is_public=*/false);
  EXPECT_EQ(outbound(101, flow_to_slot(0, 1)).action.mtu, 0u);
  program::Program p = standard_program();
  with_nat_gateway(p, {kNatNode1});
  p.enis[0].source_dest_check = false;
  program_ = *compile(p);
  const Classification c = outbound(101, flow_to_slot(0, 1));
  EXPECT_EQ(c.action.verdict, Verdict::encapsulate);
  EXPECT_EQ(c.action.vpc_flags, packet::kVpcFlagSourceCheckOff);
}

TEST_F(NatGatewayRouteTest, AFlowThroughTheGatewayIsTrackedWhateverTheRulesSay) {
  // eni 102 (groups 41, 43) with TCP on every port in from 0.0.0.0/0 and all out: its TCP flows
  // out are untracked (acl.h) — except through a NAT gateway.
  program::Program p = standard_program();
  with_nat_gateway(p, {kNatNode1});
  p.security_groups[2].rules.push_back(
      {program::Direction::ingress, {6, {0, 65535}}, cidr_literal("0.0.0.0/0")});
  program_ = *compile(p);
  const Classification direct = outbound(102, tcp_ip(kWeb2.ip, kRemoteWeb.ip, 40000, 5000));
  ASSERT_EQ(direct.action.verdict, Verdict::encapsulate);
  EXPECT_TRUE(direct.groups[0].untracked);
  const Classification nat =
      outbound(102, tcp_ip(kWeb2.ip, address_literal("172.16.1.1"), 40000, 5000));
  ASSERT_EQ(nat.action.verdict, Verdict::encapsulate);
  EXPECT_TRUE(nat.groups[0].allowed_by_rules);
  EXPECT_FALSE(nat.groups[0].untracked);
}

TEST_F(NatGatewayRouteTest, TheGatewaysOwnAddressIsNoHostsInterface) {
  program::Program p = standard_program();
  with_nat_gateway(p);
  program::Mapping m;
  m.vpc = 7;
  m.address = address_literal("10.0.1.200");
  m.eni = kNatGatewayEni;
  m.nat_gateway = kNatGateway;  // underlay unused
  p.mappings.push_back(m);
  program_ = *compile(p);
  EXPECT_EQ(program_->find_eni(kNatGatewayEni), nullptr);
  const Classification c = outbound(101, tcp_ip(kWeb1.ip, m.address, 40000, 22));
  EXPECT_EQ(c.action.verdict, Verdict::drop);
  EXPECT_EQ(c.action.drop_reason, DropReason::no_mapping);
}

TEST_F(NatGatewayRouteTest, AGatewayOfAnotherVpcIsUnavailable) {
  program::Program p = standard_program();
  with_nat_gateway(p);
  p.nat_gateways[0].vpc = 8;
  program_ = *compile(p);
  EXPECT_EQ(outbound(101, flow_to_slot(0, 3)).action.drop_reason, DropReason::gateway_unavailable);
}

TEST_F(NatGatewayRouteTest, RepliesAreTrustedFromTheVpcsNatNodesOnly) {
  use_nodes({kNatNode1, kNodeDown, kNatNode3});
  const IpAddress server = address_literal("203.0.113.9");
  const auto out = tcp_ip(kWeb1.ip, server, 40000, 80);
  const uint16_t web1 = uint16_t(program_->find_local_eni(101));
  ASSERT_TRUE(table_.open(web1, packet::parse_ip(out), 100).ok());
  const auto reply = syn_ack_ip(server, kWeb1.ip, 80, 40000);
  const auto from = [&](IpAddress node, uint32_t vni = 7, uint32_t source_eni = 0) {
    Classifier classifier(*program_, view(), nullptr);
    return classifier.inbound(packet::parse_ip(
        geneve(node, kHost, vni, source_eni, 101, reply, packet::kVpcFlagFromHyperplane)));
  };
  const Classification ok = from(kNatNode3);
  EXPECT_EQ(ok.action.verdict, Verdict::deliver);
  EXPECT_EQ(ok.action.out_id, 101u);
  EXPECT_EQ(ok.groups[0].local_index, int32_t(web1));  // SG ingress: the connection allowed it
  EXPECT_EQ(from(kNatNode1).action.verdict, Verdict::deliver);
  EXPECT_EQ(from(kNatNode2).action.drop_reason, DropReason::geneve_untrusted_node);  // down
  EXPECT_EQ(from(kRemoteHost).action.drop_reason, DropReason::geneve_untrusted_node);
  EXPECT_EQ(from(kEdge).action.verdict, Verdict::deliver);  // the edge stays trusted
  // Unsolicited from a NAT node: SG ingress decides as for any packet (41 allows no port 80).
  Classifier classifier(*program_, view(), nullptr);
  EXPECT_EQ(classifier
                .inbound(packet::parse_ip(geneve(kNatNode1, kHost, 7, 0, 101,
                                                 tcp_ip(server, kWeb1.ip, 5555, 80),
                                                 packet::kVpcFlagFromHyperplane)))
                .action.drop_reason,
            DropReason::security_group_ingress_denied);
  // A node of a VPC 7 gateway is not trusted for VPC 8's ENIs.
  Classifier other(*program_, view(), nullptr);
  EXPECT_EQ(other
                .inbound(packet::parse_ip(geneve(kNatNode1, kHost, 8, 0, 301,
                                                 tcp_ip(server, kOther1.ip, 80, 40000),
                                                 packet::kVpcFlagFromHyperplane)))
                .action.drop_reason,
            DropReason::geneve_untrusted_node);
}

TEST_F(ClassifierTest, InboundIsolationChecksInOrder) {
  const ConnectionView connections = view();
  Classifier classifier(*program_, connections, nullptr);
  const auto inner = tcp_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 22);
  const auto ok =
      classifier.inbound(packet::parse_ip(geneve(kRemoteHost, kHost, 7, 201, 101, inner)));
  EXPECT_EQ(ok.action.verdict, Verdict::deliver);
  EXPECT_FALSE(ok.action.decrement_ttl);
  EXPECT_EQ(ok.groups[0].local_index, program_->find_local_eni(101));
  // Missing option: a Geneve packet built without it is not possible with the builder, so
  // strip it: option length 0 and no option bytes.
  auto bytes = geneve(kRemoteHost, kHost, 7, 201, 101, inner);
  bytes.erase(bytes.begin() + 36, bytes.begin() + 52);
  bytes[28] = 0;
  packet::store_be16(&bytes[2], uint16_t(bytes.size()));
  packet::store_be16(&bytes[24], uint16_t(bytes.size() - 20));
  packet::store_be16(&bytes[10], 0);
  packet::store_be16(&bytes[10], packet::ipv4_header_checksum(bytes.data(), 20));
  const auto meta = packet::parse_ip(bytes);
  ASSERT_TRUE(meta.ok()) << packet::to_string(meta.error);
  EXPECT_EQ(classifier.inbound(meta).action.drop_reason, DropReason::geneve_missing_vpc_option);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
