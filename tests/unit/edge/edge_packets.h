// edge_packets.h — the edge tests' program, packets and checksum checks (shared by the edge
// unit tests; header-only, tests only).
//
// The program: edge at underlay 192.168.0.100; VPC 7 (internet gateway attached) with
//   10.0.0.5  ENI 1 on host 192.168.0.1, public 203.0.113.5
//   10.0.0.6  ENI 2 on host 192.168.0.2, public 203.0.113.6
//   10.0.0.7  ENI 3 on host 192.168.0.1, no public address
// VPC 9 with 10.0.0.5 ENI 4 on host 192.168.0.3, public 203.0.113.9 (same private address as
// VPC 7's ENI 1: bindings are per VPC). VPC 8 is not on the edge.
// Outside link: edge 198.51.100.2 (02:ed:00:00:00:02), gateway 198.51.100.1.
// with_nat_gateway() adds NAT gateway 50 of VPC 7 (ENI 60): 10.0.0.50, public 203.0.113.50,
// shard nodes 192.168.0.21, .22, .23 by slot unless a test says otherwise.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <span>
#include <vector>

#include "dataplane/packet_batch.h"
#include "edge/edge_table.h"
#include "edge/edge_translator.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/geneve.h"
#include "program/cidr.h"

namespace openvpc::edge::testing {

inline constexpr uint32_t kEdge = 0xc0a80064;            // 192.168.0.100
inline constexpr uint32_t kHostA = 0xc0a80001;           // 192.168.0.1
inline constexpr uint32_t kHostB = 0xc0a80002;           // 192.168.0.2
inline constexpr uint32_t kHostC = 0xc0a80003;           // 192.168.0.3
inline constexpr uint32_t kPrivate5 = 0x0a000005;        // 10.0.0.5
inline constexpr uint32_t kPrivate6 = 0x0a000006;        // 10.0.0.6
inline constexpr uint32_t kPrivate7 = 0x0a000007;        // 10.0.0.7
inline constexpr uint32_t kPublic5 = 0xcb007105;         // 203.0.113.5
inline constexpr uint32_t kPublic6 = 0xcb007106;         // 203.0.113.6
inline constexpr uint32_t kPublic9 = 0xcb007109;         // 203.0.113.9
inline constexpr uint32_t kOutsideHost = 0xc6336407;     // 198.51.100.7 (never sent to: in memory)
inline constexpr uint32_t kOutsideEdge = 0xc6336402;     // 198.51.100.2
inline constexpr uint32_t kOutsideGateway = 0xc6336401;  // 198.51.100.1

inline constexpr uint32_t kNatGateway = 50;
inline constexpr uint32_t kNatEni = 60;
inline constexpr uint32_t kNatPrivate = 0x0a000032;  // 10.0.0.50
inline constexpr uint32_t kNatPublic = 0xcb007132;   // 203.0.113.50
inline constexpr uint32_t kNode1 = 0xc0a80015;       // 192.168.0.21
inline constexpr uint32_t kNode2 = 0xc0a80016;       // 192.168.0.22
inline constexpr uint32_t kNode3 = 0xc0a80017;       // 192.168.0.23
inline constexpr uint32_t kDown = 0;                 // a slot whose node is not up

inline packet::IpAddress v4(uint32_t a) {
  return packet::IpAddress::v4(a);
}

inline program::Program edge_program(uint64_t generation = 1) {
  program::Program p;
  p.generation = generation;
  p.host_underlay = v4(kEdge);
  p.vpcs = {{7, "igw-vpc", {program::cidr_literal("10.0.0.0/16")}},
            {9, "other", {program::cidr_literal("10.0.0.0/16")}}};
  p.mappings = {
      {7, v4(kPrivate5), v4(kHostA), 1, true, v4(kPublic5)},
      {7, v4(kPrivate6), v4(kHostB), 2, true, v4(kPublic6)},
      {7, v4(kPrivate7), v4(kHostA), 3, true, std::nullopt},
      {9, v4(kPrivate5), v4(kHostC), 4, true, v4(kPublic9)},
  };
  return p;
}

// NAT gateway 50 with its shard nodes (host order, kDown for a down slot) and the mapping of
// its address to its elastic IP (no underlay: the shard serves it).
inline void with_nat_gateway(program::Program& p,
                             const std::vector<uint32_t>& nodes = {kNode1, kNode2, kNode3}) {
  program::NatGateway g;
  g.id = kNatGateway;
  g.name = "nat-0050";
  g.vpc = 7;
  g.eni = kNatEni;
  g.addresses = {v4(kNatPrivate)};
  for (uint32_t node : nodes) g.nodes.push_back(v4(node));
  p.nat_gateways = {g};
  program::Mapping m;
  m.vpc = 7;
  m.address = v4(kNatPrivate);
  m.eni = kNatEni;
  m.public_address = v4(kNatPublic);
  m.nat_gateway = kNatGateway;
  p.mappings.push_back(m);
}

inline EdgeConfig edge_config() {
  EdgeConfig c;
  c.outside_address = kOutsideEdge;
  c.outside_gateway = kOutsideGateway;
  c.outside_mac = program::mac_literal("02:ed:00:00:00:02");
  return c;
}

inline const packet::MacAddress kGatewayMac = program::mac_literal("02:9a:00:00:00:01");

// A packet in its own buffer with headroom, as a port's receive would hand it over.
struct Buffer {
  static constexpr size_t kHeadroom = 128;
  std::vector<uint8_t> storage;
  dataplane::Packet packet;

