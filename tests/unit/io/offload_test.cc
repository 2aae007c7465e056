// offload_test.cc — checksum completion and TSO segmentation, checked segment by segment
// against a full recomputation (test_packets.h), as tables of cases.
#include "io/offload.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "test_packets.h"

namespace openvpc::io {
namespace {

using namespace openvpc::io::testing;

constexpr Mac kDst{{0x02, 0, 0, 0, 0, 0x02}};
constexpr Mac kSrc{{0x02, 0, 0, 0, 0, 0x01}};
constexpr uint32_t kSeq = 0xfffff000;  // wraps during the larger cases
constexpr uint16_t kIpId = 0xfff0;     // wraps too

struct Packet {
  std::vector<uint8_t> bytes;
  VirtioNetHeader vnet;
  size_t l3 = 14;
  size_t l4 = 0;
  size_t payload = 0;  // offset of the first payload byte
};

// Ethernet + IPv4/IPv6 + TCP (or UDP) + payload, L4 checksum seeded with the pseudo-header
// sum the way Linux leaves it for CHECKSUM_PARTIAL.
Packet build(int ip_version, uint8_t protocol, uint32_t payload_size, uint8_t tcp_flags = 0x18,
             uint8_t tcp_option_words = 0) {
  Packet p;
  const uint32_t l4_header = protocol == 6 ? 20u + tcp_option_words * 4u : 8u;
  const uint32_t l4_size = l4_header + payload_size;
  append_ethernet(p.bytes, kDst, kSrc, ip_version == 4 ? 0x0800 : 0x86dd);
  if (ip_version == 4) {
    append_ipv4(p.bytes, 0x0a000001, 0x0a000002, protocol, uint16_t(l4_size), kIpId);
  } else {
    append_ipv6(p.bytes, 1, 2, protocol, uint16_t(l4_size));
  }
  p.l4 = p.bytes.size();
  p.bytes.resize(p.l4 + l4_header, 0);
  put16(p.bytes, p.l4, 40000);
  put16(p.bytes, p.l4 + 2, 80);
  if (protocol == 6) {
    put32(p.bytes, p.l4 + 4, kSeq);
    put32(p.bytes, p.l4 + 8, 0x01020304);
    p.bytes[p.l4 + 12] = uint8_t((5 + tcp_option_words) << 4);
    p.bytes[p.l4 + 13] = tcp_flags;
    put16(p.bytes, p.l4 + 14, 502);
    for (uint32_t i = 20; i < l4_header; ++i) p.bytes[p.l4 + i] = 0x01;  // NOP options
  } else {
    put16(p.bytes, p.l4 + 4, uint16_t(l4_size));
  }
  p.payload = p.bytes.size();
  for (uint32_t i = 0; i < payload_size; ++i) p.bytes.push_back(uint8_t(i * 7 + 3));
  const size_t field = p.l4 + (protocol == 6 ? 16 : 6);
  put16(p.bytes, field, ones_sum(nullptr, 0, pseudo_sum(&p.bytes[p.l3], protocol, l4_size)));
  p.vnet.flags = kVirtioNeedsChecksum;
  p.vnet.csum_start = uint16_t(p.l4);
  p.vnet.csum_offset = protocol == 6 ? 16 : 6;
  p.vnet.hdr_len = uint16_t(p.payload);
  return p;
}

struct ChecksumCase {
  const char* description;
  int ip_version;
  uint8_t protocol;
  uint32_t payload_size;
};

TEST(CompleteChecksum, ProducesTheFullyRecomputedChecksum) {
  const ChecksumCase cases[] = {
      {"TCP over IPv4, even payload", 4, 6, 100},
      {"TCP over IPv4, odd payload", 4, 6, 101},
      {"TCP over IPv4, no payload", 4, 6, 0},
      {"UDP over IPv4", 4, 17, 33},
      {"TCP over IPv6", 6, 6, 1000},
      {"UDP over IPv6", 6, 17, 1},
      {"TCP over IPv4, jumbo", 4, 6, 8950},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.description);
    Packet p = build(c.ip_version, c.protocol, c.payload_size);
    ASSERT_EQ(complete_checksum(p.bytes, p.vnet), OffloadError::none);
    EXPECT_TRUE(l4_checksum_ok(&p.bytes[p.l3], c.protocol, &p.bytes[p.l4],
                               uint32_t(p.bytes.size() - p.l4)));
  }
}

TEST(CompleteChecksum, LeavesFramesWithoutTheFlagAlone) {
  Packet p = build(4, 6, 10);
  p.vnet.flags = 0;
  const auto before = p.bytes;
  EXPECT_EQ(complete_checksum(p.bytes, p.vnet), OffloadError::none);
  EXPECT_EQ(p.bytes, before);
}

TEST(CompleteChecksum, RejectsOffsetsBeyondTheFrame) {
  Packet p = build(4, 6, 0);
  p.vnet.csum_offset = uint16_t(p.bytes.size() - p.l4 - 1);
  EXPECT_EQ(complete_checksum(p.bytes, p.vnet), OffloadError::checksum_offsets_beyond_frame);
  EXPECT_EQ(to_string(OffloadError::checksum_offsets_beyond_frame),
            "checksum_offsets_beyond_frame");
}

struct TsoCase {
  const char* description;
  int ip_version;
  uint32_t payload_size;
  uint16_t mss;
  uint8_t tcp_flags;
  uint8_t tcp_option_words;
  uint32_t expected_count;
};

// Checks one segment against the super-frame it came from.
void check_segment(const Packet& super, const TsoCase& c, const Frame& out, uint32_t index,
                   uint32_t count) {
  SCOPED_TRACE(::testing::Message() << "segment " << index);
  const uint32_t header_size = uint32_t(super.payload);
  const uint32_t offset = index * c.mss;
  const uint32_t chunk = std::min<uint32_t>(c.mss, c.payload_size - offset);
  ASSERT_EQ(out.size, header_size + chunk);
  const uint8_t* ip = out.data + super.l3;
  const uint8_t* tcp = out.data + super.l4;
  EXPECT_EQ(0, memcmp(out.data, super.bytes.data(), 14)) << "Ethernet header";
  if (c.ip_version == 4) {
    EXPECT_EQ(get16(ip + 2), out.size - super.l3);
    EXPECT_EQ(get16(ip + 4), uint16_t(kIpId + index));
    EXPECT_TRUE(ipv4_header_checksum_ok(ip));
  } else {
    EXPECT_EQ(get16(ip + 4), out.size - super.l3 - 40);
  }
  EXPECT_EQ(get32(tcp + 4), kSeq + offset);
  EXPECT_EQ(get32(tcp + 8), 0x01020304u);
  uint8_t flags = c.tcp_flags;
  if (index + 1 != count) flags &= uint8_t(~0x09);  // FIN, PSH: last only
  if (index != 0) flags &= uint8_t(~0x80);          // CWR: first only
  EXPECT_EQ(tcp[13], flags);
  EXPECT_EQ(0, memcmp(tcp + 20, &super.bytes[super.l4 + 20], header_size - super.l4 - 20))
      << "TCP options";
  EXPECT_TRUE(l4_checksum_ok(ip, 6, tcp, out.size - uint32_t(super.l4)));
  EXPECT_EQ(0, memcmp(out.data + header_size, &super.bytes[super.payload + offset], chunk));
  EXPECT_EQ(out.vnet.flags, 0);
  EXPECT_EQ(out.vnet.gso_type, kVirtioGsoNone);
}

TEST(SegmentTcp, CutsSuperFramesIntoCheckedSegments) {
  const TsoCase cases[] = {
      {"IPv4, exact multiple of MSS", 4, 1448 * 4, 1448, 0x18, 0, 4},
      {"IPv4, short last segment, FIN+PSH kept on last", 4, 1448 * 3 + 100, 1448, 0x19, 0, 4},
      {"IPv4, timestamps option, CWR on first only", 4, 20000, 1448, 0x90, 3, 14},
      {"IPv4, 64 KiB super-frame, sequence wraps", 4, 65535 - 40, 1460, 0x10, 0, 45},
      {"IPv4, odd MSS", 4, 5001, 999, 0x18, 0, 6},
      {"IPv4, payload below MSS: one segment", 4, 100, 1448, 0x18, 0, 1},
      {"IPv4, no payload", 4, 0, 1448, 0x10, 0, 1},
      {"IPv6, short last segment", 6, 1428 * 5 + 1, 1428, 0x18, 0, 6},
      {"IPv6, jumbo MSS 8941", 6, 60000, 8941, 0x18, 3, 7},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.description);
    Packet p = build(c.ip_version, 6, c.payload_size, c.tcp_flags, c.tcp_option_words);
    p.vnet.gso_type = c.ip_version == 4 ? kVirtioGsoTcpv4 : kVirtioGsoTcpv6;
    p.vnet.gso_size = c.mss;
    std::vector<std::vector<uint8_t>> buffers(64, std::vector<uint8_t>(10000));
    std::vector<Frame> frames(buffers.size());
    for (size_t i = 0; i < buffers.size(); ++i) {
      frames[i].data = buffers[i].data();
      frames[i].capacity = uint32_t(buffers[i].size());
    }
    const auto before = p.bytes;
    const SegmentResult r = segment_tcp(p.bytes, p.vnet, 14, frames);
    ASSERT_EQ(r.error, OffloadError::none) << to_string(r.error);
    ASSERT_EQ(r.count, c.expected_count);
    EXPECT_EQ(p.bytes, before) << "input must not change";
    for (uint32_t i = 0; i < r.count; ++i) check_segment(p, c, frames[i], i, r.count);
  }
}

