// parse_l4_test.cc — TCP (flags, options) and UDP, over both IP versions.
#include <gtest/gtest.h>

#include "packet/parser.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

struct TcpCase {
  const char* description;
  TcpSpec spec;
  size_t payload_size;
};

class TcpSegment : public testing::TestWithParam<TcpCase> {};

TEST_P(TcpSegment, FillsPortsFlagsAndOptions) {
  const TcpCase& c = GetParam();
  const std::vector<uint8_t> payload(c.payload_size, 0x61);
  for (const IpSpec& ip : {ipv4_spec(), ipv6_spec()}) {
    const auto packet = build_tcp(ip, c.spec, payload);
    const PacketMeta meta = parse_ip(packet);
    ASSERT_TRUE(meta.ok()) << c.description << ": " << to_string(meta.error);
    EXPECT_EQ(meta.tuple.src_port, c.spec.src_port);
    EXPECT_EQ(meta.tuple.dst_port, c.spec.dst_port);
    EXPECT_EQ(meta.tuple.protocol, kProtoTcp);
    EXPECT_EQ(meta.tcp.seq, c.spec.seq);
    EXPECT_EQ(meta.tcp.ack, c.spec.ack);
    EXPECT_EQ(meta.tcp.flags, c.spec.flags);
    EXPECT_EQ(meta.tcp.window, c.spec.window);
    EXPECT_EQ(meta.tcp.mss, c.spec.mss.value_or(0));
    EXPECT_EQ(meta.tcp.window_scale, c.spec.window_scale.value_or(0xff));
    EXPECT_EQ(meta.tcp.sack_permitted, c.spec.sack_permitted);
    EXPECT_EQ(meta.tcp.has_timestamps, c.spec.timestamps.has_value());
    if (c.spec.timestamps) {
      EXPECT_EQ(meta.tcp.ts_value, c.spec.timestamps->first);
      EXPECT_EQ(meta.tcp.ts_echo, c.spec.timestamps->second);
    }
    EXPECT_EQ(meta.tcp.payload_size, c.payload_size);
    EXPECT_EQ(meta.payload_offset, packet.size() - c.payload_size);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, TcpSegment,
    testing::Values(TcpCase{"bare SYN", TcpSpec{.src_port = 1, .dst_port = 2}, 0},
                    TcpCase{"SYN with all options", syn_with_options(), 0},
                    TcpCase{"SYN-ACK with MSS and window scale",
                            TcpSpec{.src_port = 443,
                                    .dst_port = 40000,
                                    .seq = 9,
                                    .ack = 1001,
                                    .flags = kTcpSyn | kTcpAck,
                                    .mss = 1460,
                                    .window_scale = 14},
                            0},
                    TcpCase{"data with timestamps",
                            TcpSpec{.src_port = 40000,
                                    .dst_port = 443,
                                    .seq = 0xfffffff0,
                                    .ack = 7,
                                    .flags = kTcpAck | kTcpPsh,
                                    .window = 501,
                                    .timestamps = std::pair<uint32_t, uint32_t>{0xdeadbeef,
                                                                                0x01020304}},
                            100},
                    TcpCase{"SACK permitted alone",
                            TcpSpec{.src_port = 5, .dst_port = 6, .sack_permitted = true}, 1},
                    TcpCase{"FIN RST URG ECE CWR",
                            TcpSpec{.src_port = 5,
                                    .dst_port = 6,
                                    .flags = kTcpFin | kTcpRst | kTcpUrg | kTcpEce | kTcpCwr},
                            0}));

TEST(TcpOptions, UnknownAndSackBlocksAreSkipped) {
  auto packet = build_tcp(ipv4_spec(), TcpSpec{.src_port = 1, .dst_port = 2, .mss = 1400});
  // Replace MSS with: SACK block option (kind 5, length 10) + NOP NOP, data offset 8.
  const uint8_t options[12] = {5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1};
  packet.erase(packet.begin() + 40, packet.begin() + 44);
  packet.insert(packet.begin() + 40, options, options + 12);
  packet[32] = 0x80;
  packet[3] = uint8_t(packet.size());
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << to_string(meta.error);
  EXPECT_EQ(meta.tcp.mss, 0);
  EXPECT_EQ(meta.payload_offset, 52);
}

TEST(Udp, FillsPortsAndPayloadOffset) {
  for (const auto& packet : {udp_v4(), udp_v6()}) {
    const PacketMeta meta = parse_ip(packet);
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(meta.tuple.protocol, kProtoUdp);
    EXPECT_EQ(meta.tuple.src_port, 5353);
    EXPECT_EQ(meta.tuple.dst_port, 53);
    EXPECT_EQ(meta.payload_offset, meta.l4_offset + 8);
    EXPECT_FALSE(meta.geneve.present);
  }
}

TEST(OtherProtocol, HasAnL4OffsetButNoPorts) {
  const uint8_t gre[4] = {0, 0, 0x08, 0};
  const PacketMeta meta = parse_ip(build_ip(ipv4_spec(), 47, gre));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta.tuple.protocol, 47);
  EXPECT_EQ(meta.l4_offset, 20);
  EXPECT_EQ(meta.tuple.src_port, 0);
}

}  // namespace
}  // namespace openvpc::packet
