// parse_geneve_test.cc — Geneve header, options, the VPC option and the inner packet.
#include <gtest/gtest.h>

#include "packet/bytes.h"
#include "packet/geneve.h"
#include "packet/parser.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

struct GeneveCase {
  const char* description;
  std::vector<uint8_t> inner;
  uint16_t protocol_type;
};

class GenevePacket : public testing::TestWithParam<GeneveCase> {};

TEST_P(GenevePacket, OuterGoesToGeneveInnerFillsTheMainFields) {
  const GeneveCase& c = GetParam();
  GeneveEncap encap = encap_spec();
  encap.protocol_type = c.protocol_type;
  const auto packet = build_geneve(encap, c.inner);
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << c.description << ": " << to_string(meta.error);
  const GeneveInfo& g = meta.geneve;
  EXPECT_TRUE(g.present);
  EXPECT_EQ(g.vni, 0x123456u);
  EXPECT_EQ(g.protocol_type, c.protocol_type);
  EXPECT_TRUE(g.has_vpc_option);
  EXPECT_EQ(g.source_eni, 11u);
  EXPECT_EQ(g.destination_eni, 22u);
  EXPECT_EQ(g.vpc_flags, 2);
  EXPECT_EQ(g.outer_src, IpAddress::v4(0x7f000101));
  EXPECT_EQ(g.outer_dst, IpAddress::v4(0x7f000102));
  EXPECT_EQ(g.outer_src_port, 50000);
  EXPECT_EQ(g.outer_dst_port, kGenevePort);
  EXPECT_EQ(g.outer_ttl, 64);
  EXPECT_EQ(g.header_offset, kGeneveAt);
  EXPECT_EQ(g.options_size, 16);
  EXPECT_EQ(g.inner_offset, kInnerAt);
  const PacketMeta inner = parse_ip(c.inner);
  EXPECT_EQ(meta.l3_offset, kInnerAt);
  EXPECT_EQ(meta.l4_offset, kInnerAt + inner.l4_offset);
  EXPECT_EQ(meta.tuple, inner.tuple);
  EXPECT_EQ(meta.ip_version, inner.ip_version);
  EXPECT_EQ(meta.ttl, inner.ttl);
  EXPECT_EQ(meta.tcp.flags, inner.tcp.flags);
}

INSTANTIATE_TEST_SUITE_P(Table, GenevePacket,
                         testing::Values(GeneveCase{"TCP over IPv4", tcp_v4(), kEthertypeIpv4},
                                         GeneveCase{"UDP over IPv4", udp_v4(), kEthertypeIpv4},
                                         GeneveCase{"echo over IPv4", echo_v4(), kEthertypeIpv4},
                                         GeneveCase{"TCP over IPv6", tcp_v6(), kEthertypeIpv6},
                                         GeneveCase{"UDP over IPv6", udp_v6(), kEthertypeIpv6}));

TEST(GeneveOptions, UnknownNonCriticalOptionIsSkipped) {
  auto packet = geneve_tcp();
  // Class 0x0102 type 0x01 (not critical) instead of the VPC option.
  packet[kOptionAt] = 0x01;
  packet[kOptionAt + 1] = 0x02;
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << to_string(meta.error);
  EXPECT_FALSE(meta.geneve.has_vpc_option);
  EXPECT_EQ(meta.tuple.dst_port, 443);
}

TEST(GeneveOptions, GsoFlagAndSizeRoundTrip) {
  GeneveEncap encap = encap_spec();
  encap.vpc_flags = kVpcFlagSourceCheckOff | kVpcFlagGsoTcpv4;
  encap.gso_size = 1448;
  const auto packet = build_geneve(encap, tcp_v4());
  EXPECT_EQ(load_be16(&packet[kOptionAt + 12]), kVpcFlagSourceCheckOff | kVpcFlagGsoTcpv4);
  EXPECT_EQ(load_be16(&packet[kOptionAt + 14]), 1448);  // the field reserved before
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << to_string(meta.error);
  EXPECT_EQ(meta.geneve.vpc_flags, kVpcFlagSourceCheckOff | kVpcFlagGsoTcpv4);
  EXPECT_EQ(meta.geneve.gso_size, 1448);
  EXPECT_EQ(parse_ip(geneve_tcp()).geneve.gso_size, 0);  // without GSO the field stays 0
}

TEST(GeneveInner, GenevePortInsideTheTunnelIsPlainUdp) {
  const auto inner = build_geneve(encap_spec(), tcp_v4());  // a tunnel in the tunnel
  const PacketMeta meta = parse_ip(build_geneve(encap_spec(), inner));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta.tuple.protocol, kProtoUdp);
  EXPECT_EQ(meta.tuple.dst_port, kGenevePort);
}

// Only the underlay decapsulates (issue 16): in an instance's frame a Geneve packet is a UDP
// datagram to port 6081 like any other, its payload untouched and its outer header the tuple.
TEST_P(GenevePacket, InAFrameItIsPlainUdp) {
  const auto packet = build_geneve(encap_spec(), GetParam().inner);
  const PacketMeta meta = parse_frame(frame(packet));
  ASSERT_TRUE(meta.ok()) << to_string(meta.error);
  EXPECT_FALSE(meta.geneve.present);
  EXPECT_EQ(meta.tuple.protocol, kProtoUdp);
  EXPECT_EQ(meta.tuple.src, IpAddress::v4(0x7f000101));
  EXPECT_EQ(meta.tuple.dst, IpAddress::v4(0x7f000102));
  EXPECT_EQ(meta.tuple.dst_port, kGenevePort);
  EXPECT_EQ(meta.l3_offset, 14);
  EXPECT_EQ(meta.payload_offset, 14 + kGeneveAt);
}

TEST(GeneveInner, MalformedInnerKeepsTheTunnelFields) {
  auto packet = geneve_tcp();
  packet[kInnerAt + 32] = 0x40;
  const PacketMeta meta = parse_ip(packet);
  EXPECT_EQ(meta.error, ParseError::inner_packet_malformed);
  EXPECT_EQ(meta.geneve.inner_error, ParseError::tcp_bad_data_offset);
  EXPECT_TRUE(meta.geneve.present);
  EXPECT_EQ(meta.geneve.destination_eni, 22u);
}

}  // namespace
}  // namespace openvpc::packet
