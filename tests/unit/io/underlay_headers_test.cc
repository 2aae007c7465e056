#include "io/underlay_headers.h"

#include <gtest/gtest.h>

#include "packet/builder.h"
#include "packet/checksum.h"

namespace openvpc::io {
namespace {

TEST(UnderlayHeaders, RebuildsWhatTheSenderWrote) {
  packet::GeneveEncap encap;
  encap.outer_src_v4 = 0x7f000003;
  encap.outer_dst_v4 = 0x7f000002;
  encap.src_port = 51234;
  encap.vni = 4242;
  encap.source_eni = 201;
  encap.destination_eni = 101;
  const auto inner = packet::build_udp(
      {packet::IpAddress::v4(0x0a000207), packet::IpAddress::v4(0x0a000105)}, {53, 40000});
  const auto sent = packet::build_geneve(encap, inner);
  // What a UDP socket hands over: the payload from the Geneve header on.
  ASSERT_GT(sent.size(), kUnderlayHeadersSize);
  std::vector<uint8_t> buffer(kUnderlayHeadersSize, 0);
  buffer.insert(buffer.end(), sent.begin() + kUnderlayHeadersSize, sent.end());
  ASSERT_TRUE(write_underlay_headers(buffer.data(), encap.outer_src_v4, encap.outer_dst_v4,
                                     encap.src_port, packet::kGenevePort,
                                     sent.size() - kUnderlayHeadersSize));
  const auto meta = packet::parse_ip(buffer);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta.geneve.vni, 4242u);
  EXPECT_EQ(meta.geneve.outer_src, packet::IpAddress::v4(encap.outer_src_v4));
  EXPECT_EQ(meta.geneve.outer_dst, packet::IpAddress::v4(encap.outer_dst_v4));
  EXPECT_EQ(meta.geneve.outer_src_port, 51234);
  EXPECT_EQ(meta.geneve.source_eni, 201u);
  EXPECT_EQ(meta.tuple.dst_port, 40000);
  EXPECT_EQ(packet::ipv4_header_checksum(buffer.data(), 20), 0) << "valid header checksum";
}

TEST(UnderlayHeaders, RefusesMoreThanAnIpv4Packet) {
  uint8_t out[28];
  EXPECT_FALSE(write_underlay_headers(out, 1, 2, 3, 6081, 65535 - 27));
  EXPECT_TRUE(write_underlay_headers(out, 1, 2, 3, 6081, 65535 - 28));
}

}  // namespace
}  // namespace openvpc::io
