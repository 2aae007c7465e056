// parser_test.cc — the parser's entry points and the table of malformed packets: each case
// changes a well-formed sample in one way and expects the ParseError that names it.
#include "packet/parser.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

#include "packet/bytes.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

enum class Entry { frame, ip };

struct MalformedCase {
  const char* description;
  std::function<std::vector<uint8_t>()> packet;
  Entry entry;
  ParseError expected;
  ParseError expected_inner = ParseError::none;
};

std::vector<uint8_t> cut(std::vector<uint8_t> packet, size_t size) {
  packet.resize(size);
  return packet;
}
template <typename F>
std::vector<uint8_t> changed(std::vector<uint8_t> packet, F change) {
  change(packet.data());
  return packet;
}
// An IPv4 TCP packet whose TCP header has data offset 6 and the given 4 option bytes.
std::vector<uint8_t> tcp_v4_options(std::array<uint8_t, 4> options) {
  auto packet = build_tcp(ipv4_spec(), TcpSpec{.src_port = 1, .dst_port = 2, .mss = 1460});
  packet[32] = 0x60;
  std::copy(options.begin(), options.end(), packet.begin() + 40);
  return packet;
}
std::vector<uint8_t> ipv4_with_option(std::array<uint8_t, 4> option) {
  auto packet = udp_v4();
  packet.insert(packet.begin() + 20, option.begin(), option.end());
  packet[0] = 0x46;
  store_be16(&packet[2], uint16_t(packet.size()));
  return packet;
}
std::vector<uint8_t> neighbor_solicitation(size_t size, uint8_t option_length) {
  std::vector<uint8_t> icmp(size, 0);
  icmp[0] = 135;
  if (size >= 26) icmp[25] = option_length;
  if (size >= 25) icmp[24] = 1;
  return build_ip(ipv6_spec(), kProtoIcmpv6, icmp);
}
std::vector<uint8_t> destination_options_chain(int count) {
  std::vector<uint8_t> chain(size_t(count) * 8, 0);
  for (int i = 0; i < count; ++i) chain[size_t(i) * 8] = i + 1 < count ? 60 : kProtoUdp;
  return with_ipv6_extensions(udp_v6(), 60, chain);
}

