// checksum_test.cc — RFC 1071 sums against known values, and RFC 1624 incremental updates
// against a full recomputation over randomized rewrites.
#include "packet/checksum.h"

#include <gtest/gtest.h>

#include <random>

#include "packet/parser.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 §3: the sum of these words is 0xddf2, the checksum its complement.
  const uint8_t data[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_partial(data, 8), 0xddf2u);
  EXPECT_EQ(checksum_fold(checksum_partial(data, 8)), uint16_t(~0xddf2));
}

TEST(Checksum, KnownIpv4Header) {
  // A header from the Wikipedia IPv4 checksum example; its checksum is 0xb861.
  uint8_t header[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                        0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(ipv4_header_checksum(header, 20), 0xb861);
  store_be16(header + 10, 0xb861);
  EXPECT_EQ(ipv4_header_checksum(header, 20), 0);
}

TEST(Checksum, ChainedPartialsEqualOnePass) {
  std::vector<uint8_t> data(1001);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 37 + 11);
  const uint32_t whole = checksum_partial(data.data(), data.size());
  const uint32_t chained =
      checksum_partial(data.data() + 400, 601, checksum_partial(data.data(), 400));
  EXPECT_EQ(checksum_fold(whole), checksum_fold(chained));
}

TEST(Checksum, BuiltSegmentsVerifyToZero) {
  for (const auto& packet : {tcp_v4(), udp_v4(), tcp_v6(), udp_v6(), echo_v6()}) {
    const PacketMeta meta = parse_ip(packet);
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(l4_checksum(meta.tuple.src, meta.tuple.dst, meta.tuple.protocol,
                          packet.data() + meta.l4_offset, packet.size() - meta.l4_offset),
              0);
  }
}

// Rewrites the addresses and ports of a packet the way NAT does, updating checksums
// incrementally, and compares with a rebuild from scratch.
TEST(IncrementalChecksum, EqualsFullRecomputationOverRandomRewrites) {
  std::mt19937 random(20240601);
  for (int round = 0; round < 2000; ++round) {
    const bool v4 = round % 2 == 0;
    IpSpec spec = v4 ? ipv4_spec() : ipv6_spec();
    spec.id = uint16_t(random());
    spec.ttl = uint8_t(random() % 255 + 1);
    std::vector<uint8_t> payload(random() % 64);
    for (auto& byte : payload) byte = uint8_t(random());
    TcpSpec tcp{
        .src_port = uint16_t(random()), .dst_port = uint16_t(random()), .seq = uint32_t(random())};
    auto packet = build_tcp(spec, tcp, payload);
    const size_t l4 = v4 ? 20 : 40;

    IpSpec rewritten = spec;
    if (v4) {
      rewritten.src = IpAddress::v4(uint32_t(random()));
    } else {
      for (auto& byte : rewritten.src.bytes) byte = uint8_t(random());
      rewritten.src.bytes[0] = 0x20;
    }
    rewritten.ttl = uint8_t(spec.ttl - 1);
    TcpSpec rewritten_tcp = tcp;
    rewritten_tcp.src_port = uint16_t(random());
    const auto expected = build_tcp(rewritten, rewritten_tcp, payload);

    // Incremental: TCP checksum over the address (pseudo-header) and the port.
    uint16_t tcp_checksum = load_be16(&packet[l4 + 16]);
    tcp_checksum = checksum_update_address(tcp_checksum, spec.src, rewritten.src);
    tcp_checksum = checksum_update16(tcp_checksum, tcp.src_port, rewritten_tcp.src_port);
    store_be16(&packet[l4], rewritten_tcp.src_port);
    store_be16(&packet[l4 + 16], tcp_checksum);
    if (v4) {
      uint16_t ip_checksum = load_be16(&packet[10]);
      ip_checksum =
          checksum_update32(ip_checksum, spec.src.v4_host_order(), rewritten.src.v4_host_order());
      ip_checksum = checksum_update16(ip_checksum, uint16_t(spec.ttl << 8 | kProtoTcp),
                                      uint16_t(rewritten.ttl << 8 | kProtoTcp));
      std::copy_n(rewritten.src.v4_wire(), 4, &packet[12]);
      packet[8] = rewritten.ttl;
      store_be16(&packet[10], ip_checksum);
    } else {
      std::copy_n(rewritten.src.bytes.data(), 16, &packet[8]);
      packet[7] = rewritten.ttl;
    }
    ASSERT_EQ(packet, expected) << "round " << round;
  }
}

struct UpdateCase {
  uint16_t checksum;
  uint16_t old_field;
  uint16_t new_field;
  uint16_t expected;
};

class ChecksumUpdate16 : public testing::TestWithParam<UpdateCase> {};

TEST_P(ChecksumUpdate16, MatchesRfc1624Equation3) {
  const UpdateCase& c = GetParam();
  EXPECT_EQ(checksum_update16(c.checksum, c.old_field, c.new_field), c.expected);
}

// RFC 1624 §4: the other header words sum to 0xcd7a, so the checksum is 0xdd2f, and a field
// changes 0x5555 -> 0x3285; eqn 3 yields 0x0000 (a full recomputation's value) where eqn 2
// would yield 0xffff.
INSTANTIATE_TEST_SUITE_P(Table, ChecksumUpdate16,
                         testing::Values(UpdateCase{0xdd2f, 0x5555, 0x3285, 0x0000},
                                         UpdateCase{0x1234, 0xabcd, 0xabcd, 0x1234},
                                         UpdateCase{0x0000, 0x0000, 0x0001, 0xfffe}));

}  // namespace
}  // namespace openvpc::packet
