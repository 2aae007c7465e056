// parse_icmp_test.cc — ICMP/ICMPv6 echo, errors with their quoted header, and ND.
#include <gtest/gtest.h>

#include "packet/headers.h"
#include "packet/parser.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

TEST(IcmpEcho, IdentifierFillsBothPorts) {
  for (const auto& packet : {echo_v4(), echo_v6()}) {
    const PacketMeta meta = parse_ip(packet);
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(meta.icmp.type, meta.ip_version == 4 ? 8 : 128);
    EXPECT_EQ(meta.icmp.id, 77);
    EXPECT_EQ(meta.icmp.sequence, 3);
    EXPECT_EQ(meta.tuple.src_port, 77);
    EXPECT_EQ(meta.tuple.dst_port, 77);
    EXPECT_FALSE(meta.icmp.is_error);
  }
}

struct ErrorCase {
  const char* description;
  std::vector<uint8_t> original;  // the packet the error is about
  size_t quoted_size;             // bytes of it the error carries
  uint8_t type;
  uint8_t code;
  bool present;
  bool has_ports;
};

class IcmpError : public testing::TestWithParam<ErrorCase> {};

TEST_P(IcmpError, ParsesTheQuotedHeader) {
  const ErrorCase& c = GetParam();
  const IpAddress router = c.original[0] >> 4 == 4 ? ip("10.0.0.1") : ip("2001:db8::1");
  std::vector<uint8_t> quote(c.original.begin(), c.original.begin() + c.quoted_size);
  std::vector<uint8_t> icmp(8, 0);
  icmp[0] = c.type;
  icmp[1] = c.code;
  store_be32(&icmp[4], 1500);
  icmp.insert(icmp.end(), quote.begin(), quote.end());
  IpSpec spec = c.original[0] >> 4 == 4 ? ipv4_spec() : ipv6_spec();
  spec.src = router;
  const auto packet = build_ip(spec, c.original[0] >> 4 == 4 ? kProtoIcmp : kProtoIcmpv6, icmp);
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << c.description << ": " << to_string(meta.error);
  EXPECT_TRUE(meta.icmp.is_error);
  EXPECT_EQ(meta.icmp.rest, 1500u);
  EXPECT_EQ(meta.tuple.src_port, 0);
  const PacketMeta original = parse_ip(c.original);
  EXPECT_EQ(meta.icmp_inner.present, c.present) << c.description;
  if (!c.present) return;
  EXPECT_EQ(meta.icmp_inner.tuple.src, original.tuple.src);
  EXPECT_EQ(meta.icmp_inner.tuple.dst, original.tuple.dst);
  EXPECT_EQ(meta.icmp_inner.tuple.protocol, original.tuple.protocol);
  EXPECT_EQ(meta.icmp_inner.l3_offset, meta.l4_offset + 8);
  EXPECT_EQ(meta.icmp_inner.tuple.src_port, c.has_ports ? original.tuple.src_port : 0);
  EXPECT_EQ(meta.icmp_inner.tuple.dst_port, c.has_ports ? original.tuple.dst_port : 0);
  if (c.has_ports && original.tuple.protocol == kProtoTcp) {
    EXPECT_EQ(meta.icmp_inner.tcp_seq, original.tcp.seq);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, IcmpError,
    testing::Values(
        ErrorCase{"fragmentation needed for TCP", tcp_v4(), 28, 3, 4, true, true},
        ErrorCase{"TTL exceeded for UDP, whole packet quoted", udp_v4(), 32, 11, 0, true, true},
        ErrorCase{"port unreachable for an echo", echo_v4(), 28, 3, 3, true, true},
        ErrorCase{"quote stops after the IP header", tcp_v4(), 20, 3, 1, true, false},
        ErrorCase{"quote cut inside the IP header", tcp_v4(), 12, 3, 1, false, false},
        ErrorCase{"packet too big for TCP over IPv6", tcp_v6(), 60, 2, 0, true, true},
        ErrorCase{"hop limit exceeded for an ICMPv6 echo", echo_v6(), 48, 3, 0, true, true},
        ErrorCase{"IPv6 quote cut inside the header", tcp_v6(), 30, 1, 4, false, false}));

TEST(NeighborDiscovery, SolicitationWithSourceLinkAddress) {
  std::vector<uint8_t> ns(32, 0);
  ns[0] = kIcmpv6NeighborSolicitation;
  const IpAddress target = ip("2001:db8::7");
  std::copy(target.bytes.begin(), target.bytes.end(), ns.begin() + 8);
  ns[24] = kNdOptionSourceLinkAddress;
  ns[25] = 1;
  const auto packet = build_ip(ipv6_spec(), kProtoIcmpv6, ns);
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << to_string(meta.error);
  EXPECT_EQ(meta.icmp.type, kIcmpv6NeighborSolicitation);
  EXPECT_EQ(NeighborDiscoveryView(packet.data() + meta.l4_offset).target(), target);
}

TEST(NeighborDiscovery, RouterSolicitationAndAdvertisementSizes) {
  for (uint8_t type : {kIcmpv6RouterSolicitation, kIcmpv6RouterAdvertisement}) {
    std::vector<uint8_t> message(nd_fixed_size(type), 0);
    message[0] = type;
    EXPECT_TRUE(parse_ip(build_ip(ipv6_spec(), kProtoIcmpv6, message)).ok());
    message.pop_back();  // RS is 8 bytes: one less is not even an ICMPv6 header
    EXPECT_EQ(parse_ip(build_ip(ipv6_spec(), kProtoIcmpv6, message)).error,
              type == kIcmpv6RouterSolicitation ? ParseError::icmpv6_truncated
                                                : ParseError::icmpv6_nd_truncated);
  }
}

}  // namespace
}  // namespace openvpc::packet