  Buffer(std::span<const uint8_t> bytes, dataplane::Port port, size_t tailroom = 64)
      : storage(kHeadroom + bytes.size() + tailroom) {
    std::memcpy(storage.data() + kHeadroom, bytes.data(), bytes.size());
    packet.data = storage.data() + kHeadroom;
    packet.size = uint16_t(bytes.size());
    packet.headroom = kHeadroom;
    packet.capacity = uint16_t(storage.size() - kHeadroom);
    packet.in_port = port;
  }
  std::span<const uint8_t> bytes() const { return {packet.data, packet.size}; }
};

// An inner IP packet as host `outer_src` encapsulates it toward the edge.
inline std::vector<uint8_t> from_host(std::span<const uint8_t> inner, uint32_t vni,
                                      uint32_t source_eni, uint32_t outer_src,
                                      uint16_t vpc_flags = 0, uint16_t gso_size = 0) {
  packet::GeneveEncap e;
  e.outer_src_v4 = outer_src;
  e.outer_dst_v4 = kEdge;
  e.src_port = 50000;
  e.vni = vni;
  e.source_eni = source_eni;
  e.vpc_flags = vpc_flags;
  e.gso_size = gso_size;
  return packet::build_geneve(e, inner);
}

// An IP packet as the outside gateway sends it to the edge's outside port.
inline std::vector<uint8_t> from_outside(std::span<const uint8_t> ip) {
  return packet::with_ethernet({kGatewayMac, edge_config().outside_mac, std::nullopt}, ip);
}

inline std::vector<uint8_t> tcp(uint32_t src, uint32_t dst, size_t payload = 10, uint8_t ttl = 64) {
  packet::IpSpec ip{v4(src), v4(dst), ttl, 0, true, 0x1234, 0, false};
  packet::TcpSpec t;
  t.src_port = 40000;
  t.dst_port = 443;
  t.seq = 1000;
  t.flags = packet::kTcpAck;
  std::vector<uint8_t> data(payload);
  for (size_t i = 0; i < payload; ++i) data[i] = uint8_t(i * 7 + 3);
  return packet::build_tcp(ip, t, data);
}

inline std::vector<uint8_t> udp(uint32_t src, uint32_t dst, size_t payload = 20) {
  packet::IpSpec ip{v4(src), v4(dst), 64, 0, false, 0x4321, 0, false};
  std::vector<uint8_t> data(payload, 0x5a);
  return packet::build_udp(ip, {5353, 53}, data);
}

inline std::vector<uint8_t> echo(uint32_t src, uint32_t dst, bool request = true) {
  packet::IpSpec ip{v4(src), v4(dst), 64, 0, false, 7, 0, false};
  const uint8_t payload[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  return packet::build_icmp_echo(ip, {request, 0x77, 1}, payload);
}

// An ICMP error from `from` about `offending` (an IP packet), addressed to its source.
inline std::vector<uint8_t> icmp_error(uint32_t from, uint8_t type, uint8_t code,
                                       std::span<const uint8_t> offending) {
  std::vector<uint8_t> out(1500);
  const size_t n =
      packet::write_icmp_error(out.data(), out.size(), v4(from), type, code, 0, offending);
  out.resize(n);
  return out;
}

// Recomputes a 16-bit checksum field from scratch: zero it, sum, compare with what was there.
inline uint16_t recompute_ipv4_header(std::span<const uint8_t> ip) {
  std::vector<uint8_t> copy(ip.begin(), ip.begin() + (ip[0] & 0x0f) * 4);
  packet::store_be16(&copy[10], 0);
  return packet::ipv4_header_checksum(copy.data(), copy.size());
}

inline uint16_t recompute_l4(std::span<const uint8_t> ip) {
  const size_t ihl = (ip[0] & 0x0f) * 4;
  const size_t total = packet::load_be16(&ip[2]);
  std::vector<uint8_t> l4(ip.begin() + ihl, ip.begin() + total);
  const uint8_t protocol = ip[9];
  if (protocol == packet::kProtoIcmp) {
    packet::store_be16(&l4[2], 0);
    return packet::checksum_fold(packet::checksum_partial(l4.data(), l4.size()));
  }
  const size_t at = protocol == packet::kProtoTcp ? 16 : 6;
  packet::store_be16(&l4[at], 0);
  uint16_t sum =
      packet::l4_checksum(packet::IpAddress::v4_from_wire(&ip[12]),
                          packet::IpAddress::v4_from_wire(&ip[16]), protocol, l4.data(), l4.size());
  if (protocol == packet::kProtoUdp && sum == 0) sum = 0xffff;
  return sum;
}

// The IPv4 packet at `ip` (unfragmented) has exactly the checksums a sender computing them from
// scratch would write: IP header, and TCP / UDP (unless 0: none) / ICMP.
inline void expect_checksums_from_scratch(std::span<const uint8_t> ip) {
  ASSERT_GE(ip.size(), 20u);
  EXPECT_EQ(packet::load_be16(&ip[10]), recompute_ipv4_header(ip)) << "IPv4 header checksum";
  const size_t ihl = (ip[0] & 0x0f) * 4;
  const uint8_t protocol = ip[9];
  if (protocol == packet::kProtoTcp) {
    EXPECT_EQ(packet::load_be16(&ip[ihl + 16]), recompute_l4(ip)) << "TCP checksum";
  } else if (protocol == packet::kProtoUdp) {
    if (packet::load_be16(&ip[ihl + 6]) != 0) {
      EXPECT_EQ(packet::load_be16(&ip[ihl + 6]), recompute_l4(ip)) << "UDP checksum";
    }
  } else if (protocol == packet::kProtoIcmp) {
    EXPECT_EQ(packet::load_be16(&ip[ihl + 2]), recompute_l4(ip)) << "ICMP checksum";
  }
}

}  // namespace openvpc::edge::testing
