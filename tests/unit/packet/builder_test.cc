// builder_test.cc — every builder's output parses cleanly and round-trips its spec.
#include "packet/builder.h"

#include <gtest/gtest.h>

#include "packet/checksum.h"
#include "packet/headers.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

TEST(BuildIp, Ipv4HeaderChecksumIsValid) {
  for (const auto& packet : {tcp_v4(), udp_v4(), echo_v4()}) {
    EXPECT_EQ(ipv4_header_checksum(packet.data(), 20), 0);
  }
}

TEST(BuildIcmpEcho, Ipv4ChecksumCoversTheMessage) {
  const auto packet = build_icmp_echo(ipv4_spec(), IcmpEchoSpec{.request = false, .id = 1},
                                      std::vector<uint8_t>(7, 0x55));
  EXPECT_EQ(packet[20], 0);  // echo reply
  EXPECT_EQ(checksum_fold(checksum_partial(packet.data() + 20, packet.size() - 20)), 0);
}

TEST(BuildUdp, LengthAndChecksum) {
  const auto packet = udp_v4();
  EXPECT_EQ(load_be16(&packet[24]), 12);
  EXPECT_NE(load_be16(&packet[26]), 0);  // UDP over IPv4 is sent with a checksum
}

TEST(WithEthernet, EthertypeFollowsTheIpVersion) {
  EXPECT_EQ(load_be16(&frame(tcp_v4())[12]), kEthertypeIpv4);
  EXPECT_EQ(load_be16(&frame(tcp_v6())[12]), kEthertypeIpv6);
  const auto tagged = with_ethernet(FrameSpec{.vlan = 7}, tcp_v6());
  EXPECT_EQ(load_be16(&tagged[12]), kEthertypeVlan);
  EXPECT_EQ(load_be16(&tagged[14]), 7);
  EXPECT_EQ(load_be16(&tagged[16]), kEthertypeIpv6);
}

TEST(BuildGeneve, OuterLengthsCoverTheInnerPacket) {
  const auto inner = tcp_v4();
  const auto packet = build_geneve(encap_spec(), inner);
  EXPECT_EQ(packet.size(), kGeneveEncapSize + inner.size());
  EXPECT_EQ(load_be16(&packet[2]), packet.size());
  EXPECT_EQ(load_be16(&packet[24]), packet.size() - 20);
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), packet.begin() + kGeneveEncapSize));
}

TEST(BuildArpRequest, IsABroadcastWhoHas) {
  const auto frame = build_arp_request(mac("02:00:00:00:00:09"), ip("10.0.0.9"), ip("10.0.0.1"));
  ASSERT_EQ(frame.size(), 42u);
  const ArpView arp(frame.data() + 14);
  EXPECT_EQ(arp.operation(), 1);
  EXPECT_EQ(arp.target_mac(), MacAddress{});
  EXPECT_TRUE(EthernetView(frame.data()).dst().is_broadcast());
}

}  // namespace
}  // namespace openvpc::packet
