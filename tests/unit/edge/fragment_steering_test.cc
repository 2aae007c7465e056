// FragmentSteering: a later fragment finds the node its datagram's first fragment went to.
#include "edge/fragment_steering.h"

#include <gtest/gtest.h>

#include "edge_packets.h"
#include "packet/parser.h"

namespace openvpc::edge {
namespace {

using namespace testing;

// The parsed fragment of a UDP datagram (IP id `id`) at byte `offset` of its payload.
packet::PacketMeta fragment_meta(uint32_t src, uint16_t id, size_t offset, uint8_t protocol = 17) {
  packet::IpSpec ip{v4(src), v4(kNatPublic), 64, 0, false, id, 0, false};
  const std::vector<uint8_t> payload(64, 1);
  const auto whole = protocol == 17 ? packet::build_udp(ip, {53, 2000}, payload)
                                    : packet::build_icmp_echo(ip, {true, 2000, 1}, payload);
  std::vector<uint8_t> out(whole.size() + 20);
  out.resize(packet::write_ipv4_fragment(out.data(), out.size(), whole, offset, 24));
  EXPECT_GT(out.size(), 0u);
  const packet::PacketMeta meta = packet::parse_ip(out);
  EXPECT_TRUE(meta.ok());
  EXPECT_TRUE(meta.fragment.is_fragment);
  return meta;
}

TEST(FragmentSteering, ALaterFragmentFindsItsFirstFragmentsNode) {
  FragmentSteering steering(64);
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideHost, 7, 24)), 0u);
  steering.remember(fragment_meta(kOutsideHost, 7, 0), kNode2);
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideHost, 7, 24)), kNode2);
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideHost, 7, 48)), kNode2);
  // Another datagram: another IP id, source or protocol.
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideHost, 8, 24)), 0u);
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideGateway, 7, 24)), 0u);
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideHost, 7, 24, 1)), 0u);
  steering.remember(fragment_meta(kOutsideHost, 8, 0), kNode3);
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideHost, 8, 24)), kNode3);
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideHost, 7, 24)), kNode2);
}

TEST(FragmentSteering, ANewerDatagramTakesAnOlderOnesSlot) {
  FragmentSteering steering(1);  // one slot
  steering.remember(fragment_meta(kOutsideHost, 7, 0), kNode1);
  steering.remember(fragment_meta(kOutsideHost, 9, 0), kNode3);
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideHost, 9, 24)), kNode3);
  EXPECT_EQ(steering.node_of(fragment_meta(kOutsideHost, 7, 24)), 0u);
}

}  // namespace
}  // namespace openvpc::edge