const std::vector<MalformedCase>& malformed_cases() {
  static const std::vector<MalformedCase> cases = {
      {"frame shorter than an Ethernet header", [] { return cut(frame(tcp_v4()), 13); },
       Entry::frame, ParseError::ethernet_truncated},
      {"802.1Q tag cut short",
       [] { return cut(with_ethernet(FrameSpec{.vlan = 5}, tcp_v4()), 16); }, Entry::frame,
       ParseError::vlan_truncated},
      {"ARP cut short",
       [] { return cut(build_arp_request({}, ip("10.0.0.1"), ip("10.0.0.2")), 14 + 27); },
       Entry::frame, ParseError::arp_truncated},
      {"ARP for a non-Ethernet hardware type",
       [] {
         return changed(build_arp_request({}, ip("10.0.0.1"), ip("10.0.0.2")),
                        [](uint8_t* p) { p[15] = 6; });
       },
       Entry::frame, ParseError::arp_unsupported},
      {"ARP with 16-byte protocol addresses",
       [] {
         return changed(build_arp_request({}, ip("10.0.0.1"), ip("10.0.0.2")),
                        [](uint8_t* p) { p[19] = 16; });
       },
       Entry::frame, ParseError::arp_unsupported},
      {"IPv4 header cut at 19 bytes", [] { return cut(tcp_v4(), 19); }, Entry::ip,
       ParseError::ipv4_truncated},
      {"empty IP packet", [] { return std::vector<uint8_t>{}; }, Entry::ip,
       ParseError::ipv4_truncated},
      {"IPv6 packet behind ethertype IPv4",
       [] {
         auto f = frame(tcp_v6());
         store_be16(&f[12], kEthertypeIpv4);
         return f;
       },
       Entry::frame, ParseError::ipv4_bad_version},
      {"IHL 4", [] { return changed(tcp_v4(), [](uint8_t* p) { p[0] = 0x44; }); }, Entry::ip,
       ParseError::ipv4_bad_ihl},
      {"IHL 15 past the buffer",
       [] { return cut(changed(tcp_v4(), [](uint8_t* p) { p[0] = 0x4f; }), 40); }, Entry::ip,
       ParseError::ipv4_options_truncated},
      {"total length below the header",
       [] { return changed(tcp_v4(), [](uint8_t* p) { store_be16(p + 2, 16); }); }, Entry::ip,
       ParseError::ipv4_total_length_too_short},
      {"total length past the buffer",
       [] {
         return changed(tcp_v4(), [](uint8_t* p) { store_be16(p + 2, load_be16(p + 2) + 1); });
       },
       Entry::ip, ParseError::ipv4_total_length_beyond_buffer},
      {"IPv4 option of length 1",
       [] {
         return ipv4_with_option({7, 1, 0, 0});
       },
       Entry::ip, ParseError::ipv4_option_bad_length},
      {"IPv4 option running past the header",
       [] {
         return ipv4_with_option({0x44, 12, 5, 0});
       },
       Entry::ip, ParseError::ipv4_option_bad_length},
      {"version nibble 5", [] { return changed(tcp_v4(), [](uint8_t* p) { p[0] = 0x55; }); },
       Entry::ip, ParseError::ip_bad_version},
      {"IPv6 header cut at 39 bytes", [] { return cut(tcp_v6(), 39); }, Entry::ip,
       ParseError::ipv6_truncated},
      {"IPv4 packet behind ethertype IPv6",
       [] {
         auto f = frame(tcp_v4());
         store_be16(&f[12], kEthertypeIpv6);
         return f;
       },
       Entry::frame, ParseError::ipv6_bad_version},
      {"IPv6 payload length past the buffer",
       [] {
         return changed(tcp_v6(), [](uint8_t* p) { store_be16(p + 4, load_be16(p + 4) + 1); });
       },
       Entry::ip, ParseError::ipv6_payload_length_beyond_buffer},
      {"hop-by-hop header longer than the packet",
       [] {
         const uint8_t hop_by_hop[8] = {kProtoUdp, 3, 0, 0, 0, 0, 0, 0};
         return with_ipv6_extensions(build_ip(ipv6_spec(), kProtoUdp, {}), 0, hop_by_hop);
       },
       Entry::ip, ParseError::ipv6_extension_truncated},
      {"fragment header cut at 4 bytes",
       [] {
         const uint8_t fragment[4] = {kProtoUdp, 0, 0, 0};
         return with_ipv6_extensions(build_ip(ipv6_spec(), kProtoUdp, {}), 44, fragment);
       },
       Entry::ip, ParseError::ipv6_extension_truncated},
      {"nine destination-options headers", [] { return destination_options_chain(9); }, Entry::ip,
       ParseError::ipv6_extension_chain_too_long},
      {"two fragment headers",
       [] {
         const uint8_t fragments[16] = {44, 0, 0, 0, 0, 0, 0, 1, kProtoUdp, 0, 0, 0, 0, 0, 0, 1};
         return with_ipv6_extensions(udp_v6(), 44, fragments);
       },
       Entry::ip, ParseError::ipv6_fragment_header_repeated},
      {"hop-by-hop after destination options",
       [] {
         const uint8_t chain[16] = {0, 0, 0, 0, 0, 0, 0, 0, kProtoUdp, 0, 0, 0, 0, 0, 0, 0};
         return with_ipv6_extensions(udp_v6(), 60, chain);
       },
       Entry::ip, ParseError::ipv6_hop_by_hop_not_first},
      {"TCP header of 19 bytes",
       [] {
         auto p = cut(tcp_v4(), 39);
         store_be16(&p[2], 39);
         return p;
       },
       Entry::ip, ParseError::tcp_truncated},
      {"TCP data offset 4", [] { return changed(tcp_v4(), [](uint8_t* p) { p[32] = 0x40; }); },
       Entry::ip, ParseError::tcp_bad_data_offset},
      {"TCP data offset past the segment",
       [] { return changed(tcp_v4(), [](uint8_t* p) { p[32] = 0xf0; }); }, Entry::ip,
       ParseError::tcp_bad_data_offset},
      {"TCP option kind without its length byte",
       [] {
         return tcp_v4_options({1, 1, 1, 2});
       },
       Entry::ip, ParseError::tcp_option_truncated},
      {"TCP option running past the header",
       [] {
         return tcp_v4_options({2, 8, 5, 0});
       },
       Entry::ip, ParseError::tcp_option_truncated},
      {"TCP MSS option of length 3",
       [] {
         return tcp_v4_options({2, 3, 5, 0});
       },
       Entry::ip, ParseError::tcp_option_bad_length},
      {"TCP option of length 1",
       [] {
         return tcp_v4_options({30, 1, 0, 0});
       },
       Entry::ip, ParseError::tcp_option_bad_length},
      {"TCP window scale of length 4",
       [] {
         return tcp_v4_options({3, 4, 7, 0});
       },
       Entry::ip, ParseError::tcp_option_bad_length},
      {"UDP header of 7 bytes",
       [] {
         auto p = cut(udp_v4(), 27);
         store_be16(&p[2], 27);
         return p;
       },
       Entry::ip, ParseError::udp_truncated},
      {"UDP length 7", [] { return changed(udp_v4(), [](uint8_t* p) { store_be16(p + 24, 7); }); },
       Entry::ip, ParseError::udp_bad_length},
      {"UDP length past the IP payload",
       [] { return changed(udp_v4(), [](uint8_t* p) { store_be16(p + 24, 13); }); }, Entry::ip,
       ParseError::udp_bad_length},
      {"ICMP header of 7 bytes",
       [] {
         auto p = cut(echo_v4(), 27);
         store_be16(&p[2], 27);
         return p;
       },
       Entry::ip, ParseError::icmp_truncated},
      {"ICMPv6 header of 7 bytes",
       [] {
         auto p = cut(echo_v6(), 47);
         store_be16(&p[4], 7);
         return p;
       },
       Entry::ip, ParseError::icmpv6_truncated},
      {"neighbor solicitation of 20 bytes", [] { return neighbor_solicitation(20, 0); }, Entry::ip,
       ParseError::icmpv6_nd_truncated},
      {"ND option of length 0", [] { return neighbor_solicitation(32, 0); }, Entry::ip,
       ParseError::icmpv6_nd_option_bad_length},
      {"ND option past the message", [] { return neighbor_solicitation(32, 2); }, Entry::ip,
       ParseError::icmpv6_nd_option_bad_length},
      {"Geneve header of 4 bytes",
       [] {
         const uint8_t four[4] = {0, 0, 0x08, 0};
         return build_udp(ipv4_spec(), UdpSpec{.src_port = 1, .dst_port = kGenevePort}, four);
       },
       Entry::ip, ParseError::geneve_truncated},
      {"Geneve version 1",
       [] { return changed(geneve_tcp(), [](uint8_t* p) { p[kGeneveAt] |= 0x40; }); }, Entry::ip,
       ParseError::geneve_bad_version},
      {"Geneve options length past the datagram",
       [] {
         return changed(cut(geneve_tcp(), 60), [](uint8_t* p) {
           store_be16(p + 2, 60);
           store_be16(p + 24, 40);
           p[kGeneveAt] = 0x3f;
         });
       },
       Entry::ip, ParseError::geneve_options_beyond_packet},
      {"Geneve option running past the options",
       [] { return changed(geneve_tcp(), [](uint8_t* p) { p[kOptionAt + 3] = 4; }); }, Entry::ip,
       ParseError::geneve_option_bad_length},
      {"VPC option with 8 data bytes",
       [] { return changed(geneve_tcp(), [](uint8_t* p) { p[kOptionAt + 3] = 2; }); }, Entry::ip,
       ParseError::geneve_vpc_option_bad_length},
      {"Geneve carrying Ethernet (0x6558)",
       [] {
         return changed(geneve_tcp(), [](uint8_t* p) { store_be16(p + kGeneveAt + 2, 0x6558); });
       },
       Entry::ip, ParseError::geneve_unsupported_protocol},
      {"unknown critical Geneve option",
       [] {
         return changed(geneve_tcp(), [](uint8_t* p) {
           store_be16(p + kOptionAt, 0x0102);
           p[kOptionAt + 2] = 0x81;
         });
       },
       Entry::ip, ParseError::geneve_critical_option_unknown},
      {"Geneve inner TCP data offset 4",
       [] { return changed(geneve_tcp(), [](uint8_t* p) { p[kInnerAt + 32] = 0x40; }); }, Entry::ip,
       ParseError::inner_packet_malformed, ParseError::tcp_bad_data_offset},
      {"Geneve inner IPv4 with IHL 3",
       [] { return changed(geneve_tcp(), [](uint8_t* p) { p[kInnerAt] = 0x43; }); }, Entry::ip,
       ParseError::inner_packet_malformed, ParseError::ipv4_bad_ihl},
      {"Geneve inner IPv4 longer than the datagram",
       [] {
         return changed(geneve_tcp(), [](uint8_t* p) {
           store_be16(p + kInnerAt + 2, load_be16(p + kInnerAt + 2) + 4);
         });
       },
       Entry::ip, ParseError::inner_packet_malformed, ParseError::ipv4_total_length_beyond_buffer},
  };
  return cases;
}

