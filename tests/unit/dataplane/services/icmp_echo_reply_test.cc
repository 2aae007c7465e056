// icmp_echo_reply_test.cc — ping base+1: the reply's bytes and checksums; other ICMP ignored.
#include <gtest/gtest.h>

#include "packet/checksum.h"
#include "packet/headers.h"
#include "services_test_util.h"

namespace openvpc::dataplane::services::testing {
namespace {

std::vector<uint8_t> echo_frame(const IpAddress& dst, std::span<const uint8_t> data,
                                bool request = true) {
  const auto ip = packet::build_icmp_echo({.src = kEniIp, .dst = dst, .tos = 0x10, .id = 0x77},
                                          {.request = request, .id = 0xbeef, .sequence = 3}, data);
  return packet::with_ethernet({.src_mac = kEniMac, .dst_mac = kRouterMac}, ip);
}

TEST(IcmpEchoReply, ReplyMirrorsTheRequest) {
  const std::vector<uint8_t> data = {'p', 'i', 'n', 'g', 0, 1, 2, 3, 4};
  const std::vector<uint8_t> request = echo_frame(kRouterIp, data);
  LocalServices services(test_config());
  ASSERT_EQ(services.classify(kEniId, packet::parse_frame(request)), ServiceKind::icmp_echo);
  const Reply reply = respond(services, request);
  ASSERT_EQ(reply.frame.size(), request.size());
  EXPECT_EQ(services.counters()[ServicesEvent::icmp_echo_replied], 1u);
  ASSERT_TRUE(reply.meta.ok());
  EXPECT_EQ(reply.meta.eth_src, kRouterMac);
  EXPECT_EQ(reply.meta.eth_dst, kEniMac);
  EXPECT_EQ(reply.meta.tuple.src, kRouterIp);
  EXPECT_EQ(reply.meta.tuple.dst, kEniIp);
  EXPECT_EQ(reply.meta.icmp.type, 0);
  EXPECT_EQ(reply.meta.icmp.code, 0);
  EXPECT_EQ(reply.meta.icmp.id, 0xbeef);
  EXPECT_EQ(reply.meta.icmp.sequence, 3);
  EXPECT_EQ(reply.meta.ttl, 64);
  EXPECT_EQ(reply.meta.tos, 0x10);
  const uint8_t* ip = &reply.frame[reply.meta.l3_offset];
  EXPECT_EQ(packet::ipv4_header_checksum(ip, 20), 0);  // verifies
  const uint8_t* icmp = &reply.frame[reply.meta.l4_offset];
  const size_t icmp_size = reply.frame.size() - reply.meta.l4_offset;
  EXPECT_EQ(packet::checksum_fold(packet::checksum_partial(icmp, icmp_size)), 0);
  // Byte for byte: the reply's ICMP is the request's with type 0 and the checksum adjusted
  // by exactly the type change (RFC 1624).
  const packet::PacketMeta request_meta = packet::parse_frame(request);
  std::vector<uint8_t> expected(request.begin() + request_meta.l4_offset, request.end());
  const uint16_t old_checksum = packet::load_be16(&expected[2]);
  expected[0] = 0;
  packet::store_be16(&expected[2], packet::checksum_update16(old_checksum, 0x0800, 0x0000));
  EXPECT_EQ(std::vector<uint8_t>(icmp, icmp + icmp_size), expected);
}

TEST(IcmpEchoReply, JumboEchoFitsWhenTheBufferDoes) {
  const std::vector<uint8_t> data(8000, 0x5a);
  LocalServices services(test_config());
  const Reply reply = respond(services, echo_frame(kRouterIp, data));
  EXPECT_EQ(reply.frame.size(), 14u + 20 + 8 + 8000);
}

TEST(IcmpEchoReply, SmallBufferIsCountedNotOverrun) {
  const std::vector<uint8_t> data(200, 1);
  const std::vector<uint8_t> request = echo_frame(kRouterIp, data);
  LocalServices services(test_config());
  std::vector<uint8_t> out(100);
  EXPECT_EQ(services.respond(kEniId, request, packet::parse_frame(request), out, 0), 0u);
  EXPECT_EQ(services.counters()[ServicesEvent::dropped_reply_too_large], 1u);
}

TEST(IcmpEchoReply, BadChecksumIsDropped) {
  std::vector<uint8_t> request = echo_frame(kRouterIp, std::vector<uint8_t>{1, 2, 3});
  request.back() ^= 0xff;
  LocalServices services(test_config());
  EXPECT_TRUE(respond(services, request).frame.empty());
  EXPECT_EQ(services.counters()[ServicesEvent::icmp_dropped_bad_checksum], 1u);
}

TEST(IcmpEchoReply, EchoReplyToTheRouterIsIgnored) {
  const std::vector<uint8_t> frame = echo_frame(kRouterIp, {}, /*request=*/false);
  LocalServices services(test_config());
  EXPECT_EQ(services.classify(kEniId, packet::parse_frame(frame)), ServiceKind::none);
  EXPECT_TRUE(respond(services, frame).frame.empty());
  EXPECT_EQ(services.counters()[ServicesEvent::icmp_ignored_not_echo], 1u);
}

TEST(IcmpEchoReply, EchoToAnotherAddressIsNotForServices) {
  const std::vector<uint8_t> frame = echo_frame(kOtherVpcIp, {});
  LocalServices services(test_config());
  EXPECT_EQ(services.classify(kEniId, packet::parse_frame(frame)), ServiceKind::none);
  EXPECT_TRUE(respond(services, frame).frame.empty());
  EXPECT_EQ(services.counters()[ServicesEvent::ignored_not_for_services], 1u);
}

}  // namespace
}  // namespace openvpc::dataplane::services::testing