TEST(SegmentTcp, WithoutGsoCompletesTheChecksumOfOneSegment) {
  Packet p = build(4, 6, 3000);
  uint8_t buffer[4000];
  Frame out{buffer, 0, sizeof buffer, {}};
  const SegmentResult r = segment_tcp(p.bytes, p.vnet, 14, std::span(&out, 1));
  ASSERT_EQ(r.error, OffloadError::none);
  ASSERT_EQ(r.count, 1u);
  ASSERT_EQ(out.size, p.bytes.size());
  EXPECT_TRUE(l4_checksum_ok(buffer + 14, 6, buffer + p.l4, out.size - uint32_t(p.l4)));
}

TEST(SegmentTcp, WorksOnBareIpPackets) {
  Packet p = build(4, 6, 3000);
  p.vnet.gso_type = kVirtioGsoTcpv4;
  p.vnet.gso_size = 1000;
  std::vector<uint8_t> ip(p.bytes.begin() + 14, p.bytes.end());
  uint8_t buffers[3][1100];
  Frame out[3] = {{buffers[0], 0, 1100, {}}, {buffers[1], 0, 1100, {}}, {buffers[2], 0, 1100, {}}};
  const SegmentResult r = segment_tcp(ip, p.vnet, 0, out);
  ASSERT_EQ(r.error, OffloadError::none);
  ASSERT_EQ(r.count, 3u);
  for (const Frame& f : out) {
    EXPECT_TRUE(ipv4_header_checksum_ok(f.data));
    EXPECT_TRUE(l4_checksum_ok(f.data, 6, f.data + 20, f.size - 20));
  }
}

