#include "dataplane/conntrack/protocol_trackers.h"

#include <gtest/gtest.h>

#include "packet/builder.h"
#include "program/cidr.h"

namespace openvpc::dataplane::conntrack {
namespace {

using program::address_literal;

packet::PacketMeta tcp(uint8_t flags) {
  return packet::parse_ip(packet::build_tcp(
      {address_literal("10.0.0.1"), address_literal("10.0.0.2")}, {1000, 80, 0, 0, flags}));
}

packet::PacketMeta any_udp() {
  return packet::parse_ip(
      packet::build_udp({address_literal("10.0.0.1"), address_literal("10.0.0.2")}, {1, 2}));
}

// {description, steps (from_initiator, flags), expected state, expected lifetime}
struct TcpCase {
  const char* description;
  std::vector<std::pair<bool, uint8_t>> later_packets;
  ConnectionState state;
  uint32_t lifetime;
};

class TcpTracker : public ::testing::TestWithParam<TcpCase> {};

TEST_P(TcpTracker, StateAndTimeout) {
  Connection c;
  tcp_start(c, tcp(packet::kTcpSyn), 1000);
  for (const auto& [from_initiator, flags] : GetParam().later_packets) {
    tcp_advance(c, tcp(flags), from_initiator, 1000);
  }
  EXPECT_EQ(c.state, GetParam().state) << GetParam().description;
  EXPECT_EQ(c.expires_at - 1000, GetParam().lifetime) << GetParam().description;
}

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpRst;
using packet::kTcpSyn;

INSTANTIATE_TEST_SUITE_P(
    Cases, TcpTracker,
    ::testing::Values(
        TcpCase{"syn only", {}, ConnectionState::opening, kTcpOpeningTimeout},
        TcpCase{"syn, syn-ack",
                {{false, kTcpSyn | kTcpAck}},
                ConnectionState::established,
                kTcpEstablishedTimeout},
        TcpCase{
            "retransmitted syn", {{true, kTcpSyn}}, ConnectionState::opening, kTcpOpeningTimeout},
        TcpCase{"both fins",
                {{false, kTcpSyn | kTcpAck}, {true, kTcpFin | kTcpAck}, {false, kTcpFin}},
                ConnectionState::closing,
                kTcpClosingTimeout},
        TcpCase{"reset", {{false, kTcpRst}}, ConnectionState::closing, 0}));

TEST(UdpTracker, SingleExchangeThenStream) {
  Connection c;
  udp_start(c, any_udp(), 100);
  EXPECT_EQ(c.expires_at, 100 + kUdpSingleExchangeTimeout);
  udp_advance(c, any_udp(), false, 110);
  EXPECT_EQ(c.expires_at, 110 + kUdpSingleExchangeTimeout);
  udp_advance(c, any_udp(), true, 120);
  EXPECT_EQ(c.expires_at, 120 + kUdpStreamTimeout);
  EXPECT_EQ(c.state, ConnectionState::established);
}

TEST(OtherTrackers, FixedTimeouts) {
  Connection icmp;
  icmp_start(icmp, any_udp(), 5);
  EXPECT_EQ(icmp.expires_at, 5 + kIcmpTimeout);
  icmp_advance(icmp, any_udp(), false, 6);
  EXPECT_EQ(icmp.state, ConnectionState::established);
  Connection other;
  other_start(other, any_udp(), 5);
  EXPECT_EQ(other.expires_at, 5 + kOtherProtocolTimeout);
}

}  // namespace
}  // namespace openvpc::dataplane::conntrack