class MalformedPacket : public testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedPacket, IsRejectedWithItsName) {
  const MalformedCase& c = GetParam();
  const std::vector<uint8_t> packet = c.packet();
  const PacketMeta meta = c.entry == Entry::frame ? parse_frame(packet) : parse_ip(packet);
  EXPECT_EQ(to_string(meta.error), to_string(c.expected)) << c.description;
  EXPECT_EQ(to_string(meta.geneve.inner_error), to_string(c.expected_inner)) << c.description;
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedPacket, testing::ValuesIn(malformed_cases()),
                         [](const testing::TestParamInfo<MalformedCase>& info) {
                           return "case_" + std::to_string(info.index);
                         });

TEST(MalformedTable, CoversEveryParseErrorButNone) {
  std::set<ParseError> covered;
  for (const MalformedCase& c : malformed_cases()) {
    covered.insert(c.expected);
    covered.insert(c.expected_inner);
  }
  for (size_t i = 1; i < kParseErrorCount; ++i) {
    EXPECT_TRUE(covered.count(ParseError(i))) << to_string(ParseError(i));
  }
  EXPECT_GE(malformed_cases().size(), 30u);
}

TEST(ParseErrorName, IsTheSnakeCaseEnumerator) {
  EXPECT_EQ(to_string(ParseError::none), "none");
  EXPECT_EQ(to_string(ParseError::ipv6_fragment_header_repeated), "ipv6_fragment_header_repeated");
  EXPECT_EQ(to_string(ParseError::ipv6_hop_by_hop_not_first), "ipv6_hop_by_hop_not_first");
  EXPECT_EQ(to_string(ParseError::count_), "unknown");
  std::set<std::string_view> names;
  for (size_t i = 0; i < kParseErrorCount; ++i) names.insert(to_string(ParseError(i)));
  EXPECT_EQ(names.size(), kParseErrorCount);
}

