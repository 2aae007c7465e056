// dns_tcp_test.cc — DNS over TCP at the resolver: the handshake from a keyed ISN, a query
// answered in one segment, closing, and the segments answered with RST or nothing (a table).
#include <gtest/gtest.h>

#include <string>

#include "dataplane/services/dns_tcp.h"
#include "packet/checksum.h"
#include "packet/dns.h"
#include "packet/headers.h"
#include "services_test_util.h"

namespace openvpc::dataplane::services::testing {
namespace {

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;

constexpr uint32_t kClientIsn = 1000;
constexpr uint32_t kServerNext = 0x5000;  // what the client acknowledges in these tests

std::vector<uint8_t> query(const DnsQuerySpec& spec = {}) {
  return length_prefixed(dns_payload(spec));
}

// The reply is a TCP segment from dst:53 to the ENI with a valid checksum.
void expect_segment_to_eni(const Reply& reply, const IpAddress& from = kVpcDnsIp) {
  ASSERT_FALSE(reply.frame.empty());
  ASSERT_TRUE(reply.meta.ok()) << packet::to_string(reply.meta.error);
  EXPECT_EQ(reply.meta.tuple.protocol, packet::kProtoTcp);
  EXPECT_EQ(reply.meta.eth_dst, kEniMac);
  EXPECT_EQ(reply.meta.eth_src, kRouterMac);
  EXPECT_EQ(reply.meta.tuple.src, from);
  EXPECT_EQ(reply.meta.tuple.dst, kEniIp);
  EXPECT_EQ(reply.meta.tuple.src_port, 53);
  EXPECT_EQ(reply.meta.tuple.dst_port, 40000);
  const uint8_t* tcp = reply.frame.data() + reply.meta.l4_offset;
  EXPECT_EQ(packet::l4_checksum(reply.meta.tuple.src, reply.meta.tuple.dst, packet::kProtoTcp, tcp,
                                reply.frame.size() - reply.meta.l4_offset),
            0);
}

TEST(DnsTcp, SynGetsSynAckWithTheKeyedSequenceAndAnMss) {
  ServicesConfig config = test_config();
  LocalServices services(config);
  const auto syn = tcp_frame({.flags = kTcpSyn, .seq = kClientIsn});
  const Reply reply = respond(services, syn);
  expect_segment_to_eni(reply);
  EXPECT_EQ(reply.meta.tcp.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(reply.meta.tcp.ack, kClientIsn + 1);
  const uint32_t isn =
      dns_tcp_initial_sequence(config.dns_tcp_isn_key, packet::parse_frame(syn).tuple, kClientIsn);
  EXPECT_EQ(reply.meta.tcp.seq, isn);
  EXPECT_EQ(reply.meta.tcp.mss, 9001 - 40);
  EXPECT_EQ(services.counters()[ServicesEvent::dns_tcp_handshake], 1u);
  // Another key, another client ISN: other sequence numbers; the same SYN: the same one.
  const packet::FiveTuple tuple = packet::parse_frame(syn).tuple;
  EXPECT_NE(dns_tcp_initial_sequence(config.dns_tcp_isn_key + 1, tuple, kClientIsn), isn);
  EXPECT_NE(dns_tcp_initial_sequence(config.dns_tcp_isn_key, tuple, kClientIsn + 1), isn);
  EXPECT_EQ(respond(services, syn).meta.tcp.seq, isn);
}

TEST(DnsTcp, QueryIsAnsweredInOneSegmentThatAcknowledgesIt) {
  LocalServices services(test_config());
  const std::vector<uint8_t> payload = query();
  const Reply reply = respond(services, tcp_frame({.flags = kTcpAck | kTcpPsh,
                                                   .seq = kClientIsn + 1,
                                                   .ack = kServerNext,
                                                   .payload = payload}));
  expect_segment_to_eni(reply);
  EXPECT_EQ(reply.meta.tcp.flags, kTcpAck | kTcpPsh);
  EXPECT_EQ(reply.meta.tcp.seq, kServerNext);
  EXPECT_EQ(reply.meta.tcp.ack, kClientIsn + 1 + payload.size());
  const std::span<const uint8_t> data = reply.tcp_payload();
  ASSERT_GT(data.size(), 2u + packet::kDnsHeaderSize);
  EXPECT_EQ(packet::load_be16(&data[0]), data.size() - 2);
  const std::span<const uint8_t> message = data.subspan(2);
  EXPECT_EQ(packet::load_be16(&message[0]), 0x4242);           // the query's id
  EXPECT_EQ(packet::load_be16(&message[2]) & 0x820f, 0x8000);  // response, NOERROR, no TC
  EXPECT_EQ(packet::load_be16(&message[6]), 1);
  const std::vector<uint8_t> address(message.end() - 4, message.end());
  EXPECT_EQ(address, (std::vector<uint8_t>{10, 0, 2, 9}));
  EXPECT_EQ(services.counters()[ServicesEvent::dns_answered], 1u);
}

TEST(DnsTcp, NxdomainAndTheLinkLocalAddress) {
  LocalServices services(test_config());
  const Reply reply = respond(services, tcp_frame({.seq = kClientIsn + 1,
                                                   .ack = kServerNext,
                                                   .payload = query({.name = "example.com"}),
                                                   .dst = kResolverLinkLocal}));
  expect_segment_to_eni(reply, kResolverLinkLocal);
  EXPECT_EQ(packet::load_be16(&reply.tcp_payload()[4]) & 0x0f, 3);  // NXDOMAIN
  EXPECT_EQ(services.counters()[ServicesEvent::dns_nxdomain], 1u);
}

// TCP is what a client uses after TC: the plain-UDP size does not apply.
TEST(DnsTcp, AnswerThatUdpTruncatesComesWhole) {
  ServicesConfig config = test_config();
  config.dns_udp_size_without_edns = 64;
  LocalServices services(config);
  const DnsQuerySpec ptr{.name = "9.2.0.10.in-addr.arpa", .qtype = 12};
  const Reply udp = respond(services, dns_frame(ptr));
  ASSERT_FALSE(udp.frame.empty());
  EXPECT_EQ(packet::load_be16(&udp.udp_payload()[2]) & 0x0200, 0x0200);
  const Reply tcp = respond(
      services, tcp_frame({.seq = kClientIsn + 1, .ack = kServerNext, .payload = query(ptr)}));
  expect_segment_to_eni(tcp);
  const std::span<const uint8_t> message = tcp.tcp_payload().subspan(2);
  EXPECT_GT(message.size(), 64u);
  EXPECT_EQ(packet::load_be16(&message[2]) & 0x0200, 0);
  EXPECT_EQ(packet::load_be16(&message[6]), 1);
}

TEST(DnsTcp, QueryWithFinIsAnsweredAndClosed) {
  LocalServices services(test_config());
  const std::vector<uint8_t> payload = query();
  const Reply reply = respond(services, tcp_frame({.flags = kTcpAck | kTcpPsh | kTcpFin,
                                                   .seq = kClientIsn + 1,
                                                   .ack = kServerNext,
                                                   .payload = payload}));
  expect_segment_to_eni(reply);
  EXPECT_EQ(reply.meta.tcp.flags, kTcpAck | kTcpPsh | kTcpFin);
  EXPECT_EQ(reply.meta.tcp.ack, kClientIsn + 1 + payload.size() + 1);
}

TEST(DnsTcp, FinGetsFinAck) {
  LocalServices services(test_config());
  const Reply reply =
      respond(services, tcp_frame({.flags = kTcpAck | kTcpFin, .seq = 2000, .ack = kServerNext}));
  expect_segment_to_eni(reply);
  EXPECT_EQ(reply.meta.tcp.flags, kTcpFin | kTcpAck);
  EXPECT_EQ(reply.meta.tcp.seq, kServerNext);
  EXPECT_EQ(reply.meta.tcp.ack, 2001u);
  EXPECT_EQ(reply.meta.tcp.payload_size, 0);
  EXPECT_EQ(services.counters()[ServicesEvent::dns_tcp_closed], 1u);
}

// Two messages in one segment: the first is answered and acknowledged, the client resends
// the rest.
TEST(DnsTcp, OnlyTheFirstOfTwoMessagesIsTaken) {
  LocalServices services(test_config());
  const std::vector<uint8_t> first = query();
  std::vector<uint8_t> both = first;
  const std::vector<uint8_t> second = query({.name = "example.com"});
  both.insert(both.end(), second.begin(), second.end());
  const Reply reply = respond(
      services,
      tcp_frame({.flags = kTcpAck | kTcpFin, .seq = 7, .ack = kServerNext, .payload = both}));
  expect_segment_to_eni(reply);
  EXPECT_EQ(reply.meta.tcp.ack, 7 + first.size());
  EXPECT_EQ(reply.meta.tcp.flags & kTcpFin, 0);
  EXPECT_EQ(services.counters()[ServicesEvent::dns_answered], 1u);
}

struct SegmentCase {
  const char* name;
  TcpSegmentSpec segment;
  ServicesEvent event;
  uint8_t reply_flags;  // 0: no reply
  uint32_t reply_seq;
  uint32_t reply_ack;
};

std::vector<uint8_t> bytes(std::initializer_list<uint8_t> list) {
  return list;
}

const std::vector<uint8_t> kQuery = query();
const std::vector<uint8_t> kShortPrefix = {0x00};
const std::vector<uint8_t> kSplitQuery(kQuery.begin(), kQuery.begin() + 20);
const std::vector<uint8_t> kTooLongPrefix = [] {
  std::vector<uint8_t> q = query();
  q[1] = uint8_t(q[1] + 1);
  return q;
}();
const std::vector<uint8_t> kResponse = [] {
  std::vector<uint8_t> q = query();
  q[4] |= 0x80;  // QR
  return q;
}();
const std::vector<uint8_t> kNoHeader = length_prefixed(bytes({0x12, 0x34, 0x01, 0, 0}));
const std::vector<uint8_t> kPointerLoop =
    length_prefixed(bytes({0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1}));
const std::vector<uint8_t> kZeroLength = {0, 0};

const SegmentCase kSegmentCases[] = {
    {"pure_ack", {.ack = kServerNext}, ServicesEvent::dns_tcp_ignored_ack, 0, 0, 0},
    {"rst", {.flags = kTcpRst, .ack = kServerNext}, ServicesEvent::dns_tcp_ignored_reset, 0, 0, 0},
    {"rst_with_data",
     {.flags = kTcpRst | kTcpAck, .payload = kQuery},
     ServicesEvent::dns_tcp_ignored_reset,
     0,
     0,
     0},
    {"syn_ack",
     {.flags = kTcpSyn | kTcpAck, .ack = 77},
     ServicesEvent::dns_tcp_reset_unexpected,
     kTcpRst,
     77,
     0},
    {"syn_fin",
     {.flags = kTcpSyn | kTcpFin, .seq = 500},
     ServicesEvent::dns_tcp_reset_unexpected,
     kTcpRst | kTcpAck,
     0,
     502},
    {"data_without_ack",
     {.flags = kTcpPsh, .seq = 500, .payload = kQuery},
     ServicesEvent::dns_tcp_reset_unexpected,
     kTcpRst | kTcpAck,
     0,
     uint32_t(500 + kQuery.size())},
    {"one_byte_prefix",
     {.ack = kServerNext, .payload = kShortPrefix},
     ServicesEvent::dns_tcp_reset_partial_message,
     kTcpRst,
     kServerNext,
     0},
    {"split_query",
     {.ack = kServerNext, .payload = kSplitQuery},
     ServicesEvent::dns_tcp_reset_partial_message,
     kTcpRst,
     kServerNext,
     0},
    {"prefix_longer_than_data",
     {.ack = kServerNext, .payload = kTooLongPrefix},
     ServicesEvent::dns_tcp_reset_partial_message,
     kTcpRst,
     kServerNext,
     0},
    {"response_not_query",
     {.ack = kServerNext, .payload = kResponse},
     ServicesEvent::dns_dropped_response,
     kTcpRst,
     kServerNext,
     0},
    {"message_shorter_than_header",
     {.ack = kServerNext, .payload = kNoHeader},
     ServicesEvent::dns_dropped_no_header,
     kTcpRst,
     kServerNext,
     0},
    {"zero_length_message",
     {.ack = kServerNext, .payload = kZeroLength},
     ServicesEvent::dns_dropped_no_header,
     kTcpRst,
     kServerNext,
     0},
    {"pointer_loop_is_formerr",
     {.seq = 9, .ack = kServerNext, .payload = kPointerLoop},
     ServicesEvent::dns_formerr,
     kTcpAck | kTcpPsh,
     kServerNext,
     uint32_t(9 + kPointerLoop.size())},
};

class DnsTcpSegmentTest : public ::testing::TestWithParam<SegmentCase> {};

TEST_P(DnsTcpSegmentTest, AnswersResetsOrIgnores) {
  const SegmentCase& c = GetParam();
  LocalServices services(test_config());
  const Reply reply = respond(services, tcp_frame(c.segment));
  EXPECT_EQ(services.counters()[c.event], 1u) << to_string(c.event);
  EXPECT_EQ(services.counters().total(), 1u);
  if (c.reply_flags == 0) {
    EXPECT_TRUE(reply.frame.empty());
    return;
  }
  expect_segment_to_eni(reply);
  EXPECT_EQ(reply.meta.tcp.flags, c.reply_flags);
  EXPECT_EQ(reply.meta.tcp.seq, c.reply_seq);
  if (c.reply_flags & kTcpAck) {
    EXPECT_EQ(reply.meta.tcp.ack, c.reply_ack);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, DnsTcpSegmentTest, ::testing::ValuesIn(kSegmentCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DnsTcp, DnsSupportOffMeansNoHandshake) {
  ServicesConfig config = test_config();
  config.vpcs[0].dns_support = false;
  LocalServices services(config);
  EXPECT_TRUE(respond(services, tcp_frame({.flags = kTcpSyn})).frame.empty());
  EXPECT_EQ(services.counters()[ServicesEvent::dns_dropped_dns_support_off], 1u);
}

TEST(DnsTcp, OtherPortsOfTheResolverAreNotDns) {
  LocalServices services(test_config());
  auto frame = tcp_frame({.flags = kTcpSyn});
  frame[packet::kEthernetHeaderSize + 20 + 3] = 80;  // destination port 80 (checksum unchecked)
  EXPECT_EQ(services.classify(kEniId, packet::parse_frame(frame)), ServiceKind::none);
  EXPECT_TRUE(respond(services, frame).frame.empty());
  EXPECT_EQ(services.counters()[ServicesEvent::ignored_not_for_services], 1u);
}

}  // namespace
}  // namespace openvpc::dataplane::services::testing
