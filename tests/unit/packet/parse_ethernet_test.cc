// parse_ethernet_test.cc — Ethernet, 802.1Q and ARP layers of parse_frame.
#include <gtest/gtest.h>

#include "packet/headers.h"
#include "packet/parser.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

struct FrameCase {
  const char* description;
  std::vector<uint8_t> frame;
  bool has_vlan;
  uint16_t vlan_tci;
  uint16_t ethertype;
  uint16_t l3_offset;
  uint8_t ip_version;
};

class EthernetFrame : public testing::TestWithParam<FrameCase> {};

TEST_P(EthernetFrame, FillsLayerTwo) {
  const FrameCase& c = GetParam();
  const PacketMeta meta = parse_frame(c.frame);
  ASSERT_TRUE(meta.ok()) << c.description << ": " << to_string(meta.error);
  EXPECT_TRUE(meta.has_ethernet);
  EXPECT_EQ(meta.has_vlan, c.has_vlan);
  EXPECT_EQ(meta.vlan_tci, c.vlan_tci);
  EXPECT_EQ(meta.ethertype, c.ethertype);
  EXPECT_EQ(meta.l3_offset, c.l3_offset);
  EXPECT_EQ(meta.ip_version, c.ip_version);
  EXPECT_EQ(meta.eth_src, MacAddress::from_wire(c.frame.data() + 6));
  EXPECT_EQ(meta.eth_dst, MacAddress::from_wire(c.frame.data()));
  EXPECT_EQ(meta.size, c.frame.size());
}

std::vector<uint8_t> other_ethertype() {
  std::vector<uint8_t> f(60, 0);
  store_be16(&f[12], 0x88cc);  // LLDP
  return f;
}

INSTANTIATE_TEST_SUITE_P(
    Table, EthernetFrame,
    testing::Values(
        FrameCase{"untagged IPv4", frame(tcp_v4()), false, 0, kEthertypeIpv4, 14, 4},
        FrameCase{"untagged IPv6", frame(tcp_v6()), false, 0, kEthertypeIpv6, 14, 6},
        FrameCase{"tagged IPv4", with_ethernet(FrameSpec{.vlan = 0x2064}, udp_v4()), true, 0x2064,
                  kEthertypeIpv4, 18, 4},
        FrameCase{"ARP request",
                  build_arp_request(mac("02:00:00:00:00:09"), ip("10.0.0.9"), ip("10.0.0.1")),
                  false, 0, kEthertypeArp, 14, 0},
        FrameCase{"LLDP is not parsed further", other_ethertype(), false, 0, 0x88cc, 0, 0}));

TEST(Arp, RequestFieldsReadThroughTheView) {
  const auto frame = build_arp_request(mac("02:00:00:00:00:09"), ip("10.0.0.9"), ip("10.0.0.1"));
  const PacketMeta meta = parse_frame(frame);
  ASSERT_TRUE(meta.ok());
  EXPECT_TRUE(meta.is_arp());
  EXPECT_EQ(meta.arp_operation, 1);
  EXPECT_TRUE(meta.eth_dst.is_broadcast());
  const ArpView arp(frame.data() + meta.l3_offset);
  EXPECT_EQ(arp.sender_mac(), mac("02:00:00:00:00:09"));
  EXPECT_EQ(arp.sender_ip(), ip("10.0.0.9"));
  EXPECT_EQ(arp.target_ip(), ip("10.0.0.1"));
}

TEST(Ethernet, PaddingAfterASmallPacketIsIgnored) {
  auto f = frame(udp_v4());
  f.resize(60, 0);  // minimum Ethernet frame
  const PacketMeta meta = parse_frame(f);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta.l3_size, 32);
  EXPECT_EQ(meta.size, 60);
}

}  // namespace
}  // namespace openvpc::packet