TEST(ParseEntryPoints, FrameAndIpAgreeOnTheIpLayers) {
  const auto packet = tcp_v4();
  const auto with_frame = frame(packet);
  const PacketMeta from_ip = parse_ip(packet);
  const PacketMeta from_frame = parse_frame(with_frame);
  ASSERT_TRUE(from_ip.ok());
  ASSERT_TRUE(from_frame.ok());
  EXPECT_EQ(from_ip.tuple, from_frame.tuple);
  EXPECT_EQ(from_frame.l3_offset, 14);
  EXPECT_EQ(from_frame.l4_offset, from_ip.l4_offset + 14);
  EXPECT_FALSE(from_ip.has_ethernet);
  EXPECT_TRUE(from_frame.has_ethernet);
}

TEST(ParseEntryPoints, FieldsAfterTheErrorStayZero) {
  auto packet = tcp_v4();
  packet[32] = 0x40;  // data offset 4
  const PacketMeta meta = parse_ip(packet);
  EXPECT_EQ(meta.error, ParseError::tcp_bad_data_offset);
  EXPECT_EQ(meta.ip_version, 4);  // the IPv4 layer before it stays valid
  EXPECT_EQ(meta.l4_offset, 0);
  EXPECT_EQ(meta.tuple.src_port, 0);
  EXPECT_EQ(meta.tcp.flags, 0);
}

TEST(ParseEntryPoints, MetaStaysSmallEnoughForBatches) {
  EXPECT_LT(sizeof(PacketMeta), 256u);
}

}  // namespace
}  // namespace openvpc::packet
