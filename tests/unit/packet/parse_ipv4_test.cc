// parse_ipv4_test.cc — IPv4 header fields, options and fragments.
#include <gtest/gtest.h>

#include "packet/parser.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

struct Ipv4Case {
  const char* description;
  IpSpec spec;
  bool is_fragment;
  bool has_l4;  // a later fragment has no TCP header
};

class Ipv4Header : public testing::TestWithParam<Ipv4Case> {};

TEST_P(Ipv4Header, FillsAddressesTtlAndFragmentInfo) {
  const Ipv4Case& c = GetParam();
  const auto packet = build_tcp(c.spec, TcpSpec{.src_port = 1000, .dst_port = 80});
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << c.description << ": " << to_string(meta.error);
  EXPECT_EQ(meta.ip_version, 4);
  EXPECT_EQ(meta.tuple.ip_version, 4);
  EXPECT_EQ(meta.tuple.src, c.spec.src);
  EXPECT_EQ(meta.tuple.dst, c.spec.dst);
  EXPECT_EQ(meta.tuple.protocol, kProtoTcp);
  EXPECT_EQ(meta.ttl, c.spec.ttl);
  EXPECT_EQ(meta.tos, c.spec.tos);
  EXPECT_EQ(meta.ipv4_ihl, 5);
  EXPECT_EQ(meta.l3_size, packet.size());
  EXPECT_EQ(meta.fragment.is_fragment, c.is_fragment);
  EXPECT_EQ(meta.fragment.dont_fragment, c.spec.dont_fragment);
  EXPECT_EQ(meta.fragment.more_fragments, c.spec.more_fragments);
  EXPECT_EQ(meta.fragment.offset, c.spec.fragment_offset);
  EXPECT_EQ(meta.fragment.id, c.spec.id);
  EXPECT_EQ(meta.l4_offset, c.has_l4 ? 20 : 0);
  EXPECT_EQ(meta.tuple.dst_port, c.has_l4 ? 80 : 0);
}

IpSpec with(IpSpec spec, uint8_t ttl, uint8_t tos, bool df, uint16_t id, uint16_t offset, bool mf) {
  spec.ttl = ttl;
  spec.tos = tos;
  spec.dont_fragment = df;
  spec.id = id;
  spec.fragment_offset = offset;
  spec.more_fragments = mf;
  return spec;
}

INSTANTIATE_TEST_SUITE_P(
    Table, Ipv4Header,
    testing::Values(
        Ipv4Case{"plain", ipv4_spec(), false, true},
        Ipv4Case{"DF, TTL 1, DSCP", with(ipv4_spec(), 1, 0xb8, true, 9, 0, false), false, true},
        Ipv4Case{"first fragment", with(ipv4_spec(), 64, 0, false, 77, 0, true), true, true},
        Ipv4Case{"middle fragment", with(ipv4_spec(), 64, 0, false, 77, 1480, true), true, false},
        Ipv4Case{"last fragment", with(ipv4_spec(), 64, 0, false, 77, 2960, false), true, false}));

TEST(Ipv4Options, WellFormedOptionsAreSkipped) {
  auto packet = udp_v4();
  const uint8_t options[8] = {1, 0x44, 4, 5, 1, 1, 0, 0};  // NOP, timestamp (len 4), NOPs, EOL
  packet.insert(packet.begin() + 20, options, options + 8);
  packet[0] = 0x47;
  packet[3] = uint8_t(packet.size());
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << to_string(meta.error);
  EXPECT_EQ(meta.ipv4_ihl, 7);
  EXPECT_EQ(meta.l4_offset, 28);
  EXPECT_EQ(meta.tuple.dst_port, 53);
}

TEST(Ipv4Fragment, FirstFragmentUdpMayCarryTheWholeDatagramLength) {
  IpSpec spec = ipv4_spec();
  spec.more_fragments = true;
  auto packet = build_udp(spec, UdpSpec{.src_port = 1, .dst_port = 2}, std::vector<uint8_t>(8));
  packet[25] = 200;  // UDP length of the reassembled datagram
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << to_string(meta.error);
  EXPECT_EQ(meta.tuple.dst_port, 2);
}

}  // namespace
}  // namespace openvpc::packet
