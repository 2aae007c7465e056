// underlay_segments_test.cc — an encapsulated TCP super-frame cut to fit the underlay MTU:
// every segment within the MTU, its outer and inner headers right (checked by the io tests'
// independent checksum code), the payload intact and in order, the GSO announcement gone.
#include "router/underlay_segments.h"

#include <gtest/gtest.h>

#include <vector>

#include "../io/test_packets.h"
#include "packet/geneve.h"

namespace openvpc::router {
namespace {

using namespace openvpc::io::testing;

constexpr uint32_t kSeq = 0xfffff000;  // wraps while cutting
constexpr size_t kEncap = packet::kGeneveEncapSize;
constexpr size_t kOptionFlagsAt = 20 + 8 + 8 + 4 + 8;

// Outer IPv4/UDP/Geneve/VPC option + inner IPv4 + TCP (12 bytes of options) + payload, the
// option announcing a TCPv4 super-frame of gso_size segments (0: a plain packet).
std::vector<uint8_t> encapsulated(uint32_t payload_size, uint16_t gso_size) {
  std::vector<uint8_t> inner;
  const uint32_t tcp_size = 32 + payload_size;
  append_ipv4(inner, 0x0a000001, 0x0a000002, 6, uint16_t(tcp_size), 0x0100);
  const size_t l4 = inner.size();
  inner.resize(l4 + 32, 0);
  put16(inner, l4, 40000);
  put16(inner, l4 + 2, 80);
  put32(inner, l4 + 4, kSeq);
  inner[l4 + 12] = 8 << 4;  // data offset: 32 bytes
  inner[l4 + 13] = 0x18;    // PSH ACK
  put16(inner, l4 + 14, 502);
  for (size_t i = 20; i < 32; ++i) inner[l4 + i] = 0x01;
  for (uint32_t i = 0; i < payload_size; ++i) inner.push_back(uint8_t(i * 13 + 5));
  std::vector<uint8_t> outer(kEncap + inner.size());
  packet::GeneveEncap encap;
  encap.outer_src_v4 = 0x7f000502;
  encap.outer_dst_v4 = 0x7f000503;
  encap.src_port = 50000;
  encap.vni = 4242;
  encap.source_eni = 101;
  encap.destination_eni = 201;
  encap.vpc_flags = gso_size != 0 ? packet::kVpcFlagGsoTcpv4 : 0;
  encap.gso_size = gso_size;
  packet::write_geneve_encap(outer.data(), encap, uint16_t(inner.size()));
  std::copy(inner.begin(), inner.end(), outer.begin() + kEncap);
  return outer;
}

struct Buffers {
  explicit Buffers(size_t count, size_t size = 16384) : storage(count * size), frames(count) {
    for (size_t i = 0; i < count; ++i)
      frames[i] = {storage.data() + i * size, 0, uint32_t(size), {}};
  }
  std::vector<uint8_t> storage;
  std::vector<io::Frame> frames;
};

// Checks the segments against the super-frame; returns the largest segment payload.
uint32_t check_segments(const std::vector<uint8_t>& super, std::span<const io::Frame> segments,
                        uint32_t mtu) {
  const uint32_t payload_total = uint32_t(super.size() - kEncap - 20 - 32);
  uint32_t offset = 0, largest = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const uint8_t* o = segments[i].data;
    const uint32_t size = segments[i].size;
    EXPECT_LE(size, mtu) << i;
    EXPECT_EQ(get16(o + 2), size) << i;  // outer total length
    EXPECT_TRUE(ipv4_header_checksum_ok(o)) << i;
    EXPECT_EQ(get16(o + 24), size - 20) << i;  // UDP length
    EXPECT_EQ(get16(o + kOptionFlagsAt) & packet::kVpcFlagsGso, 0) << i;
    EXPECT_EQ(get16(o + kOptionFlagsAt + 2), 0) << i;
    EXPECT_EQ(std::vector<uint8_t>(o + 20 + 8, o + 20 + 8 + 8),
              std::vector<uint8_t>(super.begin() + 28, super.begin() + 36))
        << i;  // Geneve
    const uint8_t* ip = o + kEncap;
    const uint8_t* tcp = ip + 20;
    const uint32_t tcp_size = size - uint32_t(kEncap) - 20;
    EXPECT_EQ(get16(ip + 2), size - kEncap) << i;
    EXPECT_TRUE(ipv4_header_checksum_ok(ip)) << i;
    EXPECT_TRUE(l4_checksum_ok(ip, 6, tcp, tcp_size)) << i;
    EXPECT_EQ(get32(tcp + 4), uint32_t(kSeq + offset)) << i;
    const bool last = i + 1 == segments.size();
    EXPECT_EQ(tcp[13] & 0x08, last ? 0x08 : 0) << i;  // PSH on the last only
    const uint32_t payload = tcp_size - 32;
    EXPECT_TRUE(std::equal(tcp + 32, tcp + 32 + payload, super.begin() + kEncap + 52 + offset))
        << i;
    offset += payload;
    largest = std::max(largest, payload);
  }
  EXPECT_EQ(offset, payload_total);
  return largest;
}

TEST(UnderlaySegments, ASuperFrameIsCutToFitTheUnderlayMtu) {
  const auto super = encapsulated(20000, 8949);  // an instance MSS at MTU 9001
  Buffers out(64);
  const io::SegmentResult cut = cut_to_mtu(super, 1500, out.frames);
  ASSERT_EQ(cut.error, io::OffloadError::none) << io::to_string(cut.error);
  // 1500 - 52 (encapsulation) - 20 (IPv4) - 32 (TCP) = 1396 payload bytes per segment.
  EXPECT_EQ(cut.count, (20000u + 1395) / 1396);
  EXPECT_EQ(check_segments(super, std::span(out.frames).first(cut.count), 1500), 1396u);
}

TEST(UnderlaySegments, TheSendersMssIsKeptWhenItFits) {
  const auto super = encapsulated(10000, 1000);
  Buffers out(64);
  const io::SegmentResult cut = cut_to_mtu(super, 9001, out.frames);
  ASSERT_EQ(cut.error, io::OffloadError::none);
  EXPECT_EQ(cut.count, 10u);
  EXPECT_EQ(check_segments(super, std::span(out.frames).first(cut.count), 9001), 1000u);
}

TEST(UnderlaySegments, APlainPacketIsNotCut) {
  const auto plain = encapsulated(3000, 0);
  Buffers out(8);
  const io::SegmentResult cut = cut_to_mtu(plain, 1500, out.frames);
  EXPECT_EQ(cut.error, io::OffloadError::none);
  EXPECT_EQ(cut.count, 0u);
  EXPECT_EQ(underlay_gso(plain.data(), plain.size()).gso_type, io::kVirtioGsoNone);
}

TEST(UnderlaySegments, ErrorsAreNamed) {
  const auto super = encapsulated(20000, 8949);
  Buffers few(4);
  EXPECT_EQ(cut_to_mtu(super, 1500, few.frames).error, io::OffloadError::too_many_segments);
  Buffers out(64);
  EXPECT_EQ(cut_to_mtu(super, 100, out.frames).error, io::OffloadError::segment_too_big);
  const std::vector<uint8_t> truncated(super.begin(), super.begin() + kEncap + 30);
  EXPECT_EQ(cut_to_mtu(truncated, 1500, out.frames).error, io::OffloadError::tcp_header_truncated);
}

TEST(UnderlaySegments, ForAHandOffTheAnnouncedSizeIsKept) {
  const auto super = encapsulated(5000, 1200);
  Buffers out(16);
  const io::SegmentResult cut =
      cut_encapsulated(super, underlay_gso(super.data(), super.size()), out.frames);
  ASSERT_EQ(cut.error, io::OffloadError::none);
  EXPECT_EQ(cut.count, 5u);
  EXPECT_EQ(check_segments(super, std::span(out.frames).first(cut.count), 65535), 1200u);
}

}  // namespace
}  // namespace openvpc::router
