// write_tcp_reset: the RST a NAT gateway sends an instance whose TCP packet has no flow,
// checked against RFC 793's reset generation and re-parsed with checksums verified.
#include "hyperplane/tcp_reset.h"

#include <gtest/gtest.h>

#include <vector>

#include "packet/builder.h"
#include "packet/checksum.h"

namespace openvpc::hyperplane {
namespace {

using packet::IpAddress;

const IpAddress kInside = IpAddress::v4(0x0a000a05);
const IpAddress kRemote = IpAddress::v4(0xcb00710a);

std::vector<uint8_t> tcp(uint8_t flags, uint32_t seq, uint32_t ack, size_t payload) {
  packet::TcpSpec spec;
  spec.src_port = 40000;
  spec.dst_port = 443;
  spec.flags = flags;
  spec.seq = seq;
  spec.ack = ack;
  spec.mss = 1460;  // an option, dropped in the reset
  const std::vector<uint8_t> data(payload, 0x61);
  return packet::build_tcp({.src = kInside, .dst = kRemote}, spec, data);
}

packet::PacketMeta reset_of(std::vector<uint8_t>& bytes) {
  const packet::PacketMeta meta = packet::parse_ip(bytes);
  const size_t size = write_tcp_reset(bytes, meta);
  EXPECT_EQ(size, 40u);
  bytes.resize(size);
  const packet::PacketMeta reset = packet::parse_ip(bytes);
  EXPECT_TRUE(reset.ok());
  EXPECT_TRUE(packet::ipv4_header_checksum_valid(bytes.data(), 20));
  EXPECT_EQ(packet::l4_checksum(reset.tuple.src, reset.tuple.dst, packet::kProtoTcp,
                                bytes.data() + 20, 20),
            0);
  EXPECT_EQ(reset.tuple.src, kRemote);
  EXPECT_EQ(reset.tuple.dst, kInside);
  EXPECT_EQ(reset.tuple.src_port, 443);
  EXPECT_EQ(reset.tuple.dst_port, 40000);
  return reset;
}

TEST(TcpReset, AnAckedSegmentGetsAResetAtItsAcknowledgment) {
  auto bytes = tcp(packet::kTcpAck | packet::kTcpPsh, 1000, 5000, 10);
  const packet::PacketMeta reset = reset_of(bytes);
  EXPECT_EQ(reset.tcp.flags, packet::kTcpRst);
  EXPECT_EQ(reset.tcp.seq, 5000u);
}

TEST(TcpReset, WithoutAnAckTheResetAcknowledgesTheSegment) {
  auto bytes = tcp(packet::kTcpFin, 1000, 0, 10);
  const packet::PacketMeta reset = reset_of(bytes);
  EXPECT_EQ(reset.tcp.flags, packet::kTcpRst | packet::kTcpAck);
  EXPECT_EQ(reset.tcp.seq, 0u);
  EXPECT_EQ(reset.tcp.ack, 1000u + 10u + 1u);  // the FIN counts one
}

TEST(TcpReset, NoResetForAResetOrForOtherProtocols) {
  auto rst = tcp(packet::kTcpRst, 1, 0, 0);
  EXPECT_EQ(write_tcp_reset(rst, packet::parse_ip(rst)), 0u);
  auto udp = packet::build_udp({.src = kInside, .dst = kRemote}, {5000, 53});
  EXPECT_EQ(write_tcp_reset(udp, packet::parse_ip(udp)), 0u);
}

}  // namespace
}  // namespace openvpc::hyperplane
