// EdgeTranslator and an internet-facing network load balancer's elastic IP: packets from
// outside go to the shard node of the client's slot (dataplane/nat_shard.h load_balancer_slot,
// the slot the target's router sends the replies to), packets from the underlay are accepted
// only from live shard nodes sending as the load balancer's interface.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "dataplane/nat_shard.h"
#include "edge/edge_translator.h"
#include "edge_packets.h"
#include "packet/parser.h"

namespace openvpc::edge {
namespace {

using dataplane::DropReason;
using dataplane::PortKind;
using dataplane::Verdict;
using namespace testing;

constexpr dataplane::Port kOutside{PortKind::gateway, 0};
const dataplane::Port kUnderlay = dataplane::Port::underlay();
constexpr uint32_t kLoadBalancer = 70;
constexpr uint32_t kLbEni = 71;
constexpr uint32_t kLbPrivate = 0x0a000046;  // 10.0.0.70
constexpr uint32_t kLbPublic = 0xcb007146;   // 203.0.113.70

void with_load_balancer(program::Program& p, const std::vector<uint32_t>& nodes) {
  program::LoadBalancer lb;
  lb.id = kLoadBalancer;
  lb.name = "net/web/0123456789abcdef";
  lb.vpc = 7;
  lb.interfaces = {{kLbEni, 1, v4(kLbPrivate), v4(kLbPublic)}};
  for (uint32_t node : nodes) lb.nodes.push_back(v4(node));
  p.load_balancers = {lb};
  program::Mapping m;
  m.vpc = 7;
  m.address = v4(kLbPrivate);
  m.eni = kLbEni;
  m.public_address = v4(kLbPublic);
  m.load_balancer = kLoadBalancer;
  p.mappings.push_back(m);
}

std::vector<uint8_t> tcp_from(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport) {
  packet::IpSpec ip{v4(src), v4(dst), 64, 0, true, 0x1234, 0, false};
  packet::TcpSpec t;
  t.src_port = sport;
  t.dst_port = dport;
  t.seq = 1000;
  t.flags = packet::kTcpSyn;
  return packet::build_tcp(ip, t, {});
}

class EdgeLoadBalancerTest : public ::testing::Test {
 protected:
  EdgeLoadBalancerTest() : translator(edge_config()) { use_nodes({kNode1, kNode2, kNode3}); }
  void use_nodes(const std::vector<uint32_t>& nodes) {
    program::Program p = edge_program();
    with_load_balancer(p, nodes);
    auto table = compile_edge_table(p);
    ASSERT_TRUE(table.ok()) << table.error().message;
    translator.set_table(*table);
  }
  Buffer run(std::span<const uint8_t> bytes, dataplane::Port port) {
    Buffer b(bytes, port);
    translator.process({&b.packet, 1});
    return b;
  }
  EdgeTranslator translator;
};

TEST_F(EdgeLoadBalancerTest, AClientsPacketsGoToTheNodeOfItsSlotAsTheInterface) {
  const uint32_t nodes[] = {kNode1, kNode2, kNode3};
  std::map<uint32_t, int> per_node;
  for (uint16_t port = 40000; port < 40090; ++port) {
    Buffer b = run(from_outside(tcp_from(kOutsideHost, port, kLbPublic, 80)), kOutside);
    ASSERT_EQ(b.packet.verdict, Verdict::encapsulate) << to_string(b.packet.drop_reason);
    const auto meta = packet::parse_ip(b.bytes());
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(meta.geneve.vni, 7u);
    EXPECT_EQ(meta.geneve.source_eni, 0u);
    EXPECT_EQ(meta.geneve.destination_eni, kLbEni);
    EXPECT_TRUE(meta.geneve.vpc_flags & packet::kVpcFlagFromHyperplane);
    EXPECT_EQ(meta.tuple.dst.v4_host_order(), kLbPrivate);
    EXPECT_EQ(meta.tuple.src.v4_host_order(), kOutsideHost);  // the client's address is kept
    const size_t slot = dataplane::load_balancer_slot(kOutsideHost, port, 3);
    EXPECT_EQ(meta.geneve.outer_dst.v4_host_order(), nodes[slot]);
    ++per_node[meta.geneve.outer_dst.v4_host_order()];
  }
  EXPECT_EQ(per_node.size(), 3u);
  // A down slot's clients go to the next live slot's node.
  use_nodes({kNode1, kDown, kNode3});
  for (uint16_t port = 40000; port < 40030; ++port) {
    Buffer b = run(from_outside(tcp_from(kOutsideHost, port, kLbPublic, 80)), kOutside);
    const auto meta = packet::parse_ip(b.bytes());
    const size_t slot = dataplane::load_balancer_slot(kOutsideHost, port, 3);
    EXPECT_EQ(meta.geneve.outer_dst.v4_host_order(), slot == 0 ? kNode1 : kNode3);
  }
}

TEST_F(EdgeLoadBalancerTest, ANodesReplyLeavesFromTheElasticIpOnlyFromALiveNodeAsTheInterface) {
  Buffer arp =
      run(packet::build_arp_request(kGatewayMac, v4(kOutsideGateway), v4(kOutsideEdge)), kOutside);
  ASSERT_EQ(arp.packet.verdict, Verdict::deliver);
  const auto reply = tcp_from(kLbPrivate, 80, kOutsideHost, 40000);
  Buffer out = run(from_host(reply, 7, kLbEni, kNode2, packet::kVpcFlagFromHyperplane), kUnderlay);
  ASSERT_EQ(out.packet.verdict, Verdict::deliver) << to_string(out.packet.drop_reason);
  EXPECT_EQ(packet::load_be32(out.packet.data + 14 + 12), kLbPublic);
  EXPECT_EQ(run(from_host(reply, 7, kLbEni, kHostA, packet::kVpcFlagFromHyperplane), kUnderlay)
                .packet.drop_reason,
            DropReason::edge_source_mismatch);  // no node of its shard
  EXPECT_EQ(run(from_host(reply, 7, kLbEni + 1, kNode2, packet::kVpcFlagFromHyperplane), kUnderlay)
                .packet.drop_reason,
            DropReason::edge_source_mismatch);  // not as its interface
  use_nodes({kNode1, kDown, kNode3});
  EXPECT_EQ(run(from_host(reply, 7, kLbEni, kNode2, packet::kVpcFlagFromHyperplane), kUnderlay)
                .packet.drop_reason,
            DropReason::edge_source_mismatch);  // a node that is down
}

TEST_F(EdgeLoadBalancerTest, AProgramWhoseBindingNamesNoInterfaceOfTheLoadBalancerIsRefused) {
  program::Program p = edge_program();
  with_load_balancer(p, {kNode1});
  p.mappings.back().eni = kLbEni + 5;
  EXPECT_FALSE(compile_edge_table(p).ok());
  p.mappings.back().eni = kLbEni;
  p.mappings.back().load_balancer = kLoadBalancer + 1;
  EXPECT_FALSE(compile_edge_table(p).ok());
}

}  // namespace
}  // namespace openvpc::edge
