// packets.h — test helpers: build a packet with packet/builder.h, parse it to PacketMeta.
//
// Two endpoints, a client and a server, in IPv4 or IPv6; every helper returns the parsed
// metadata (asserting the parse succeeded) so tests read as tables of segments.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "packet/builder.h"
#include "packet/parser.h"

namespace openvpc::conntrack::testing {

struct Endpoints {
  packet::IpAddress client;
  packet::IpAddress server;
  static Endpoints v4() {
    return {packet::IpAddress::v4(0x0a000001), packet::IpAddress::v4(0x0a000002)};
  }
  static Endpoints v6() {
    return {*packet::IpAddress::parse("2001:db8::1"), *packet::IpAddress::parse("2001:db8::2")};
  }
};

inline packet::PacketMeta parsed(const std::vector<uint8_t>& ip) {
  packet::PacketMeta meta = packet::parse_ip(ip);
  EXPECT_TRUE(meta.ok()) << packet::to_string(meta.error);
  return meta;
}

inline packet::IpSpec ip_from(const Endpoints& e, bool from_client) {
  packet::IpSpec ip;
  ip.src = from_client ? e.client : e.server;
  ip.dst = from_client ? e.server : e.client;
  return ip;
}

inline std::vector<uint8_t> tcp_packet(const Endpoints& e, bool from_client, uint8_t flags,
                                       uint32_t seq, uint32_t ack, uint16_t window,
                                       uint16_t payload_size = 0, int window_scale = -1) {
  packet::TcpSpec tcp;
  tcp.src_port = from_client ? 40000 : 80;
  tcp.dst_port = from_client ? 80 : 40000;
  tcp.seq = seq, tcp.ack = ack, tcp.flags = flags, tcp.window = window;
  if (window_scale >= 0) tcp.window_scale = uint8_t(window_scale);
  const std::vector<uint8_t> payload(payload_size, 0x61);
  return packet::build_tcp(ip_from(e, from_client), tcp, payload);
}

inline std::vector<uint8_t> udp_packet(const Endpoints& e, bool from_client,
                                       uint16_t payload_size = 8) {
  const std::vector<uint8_t> payload(payload_size, 0x62);
  return packet::build_udp(ip_from(e, from_client),
                           {uint16_t(from_client ? 50000 : 53), uint16_t(from_client ? 53 : 50000)},
                           payload);
}

inline std::vector<uint8_t> echo_packet(const Endpoints& e, bool from_client, uint16_t id) {
  return packet::build_icmp_echo(ip_from(e, from_client), {from_client, id, 1});
}

// An ICMP error from `router` about `offending` (an IP packet), sent to its source.
inline std::vector<uint8_t> icmp_error(const packet::IpAddress& router, uint8_t type, uint8_t code,
                                       const std::vector<uint8_t>& offending) {
  std::vector<uint8_t> out(1500);
  const size_t n =
      packet::write_icmp_error(out.data(), out.size(), router, type, code, 0, offending);
  EXPECT_NE(n, 0u);
  out.resize(n);
  return out;
}

}  // namespace openvpc::conntrack::testing