struct ErrorCase {
  const char* description;
  std::function<void(Packet&)> mutate;
  size_t output_count;
  OffloadError expected;
};

TEST(SegmentTcp, RejectsMalformedOrUnsupportedFrames) {
  const ErrorCase cases[] = {
      {"UFO", [](Packet& p) { p.vnet.gso_type = kVirtioGsoUdp; }, 8,
       OffloadError::unsupported_gso_type},
      {"gso_size zero", [](Packet& p) { p.vnet.gso_size = 0; }, 8, OffloadError::gso_size_zero},
      {"IPv6 gso type on IPv4", [](Packet& p) { p.vnet.gso_type = kVirtioGsoTcpv6; }, 8,
       OffloadError::ip_header_bad},
      {"not IP", [](Packet& p) { p.bytes[14] = 0x50; }, 8, OffloadError::not_ip},
      {"IHL below 5", [](Packet& p) { p.bytes[14] = 0x44; }, 8, OffloadError::ip_header_bad},
      {"UDP, not TCP", [](Packet& p) { p.bytes[14 + 9] = 17; }, 8, OffloadError::not_tcp},
      {"TCP data offset below 5", [](Packet& p) { p.bytes[p.l4 + 12] = 0x40; }, 8,
       OffloadError::tcp_header_truncated},
      {"cut inside the TCP header", [](Packet& p) { p.bytes.resize(p.l4 + 10); }, 8,
       OffloadError::tcp_header_truncated},
      {"cut inside the IP header", [](Packet& p) { p.bytes.resize(20); }, 8,
       OffloadError::ip_header_truncated},
      {"more segments than outputs", [](Packet&) {}, 2, OffloadError::too_many_segments},
      {"segment bigger than an output", [](Packet& p) { p.vnet.gso_size = 2000; }, 8,
       OffloadError::segment_buffer_too_small},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.description);
    Packet p = build(4, 6, 4000);
    p.vnet.gso_type = kVirtioGsoTcpv4;
    p.vnet.gso_size = 1000;
    c.mutate(p);
    std::vector<uint8_t> buffer(1200 * c.output_count);
    std::vector<Frame> out(c.output_count);
    for (size_t i = 0; i < out.size(); ++i) out[i] = {&buffer[i * 1200], 0, 1200, {}};
    EXPECT_EQ(segment_tcp(p.bytes, p.vnet, 14, out).error, c.expected);
  }
}

}  // namespace
}  // namespace openvpc::io
