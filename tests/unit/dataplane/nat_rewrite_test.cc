// nat_rewrite: address / port rewriting with incremental checksums (RFC 1624), every result
// compared with a checksum recomputed from scratch, swept over many values so the
// ones-complement corner cases (a sum of 0xffff, a UDP result of 0) occur.
#include "dataplane/nat_rewrite.h"

#include <gtest/gtest.h>

#include <vector>

#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/checksum.h"

namespace openvpc::dataplane {
namespace {

using packet::IpAddress;
using packet::load_be16;
using packet::load_be32;
using packet::store_be16;

constexpr uint32_t kPrivate = 0x0a000005;  // 10.0.0.5
constexpr uint32_t kOutside = 0xc6336407;  // 198.51.100.7

uint16_t full_ip_checksum(std::vector<uint8_t> ip) {
  store_be16(&ip[10], 0);
  return packet::ipv4_header_checksum(ip.data(), 20);
}

// Full L4 checksum of an unfragmented IPv4 packet with a 20-byte header.
uint16_t full_l4_checksum(std::vector<uint8_t> ip) {
  const uint8_t protocol = ip[9];
  uint8_t* l4 = &ip[20];
  const size_t size = ip.size() - 20;
  if (protocol == packet::kProtoIcmp) {
    store_be16(l4 + 2, 0);
    return packet::checksum_fold(packet::checksum_partial(l4, size));
  }
  const size_t at = protocol == packet::kProtoTcp ? 16 : 6;
  store_be16(l4 + at, 0);
  const uint16_t sum = packet::l4_checksum(IpAddress::v4_from_wire(&ip[12]),
                                           IpAddress::v4_from_wire(&ip[16]), protocol, l4, size);
  return protocol == packet::kProtoUdp && sum == 0 ? 0xffff : sum;
}

size_t l4_checksum_at(uint8_t protocol) {
  return 20 + (protocol == packet::kProtoTcp ? 16 : protocol == packet::kProtoUdp ? 6 : 2);
}

std::vector<uint8_t> tcp_packet() {
  packet::TcpSpec t;
  t.src_port = 40000;
  t.dst_port = 443;
  t.seq = 0x01020304;
  const uint8_t payload[7] = {1, 2, 3, 4, 5, 6, 7};  // odd size
  return packet::build_tcp({IpAddress::v4(kPrivate), IpAddress::v4(kOutside)}, t, payload);
}

std::vector<uint8_t> udp_packet() {
  const uint8_t payload[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0xff, 0xfe};
  return packet::build_udp({IpAddress::v4(kPrivate), IpAddress::v4(kOutside)}, {5353, 53}, payload);
}

// Rewrites the source address of `original` to each of 65,536 addresses and compares every
// checksum with a full recomputation. Returns how many results had `corner` in the L4 field.
int sweep_source(const std::vector<uint8_t>& original, uint16_t corner, NatSide side) {
  int corners = 0;
  for (uint32_t low = 0; low < 0x10000; ++low) {
    std::vector<uint8_t> ip = original;
    const auto meta = packet::parse_ip(ip);
    EXPECT_TRUE(meta.ok());
    rewrite_ipv4(ip, meta, side, 0xcb000000 | low);
    const uint16_t ip_sum = load_be16(&ip[10]);
    const uint16_t l4_sum = load_be16(&ip[l4_checksum_at(ip[9])]);
    if (ip_sum != full_ip_checksum(ip) || l4_sum != full_l4_checksum(ip)) {
      ADD_FAILURE() << "address low bits " << low << ": ip " << ip_sum << " vs "
                    << full_ip_checksum(ip) << ", l4 " << l4_sum << " vs " << full_l4_checksum(ip);
      return corners;
    }
    if (l4_sum == corner) ++corners;
  }
  return corners;
}

TEST(NatRewrite, TcpAddressSweepMatchesFullRecompute) {
  EXPECT_GT(sweep_source(tcp_packet(), 0x0000, NatSide::source), 0)
      << "the sweep should reach a checksum of 0 (a ones-complement sum of 0xffff)";
  EXPECT_GT(sweep_source(tcp_packet(), 0x0000, NatSide::destination), 0);
}

TEST(NatRewrite, UdpAddressSweepWritesFfffForAComputedZero) {
  // RFC 768: a computed UDP checksum of 0 is sent as 0xffff (0 means "none").
  EXPECT_GT(sweep_source(udp_packet(), 0xffff, NatSide::source), 0);
  EXPECT_GT(sweep_source(udp_packet(), 0xffff, NatSide::destination), 0);
}

TEST(NatRewrite, UdpWithoutChecksumStaysWithout) {
  auto ip = udp_packet();
  store_be16(&ip[26], 0);
  const auto meta = packet::parse_ip(ip);
  rewrite_ipv4(ip, meta, NatSide::source, 0xcb007105, 1234);
  EXPECT_EQ(load_be16(&ip[26]), 0);
  EXPECT_EQ(load_be16(&ip[20]), 1234);
  EXPECT_EQ(load_be16(&ip[10]), full_ip_checksum(ip));
}

TEST(NatRewrite, PortRewriteReturnsTheOldPort) {
  for (const auto& original : {tcp_packet(), udp_packet()}) {
    for (NatSide side : {NatSide::source, NatSide::destination}) {
      auto ip = original;
      const auto meta = packet::parse_ip(ip);
      const size_t at = side == NatSide::source ? 20 : 22;
      const uint16_t before = load_be16(&ip[at]);
      EXPECT_EQ(rewrite_ipv4(ip, meta, side, 0x64400001, 61000), before);
      EXPECT_EQ(load_be16(&ip[at]), 61000);
      EXPECT_EQ(load_be32(&ip[side == NatSide::source ? 12 : 16]), 0x64400001u);
      EXPECT_EQ(load_be16(&ip[10]), full_ip_checksum(ip));
      EXPECT_EQ(load_be16(&ip[l4_checksum_at(ip[9])]), full_l4_checksum(ip));
    }
  }
}

TEST(NatRewrite, IcmpEchoIdentifierIsThePort) {
  const uint8_t payload[5] = {1, 2, 3, 4, 5};
  auto ip = packet::build_icmp_echo({IpAddress::v4(kPrivate), IpAddress::v4(kOutside)},
                                    {true, 0x1111, 9}, payload);
  const auto meta = packet::parse_ip(ip);
  EXPECT_EQ(rewrite_ipv4(ip, meta, NatSide::source, 0x64400001, 0xffff), 0x1111);
  EXPECT_EQ(load_be16(&ip[24]), 0xffff);
  EXPECT_EQ(load_be16(&ip[22]), full_l4_checksum(ip));
  EXPECT_EQ(load_be16(&ip[10]), full_ip_checksum(ip));
  // Without a port the ICMP message is untouched (ICMP has no pseudo-header).
  auto plain = packet::build_icmp_echo({IpAddress::v4(kPrivate), IpAddress::v4(kOutside)},
                                       {true, 0x1111, 9}, payload);
  const auto before = plain;
  EXPECT_EQ(rewrite_ipv4(plain, packet::parse_ip(plain), NatSide::source, 0x64400001), 0);
  EXPECT_TRUE(std::equal(plain.begin() + 20, plain.end(), before.begin() + 20));
}

TEST(NatRewrite, ALaterFragmentGetsOnlyTheAddress) {
  const auto whole = tcp_packet();
  std::vector<uint8_t> later(whole.size());
  later.resize(
      packet::write_ipv4_fragment(later.data(), later.size(), whole, 8, whole.size() - 20 - 8));
  ASSERT_GT(later.size(), 20u);
  const auto before = later;
  const auto meta = packet::parse_ip(later);
  ASSERT_TRUE(meta.ok());
  ASSERT_EQ(meta.l4_offset, 0);
  EXPECT_EQ(rewrite_ipv4(later, meta, NatSide::source, 0x64400001, 999), 0);
  EXPECT_EQ(load_be32(&later[12]), 0x64400001u);
  EXPECT_EQ(load_be16(&later[10]), full_ip_checksum(later));
  EXPECT_TRUE(std::equal(later.begin() + 20, later.end(), before.begin() + 20));
}

TEST(NatRewrite, PartialChecksumStaysThePseudoHeaderSum) {
  // A TSO / NEEDS_CSUM packet: the TCP field holds the folded, uncomplemented pseudo-header sum.
  auto pseudo = [](const std::vector<uint8_t>& ip) {
    uint8_t header[12];
    std::memcpy(header, &ip[12], 8);
    header[8] = 0;
    header[9] = ip[9];
    store_be16(header + 10, uint16_t(ip.size() - 20));
    return uint16_t(~packet::checksum_fold(packet::checksum_partial(header, 12)));
  };
  auto ip = tcp_packet();
  store_be16(&ip[36], pseudo(ip));
  const auto meta = packet::parse_ip(ip);
  rewrite_ipv4(ip, meta, NatSide::source, 0xcb007105, 0, true);
  EXPECT_EQ(load_be16(&ip[36]), pseudo(ip));
  EXPECT_EQ(load_be16(&ip[10]), full_ip_checksum(ip));
  // With a port (the NAT gateway): the port is not in the pseudo-header, so the field only
  // follows the address (the device sums the new port when it completes the checksum).
  rewrite_ipv4(ip, packet::parse_ip(ip), NatSide::destination, 0x64400001, 2000, true);
  EXPECT_EQ(load_be16(&ip[22]), 2000);
  EXPECT_EQ(load_be16(&ip[36]), pseudo(ip));
  // Completing it as the device would gives the checksum a full recompute gives.
  std::vector<uint8_t> completed = ip;
  const uint32_t sum = packet::checksum_partial(&completed[20], completed.size() - 20);
  store_be16(&completed[36], packet::checksum_fold(sum));
  EXPECT_EQ(load_be16(&completed[36]), full_l4_checksum(completed));
}

TEST(NatRewrite, TtlDecrementSweepMatchesFullRecompute) {
  auto ip = tcp_packet();
  int zero_checksums = 0;
  for (uint32_t id = 0; id < 0x10000; ++id) {
    store_be16(&ip[4], uint16_t(id));
    ip[8] = 64;
    store_be16(&ip[10], full_ip_checksum(ip));
    ASSERT_TRUE(decrement_ipv4_ttl(ip.data()));
    ASSERT_EQ(ip[8], 63);
    ASSERT_EQ(load_be16(&ip[10]), full_ip_checksum(ip)) << "id " << id;
    if (load_be16(&ip[10]) == 0) ++zero_checksums;
  }
  EXPECT_GT(zero_checksums, 0) << "the sweep should reach a header sum of 0xffff";
}

TEST(NatRewrite, TtlOfOneOrZeroIsNotDecremented) {
  for (uint8_t ttl : {uint8_t(0), uint8_t(1)}) {
    auto ip = tcp_packet();
    ip[8] = ttl;
    store_be16(&ip[10], full_ip_checksum(ip));
    const auto before = ip;
    EXPECT_FALSE(decrement_ipv4_ttl(ip.data()));
    EXPECT_EQ(ip, before);
  }
}

TEST(NatRewrite, IcmpQuoteFollowsTheOtherSide) {
  // The NAT made 10.0.0.5 -> outside into 203.0.113.5 -> outside; an error comes back to
  // 203.0.113.5 quoting that. Rewriting the error's destination rewrites the quote's source.
  auto sent = udp_packet();
  auto translated = sent;
  rewrite_ipv4(translated, packet::parse_ip(translated), NatSide::source, 0xcb007105);
  std::vector<uint8_t> error(600);
  error.resize(packet::write_icmp_error(error.data(), error.size(), IpAddress::v4(0x01010101), 3, 3,
                                        0, translated));
  ASSERT_GE(error.size(), 56u);
  const auto meta = packet::parse_ip(error);
  ASSERT_TRUE(meta.ok());
  rewrite_ipv4(error, meta, NatSide::destination, kPrivate);
  ASSERT_TRUE(rewrite_icmp_quote(error, meta, NatSide::source, kPrivate));
  EXPECT_TRUE(std::equal(error.begin() + 28, error.begin() + 56, sent.begin()));
  EXPECT_EQ(load_be16(&error[22]), full_l4_checksum(error));
  EXPECT_EQ(load_be16(&error[10]), full_ip_checksum(error));
}

TEST(NatRewrite, IcmpQuoteIgnoresWhatIsNotAnError) {
  const uint8_t payload[4] = {};
  auto echo = packet::build_icmp_echo({IpAddress::v4(kPrivate), IpAddress::v4(kOutside)},
                                      {true, 1, 1}, payload);
  EXPECT_FALSE(rewrite_icmp_quote(echo, packet::parse_ip(echo), NatSide::source, 1));
  auto tcp = tcp_packet();
  EXPECT_FALSE(rewrite_icmp_quote(tcp, packet::parse_ip(tcp), NatSide::source, 1));
}

}  // namespace
}  // namespace openvpc::dataplane
