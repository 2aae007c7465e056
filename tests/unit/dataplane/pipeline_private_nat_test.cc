// A private NAT gateway as the routers see it: its node sends what it translated, as the
// gateway's interface, straight to the destination (accepted only from a live node of that
// gateway); the destination's replies to the gateway's address go to the node whose slot owns
// the port they carry (nat_shard.h), the next live slot's node when that one is down.
#include <gtest/gtest.h>

#include "dataplane/nat_shard.h"
#include "harness.h"
#include "packet/bytes.h"
#include "packet/geneve.h"

namespace openvpc::dataplane::testing {
namespace {

using D = DropReason;
using V = Verdict;

const IpAddress kNatAddress = address_literal("10.0.1.200");
const Port kUnderlay = Port::underlay();

void with_private_nat_gateway(program::Program& p, std::vector<IpAddress> nodes) {
  with_nat_gateway(p, std::move(nodes));
  p.nat_gateways[0].is_public = false;
  program::Mapping m;
  m.vpc = 7;
  m.address = kNatAddress;
  m.eni = kNatGatewayEni;
  m.nat_gateway = kNatGateway;
  p.mappings.push_back(m);
}

uint32_t outer_destination(const Batch& batch, size_t i) {
  return packet::load_be32(batch.packets[i].data + 16);
}

// A NAT port in the range of `slot` of 3.
uint16_t port_of_slot(int slot, uint16_t offset = 7) {
  for (uint32_t port = kFirstNatPort;; ++port) {
    if (nat_port_slot(port, 3) == slot) return uint16_t(port + offset);
  }
}

TEST(PrivateNatGatewayPath, TheNodesPacketComesInAndTheReplyGoesToThePortsOwner) {
  program::Program p = standard_program();
  with_private_nat_gateway(p, {kNatNode1, kNatNode2, kNatNode3});
  World world(p);
  const uint16_t port = port_of_slot(1);
  Batch in = run(world, {{kUnderlay, geneve(kNatNode1, kHost, 7, kNatGatewayEni, kWeb2.id,
                                            tcp_ip(kNatAddress, kWeb2.ip, port, 22),
                                            packet::kVpcFlagFromHyperplane)},
                         // The same from a host that is no node of the gateway.
                         {kUnderlay, geneve(kRemoteHost, kHost, 7, kNatGatewayEni, kWeb2.id,
                                            tcp_ip(kNatAddress, kWeb2.ip, uint16_t(port + 1), 22),
                                            packet::kVpcFlagFromHyperplane)}});
  EXPECT_EQ(in.packets[0].verdict, V::deliver);
  EXPECT_EQ(in.packets[1].verdict, V::drop);
  EXPECT_EQ(in.packets[1].drop_reason, D::geneve_untrusted_node);

  // web2's reply carries the port of slot 1: to kNatNode2 (slot 1), as web2's ENI, to the
  // gateway's ENI, whichever node brought the connection in.
  Batch out =
      run(world, {{port_of(kWeb2), from_eni(kWeb2, syn_ack_ip(kWeb2.ip, kNatAddress, 22, port))}},
          1001);
  ASSERT_EQ(out.packets[0].verdict, V::encapsulate);
  EXPECT_EQ(outer_destination(out, 0), kNatNode2.v4_host_order());
  EXPECT_EQ(packet::load_be32(out.packets[0].data + 40), kWeb2.id);
  EXPECT_EQ(packet::load_be32(out.packets[0].data + 44), kNatGatewayEni);
}

TEST(PrivateNatGatewayPath, ADownSlotsRepliesGoToTheNextAndLowPortsToNoOne) {
  program::Program p = standard_program();
  with_private_nat_gateway(p, {kNatNode1, kNodeDown, kNatNode3});
  World world(p);
  Batch out = run(
      world, {{port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kNatAddress, 22, port_of_slot(0)))},
              {port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kNatAddress, 22, port_of_slot(1)))},
              {port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kNatAddress, 22, port_of_slot(2)))},
              {port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kNatAddress, 40000, 80))}});
  ASSERT_EQ(out.packets[0].verdict, V::encapsulate);
  EXPECT_EQ(outer_destination(out, 0), kNatNode1.v4_host_order());
  ASSERT_EQ(out.packets[1].verdict, V::encapsulate);
  EXPECT_EQ(outer_destination(out, 1), kNatNode3.v4_host_order());  // slot 1 is down
  ASSERT_EQ(out.packets[2].verdict, V::encapsulate);
  EXPECT_EQ(outer_destination(out, 2), kNatNode3.v4_host_order());
  EXPECT_EQ(out.packets[3].verdict, V::drop);
  EXPECT_EQ(out.packets[3].drop_reason, D::no_mapping);
}

TEST(PrivateNatGatewayPath, APublicGatewaysAddressAndInterfaceAreNotReachableThisWay) {
  program::Program p = standard_program();
  with_private_nat_gateway(p, {kNatNode1, kNatNode2, kNatNode3});
  p.nat_gateways[0].is_public = true;
  World world(p);
  Batch batch = run(
      world, {{port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kNatAddress, 22, port_of_slot(0)))},
              {kUnderlay, geneve(kNatNode1, kHost, 7, kNatGatewayEni, kWeb2.id,
                                 tcp_ip(kNatAddress, kWeb2.ip, port_of_slot(0), 22),
                                 packet::kVpcFlagFromHyperplane)}});
  EXPECT_EQ(batch.packets[0].drop_reason, D::no_mapping);
  EXPECT_EQ(batch.packets[1].drop_reason, D::geneve_untrusted_node);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
