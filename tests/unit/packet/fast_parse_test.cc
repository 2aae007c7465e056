// fast_parse_test.cc — fast_parse_frame() against parse_frame(): whenever the shortcut takes
// a frame, every PacketMeta field must equal the full parser's; frames of other shapes must
// be left to the full parser. A table of frames, then random mutations of common frames.
#include "packet/fast_parse.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "packet/builder.h"
#include "packet/bytes.h"

namespace openvpc::packet {
namespace {

const MacAddress kSrcMac{{2, 0, 0, 0, 0, 5}};
const MacAddress kDstMac{{2, 0, 0, 0, 0, 1}};

IpSpec ip_spec() {
  return {IpAddress::v4(0x0a000005), IpAddress::v4(0x0a010203), 64, 0x10, true, 0x1234, 0, false};
}

std::vector<uint8_t> tcp_frame(TcpSpec tcp, size_t payload_size = 10, IpSpec ip = ip_spec()) {
  const std::vector<uint8_t> payload(payload_size, 0xab);
  return with_ethernet({kSrcMac, kDstMac, std::nullopt}, build_tcp(ip, tcp, payload));
}

std::vector<uint8_t> udp_frame(uint16_t dst_port, size_t payload_size = 12) {
  const std::vector<uint8_t> payload(payload_size, 0xcd);
  return with_ethernet({kSrcMac, kDstMac, std::nullopt},
                       build_udp(ip_spec(), {4000, dst_port}, payload));
}

// Every field of PacketMeta, compared one by one (padding bytes are not compared).
void expect_same(const PacketMeta& a, const PacketMeta& b, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.has_ethernet, b.has_ethernet);
  EXPECT_EQ(a.has_vlan, b.has_vlan);
  EXPECT_EQ(a.vlan_tci, b.vlan_tci);
  EXPECT_EQ(a.ethertype, b.ethertype);
  EXPECT_EQ(a.arp_operation, b.arp_operation);
  EXPECT_EQ(a.eth_src.bytes, b.eth_src.bytes);
  EXPECT_EQ(a.eth_dst.bytes, b.eth_dst.bytes);
  EXPECT_EQ(a.l3_offset, b.l3_offset);
  EXPECT_EQ(a.l3_size, b.l3_size);
  EXPECT_EQ(a.ip_version, b.ip_version);
  EXPECT_EQ(a.ttl, b.ttl);
  EXPECT_EQ(a.tos, b.tos);
  EXPECT_EQ(a.ipv4_ihl, b.ipv4_ihl);
  EXPECT_EQ(a.ipv6_extension_count, b.ipv6_extension_count);
  EXPECT_EQ(a.fragment.is_fragment, b.fragment.is_fragment);
  EXPECT_EQ(a.fragment.more_fragments, b.fragment.more_fragments);
  EXPECT_EQ(a.fragment.dont_fragment, b.fragment.dont_fragment);
  EXPECT_EQ(a.fragment.offset, b.fragment.offset);
  EXPECT_EQ(a.fragment.id, b.fragment.id);
  EXPECT_EQ(a.l4_offset, b.l4_offset);
  EXPECT_EQ(a.payload_offset, b.payload_offset);
  EXPECT_TRUE(a.tuple == b.tuple);
  EXPECT_EQ(a.tcp.seq, b.tcp.seq);
  EXPECT_EQ(a.tcp.ack, b.tcp.ack);
  EXPECT_EQ(a.tcp.window, b.tcp.window);
  EXPECT_EQ(a.tcp.mss, b.tcp.mss);
  EXPECT_EQ(a.tcp.flags, b.tcp.flags);
  EXPECT_EQ(a.tcp.window_scale, b.tcp.window_scale);
  EXPECT_EQ(a.tcp.sack_permitted, b.tcp.sack_permitted);
  EXPECT_EQ(a.tcp.has_timestamps, b.tcp.has_timestamps);
  EXPECT_EQ(a.tcp.ts_value, b.tcp.ts_value);
  EXPECT_EQ(a.tcp.ts_echo, b.tcp.ts_echo);
  EXPECT_EQ(a.tcp.payload_size, b.tcp.payload_size);
  EXPECT_EQ(a.icmp.type, b.icmp.type);
  EXPECT_EQ(a.icmp.code, b.icmp.code);
  EXPECT_EQ(a.icmp.id, b.icmp.id);
  EXPECT_EQ(a.icmp.sequence, b.icmp.sequence);
  EXPECT_EQ(a.icmp.rest, b.icmp.rest);
  EXPECT_EQ(a.icmp.is_error, b.icmp.is_error);
  EXPECT_EQ(a.icmp_inner.present, b.icmp_inner.present);
  EXPECT_EQ(a.icmp_inner.l3_offset, b.icmp_inner.l3_offset);
  EXPECT_EQ(a.icmp_inner.l4_offset, b.icmp_inner.l4_offset);
  EXPECT_TRUE(a.icmp_inner.tuple == b.icmp_inner.tuple);
  EXPECT_EQ(a.icmp_inner.tcp_seq, b.icmp_inner.tcp_seq);
  const GeneveInfo& g = a.geneve;
  const GeneveInfo& h = b.geneve;
  EXPECT_EQ(g.present, h.present);
  EXPECT_EQ(g.oam, h.oam);
  EXPECT_EQ(g.critical, h.critical);
  EXPECT_EQ(g.vni, h.vni);
  EXPECT_EQ(g.protocol_type, h.protocol_type);
  EXPECT_EQ(g.header_offset, h.header_offset);
  EXPECT_EQ(g.options_size, h.options_size);
  EXPECT_EQ(g.inner_offset, h.inner_offset);
  EXPECT_EQ(g.has_vpc_option, h.has_vpc_option);
  EXPECT_EQ(g.source_eni, h.source_eni);
  EXPECT_EQ(g.destination_eni, h.destination_eni);
  EXPECT_EQ(g.vpc_flags, h.vpc_flags);
  EXPECT_TRUE(g.outer_src == h.outer_src);
  EXPECT_TRUE(g.outer_dst == h.outer_dst);
  EXPECT_EQ(g.outer_src_port, h.outer_src_port);
  EXPECT_EQ(g.outer_dst_port, h.outer_dst_port);
  EXPECT_EQ(g.outer_ttl, h.outer_ttl);
  EXPECT_EQ(g.inner_error, h.inner_error);
}

// Runs both parsers; returns whether the shortcut took the frame (and then they must agree).
bool check(const std::vector<uint8_t>& frame, const std::string& what) {
  PacketMeta fast;
  std::memset(static_cast<void*>(&fast), 0x5a, sizeof fast);  // nothing may be left unwritten
  if (!fast_parse_frame(frame, fast)) return false;
  expect_same(fast, parse_frame(frame), what);
  return true;
}

struct Case {
  const char* description;
  std::function<std::vector<uint8_t>()> frame;
  bool fast;  // whether the shortcut should take it
};

TEST(FastParse, AgreesWithTheFullParserOrDeclines) {
  const auto patched = [](std::vector<uint8_t> f, size_t at, uint8_t value) {
    f[at] = value;
    return f;
  };
  const std::vector<Case> cases = {
      {"tcp ack with payload",
       [] {
         return tcp_frame({1, 2, 100, 200, kTcpAck, 512});
       },
       true},
      {"tcp no payload",
       [] {
         return tcp_frame({1, 2, 7, 9, kTcpAck | kTcpPsh, 1}, 0);
       },
       true},
      {"tcp rst",
       [] {
         return tcp_frame({80, 443, 1, 0, kTcpRst, 0});
       },
       true},
      {"tcp syn without options",
       [] {
         return tcp_frame({5, 6, 1, 0, kTcpSyn, 100});
       },
       true},
      {"trailing bytes after ip",
       [] {
         auto f = tcp_frame({1, 2, 3, 4, kTcpAck, 5});
         f.resize(f.size() + 9, 0xee);
         return f;
       },
       true},
      {"udp", [] { return udp_frame(53); }, true},
      {"udp no payload", [] { return udp_frame(9999, 0); }, true},
      // A frame is never Geneve: UDP to 6081 from an instance is plain UDP (issue 16).
      {"udp to the geneve port", [] { return udp_frame(kGenevePort); }, true},
      {"tcp with mss option",
       [] {
         return tcp_frame({1, 2, 3, 4, kTcpSyn, 9, std::optional<uint16_t>(1460)});
       },
       false},
      {"vlan tagged",
       [] {
         return with_ethernet({kSrcMac, kDstMac, uint16_t(5)},
                              build_tcp(ip_spec(), {1, 2, 3, 4, kTcpAck, 5}, {}));
       },
       false},
      {"first fragment",
       [] {
         IpSpec ip = ip_spec();
         ip.more_fragments = true;
         return tcp_frame({1, 2, 3, 4, kTcpAck, 5}, 10, ip);
       },
       false},
      {"ip options",
       [&] {
         return patched(tcp_frame({1, 2, 3, 4, kTcpAck, 5}), 14, 0x46);
       },
       false},
      {"icmp",
       [&] {
         return patched(tcp_frame({1, 2, 3, 4, kTcpAck, 5}), 23, kProtoIcmp);
       },
       false},
      {"total length beyond buffer",
       [&] {
         return patched(tcp_frame({1, 2, 3, 4, kTcpAck, 5}), 16, 0x7f);
       },
       false},
      {"truncated", [] { return std::vector<uint8_t>(30, 0); }, false},
      {"ipv6 ethertype",
       [&] {
         return patched(tcp_frame({1, 2, 3, 4, kTcpAck, 5}), 12, 0x86);
       },
       false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(check(c.frame(), c.description), c.fast) << c.description;
  }
}

// Random frames near the accepted shape: a random common frame with a few random bytes
// changed. Whatever the shortcut takes must parse identically.
TEST(FastParse, AgreesWithTheFullParserOnRandomFrames) {
  std::mt19937 random(20240601);
  size_t taken = 0;
  const size_t rounds = 20000;
  // fast_parse_frame_again() into one record that keeps the last frame the shortcut took.
  PacketMeta again;
  bool again_holds_fast_result = false;
  for (size_t round = 0; round < rounds; ++round) {
    TcpSpec tcp{uint16_t(random()), uint16_t(random()), uint32_t(random()),
                uint32_t(random()), uint8_t(random()),  uint16_t(random())};
    auto frame = random() % 4 == 0 ? udp_frame(uint16_t(random()), random() % 40)
                                   : tcp_frame(tcp, random() % 64);
    const size_t changes = random() % 3;
    for (size_t i = 0; i < changes; ++i) {
      frame[random() % std::min<size_t>(frame.size(), 60)] = uint8_t(random());
    }
    if (random() % 8 == 0) frame.resize(random() % (frame.size() + 1));
    if (check(frame, "round " + std::to_string(round))) {
      ++taken;
      if (again_holds_fast_result) {
        ASSERT_TRUE(fast_parse_frame_again(frame, again));
        expect_same(again, parse_frame(frame), "again, round " + std::to_string(round));
      } else {
        again_holds_fast_result = fast_parse_frame(frame, again);
      }
    } else if (again_holds_fast_result) {
      // A frame it declines leaves the record unspecified: start again from a full write.
      again_holds_fast_result = false;
      std::memset(static_cast<void*>(&again), 0x5a, sizeof again);
    }
    if (HasFailure()) break;
  }
  EXPECT_GT(taken, rounds / 3);  // the comparison ran on many frames
}

}  // namespace
}  // namespace openvpc::packet
