// writer_test.cc — hot-path writers: ARP replies and ICMP errors into caller buffers.
#include <gtest/gtest.h>

#include "packet/builder.h"
#include "packet/checksum.h"
#include "packet/headers.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

TEST(WriteArpReply, AnswersTheRequester) {
  uint8_t out[64];
  const size_t size = write_arp_reply(out, sizeof out, mac("02:00:00:00:00:01"), ip("10.0.0.1"),
                                      mac("02:00:00:00:00:09"), ip("10.0.0.9"));
  ASSERT_EQ(size, 42u);
  const PacketMeta meta = parse_frame(std::span<const uint8_t>(out, size));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta.arp_operation, 2);
  EXPECT_EQ(meta.eth_dst, mac("02:00:00:00:00:09"));
  const ArpView arp(out + 14);
  EXPECT_EQ(arp.sender_mac(), mac("02:00:00:00:00:01"));
  EXPECT_EQ(arp.sender_ip(), ip("10.0.0.1"));
  EXPECT_EQ(arp.target_ip(), ip("10.0.0.9"));
  EXPECT_EQ(write_arp_reply(out, 41, {}, ip("10.0.0.1"), {}, ip("10.0.0.9")), 0u);
}

struct IcmpErrorCase {
  const char* description;
  std::vector<uint8_t> offending;
  IpAddress from;
  uint8_t type;
  uint8_t code;
  size_t expected_quote;
};

class WriteIcmpError : public testing::TestWithParam<IcmpErrorCase> {};

TEST_P(WriteIcmpError, QuotesTheOffendingPacketAndParses) {
  const IcmpErrorCase& c = GetParam();
  uint8_t out[1600];
  const size_t size = write_icmp_error(out, sizeof out, c.from, c.type, c.code, 1400, c.offending);
  const size_t header = c.from.is_v4() ? 28 : 48;
  ASSERT_EQ(size, header + c.expected_quote) << c.description;
  const PacketMeta meta = parse_ip(std::span<const uint8_t>(out, size));
  ASSERT_TRUE(meta.ok()) << to_string(meta.error);
  const PacketMeta original = parse_ip(c.offending);
  EXPECT_EQ(meta.tuple.src, c.from);
  EXPECT_EQ(meta.tuple.dst, original.tuple.src);
  EXPECT_EQ(meta.icmp.type, c.type);
  EXPECT_EQ(meta.icmp.code, c.code);
  EXPECT_EQ(meta.icmp.rest, 1400u);
  EXPECT_TRUE(meta.icmp_inner.present);
  EXPECT_EQ(meta.icmp_inner.tuple, original.tuple);
  if (c.from.is_v4()) {
    EXPECT_EQ(ipv4_header_checksum(out, 20), 0);
    EXPECT_EQ(checksum_fold(checksum_partial(out + 20, size - 20)), 0);
  } else {
    EXPECT_EQ(l4_checksum(meta.tuple.src, meta.tuple.dst, kProtoIcmpv6, out + 40, size - 40), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, WriteIcmpError,
    testing::Values(IcmpErrorCase{"fragmentation needed", tcp_v4(), ip("10.0.0.1"), 3, 4, 28},
                    IcmpErrorCase{"TTL exceeded, short packet quoted whole", udp_v4(),
                                  ip("10.0.0.1"), 11, 0, 28},
                    IcmpErrorCase{"packet too big, quoted whole", tcp_v6(), ip("2001:db8::1"), 2, 0,
                                  80},
                    IcmpErrorCase{"packet too big, quote capped at 1280",
                                  build_udp(ipv6_spec(), UdpSpec{.src_port = 1, .dst_port = 2},
                                            std::vector<uint8_t>(2000, 7)),
                                  ip("2001:db8::1"), 2, 0, 1280 - 48}));

TEST(WriteIcmpErrorLimits, RefusesWhatDoesNotFitOrMixesFamilies) {
  uint8_t out[1600];
  const auto packet = tcp_v4();
  EXPECT_EQ(write_icmp_error(out, 55, ip("10.0.0.1"), 3, 4, 0, packet), 0u);
  EXPECT_EQ(write_icmp_error(out, sizeof out, ip("2001:db8::1"), 1, 0, 0, packet), 0u);
  EXPECT_EQ(write_icmp_error(out, sizeof out, ip("10.0.0.1"), 3, 4, 0, {}), 0u);
}

}  // namespace
}  // namespace openvpc::packet
