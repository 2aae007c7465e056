// topology.h — the test world the data-plane tests share: one host, two VPCs with the same
// CIDR and the same addresses, local and remote ENIs, and builders for their packets.
//
//   host 192.168.0.1 (this router)            host 192.168.0.2 (remote)
//   vpc 7 10.0.0.0/16                          vpc 7: eni 201 10.0.1.20 (sg 41)
//     subnet 11 10.0.1.0/24 acl 31 (allow all)        eni 202 10.0.2.30 (sg 42)
//       eni 101 10.0.1.5 sg 41                 vpc 8: eni 401 10.0.1.20
//       eni 102 10.0.1.6 sg 41, 43
//     subnet 12 10.0.2.0/24 acl 32 (numbered rules)
//       eni 103 10.0.2.7 sg 42
//   vpc 8 10.0.0.0/16 (same CIDR, same addresses)
//     subnet 13 10.0.1.0/24 acl 33 (allow all)
//       eni 301 10.0.1.5 sg 44 ; eni 302 10.0.1.6 sg 44
//   security groups: 41 web: in tcp 22 + icmp from 10.0.0.0/16, out all
//                    42 db: in tcp 5432 from sg 41 members, in icmp from 10.0.0.0/16, out all
//                    43 open: in tcp 8080 from 0.0.0.0/0 (untracked on eni 102: 41 allows all out)
//                    44 vpc8: in all from 10.0.0.0/16, out all
//   route table 21 (vpc 7): local 10.0.0.0/16, 0.0.0.0/0 -> igw 901, 10.0.2.128/25 -> blackhole,
//                           172.16.0.0/12 -> nat 902, 172.16.5.0/24 -> eni 102
//   internet gateway: edge node 192.168.0.10; eni 101 (10.0.1.5) has public 198.51.100.5,
//                     eni 201 (10.0.1.20, remote) has public 198.51.100.20
//   nat gateway 902 (eni 950, vpc 7): listed only by with_nat_gateway(), shard nodes
//                     192.168.0.21, .22, .23 by slot unless a test says otherwise
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "packet/builder.h"
#include "program/program.h"

namespace openvpc::dataplane::testing {

using packet::IpAddress;
using packet::MacAddress;
using program::address_literal;
using program::cidr_literal;
using program::mac_literal;

inline const IpAddress kHost = address_literal("192.168.0.1");
inline const IpAddress kRemoteHost = address_literal("192.168.0.2");
inline const MacAddress kRouterMac = mac_literal("02:00:00:00:00:01");
inline const IpAddress kEdge = address_literal("192.168.0.10");
inline const IpAddress kWeb1Public = address_literal("198.51.100.5");
inline const IpAddress kRemoteWebPublic = address_literal("198.51.100.20");
inline const IpAddress kNatNode1 = address_literal("192.168.0.21");
inline const IpAddress kNatNode2 = address_literal("192.168.0.22");
inline const IpAddress kNatNode3 = address_literal("192.168.0.23");
inline const IpAddress kNodeDown = address_literal("0.0.0.0");
inline constexpr uint32_t kNatGateway = 902;
inline constexpr uint32_t kNatGatewayEni = 950;

struct EniInfo {
  uint32_t id;
  MacAddress mac;
  IpAddress ip;
};
inline const EniInfo kWeb1{101, mac_literal("02:00:00:00:01:01"), address_literal("10.0.1.5")};
inline const EniInfo kWeb2{102, mac_literal("02:00:00:00:01:02"), address_literal("10.0.1.6")};
inline const EniInfo kDb{103, mac_literal("02:00:00:00:01:03"), address_literal("10.0.2.7")};
inline const EniInfo kRemoteWeb{201, mac_literal("02:00:00:00:02:01"),
                                address_literal("10.0.1.20")};
inline const EniInfo kRemoteDb{202, mac_literal("02:00:00:00:02:02"), address_literal("10.0.2.30")};
inline const EniInfo kOther1{301, mac_literal("02:00:00:00:03:01"), address_literal("10.0.1.5")};
inline const EniInfo kOther2{302, mac_literal("02:00:00:00:03:02"), address_literal("10.0.1.6")};
inline const EniInfo kOtherRemote{401, mac_literal("02:00:00:00:04:01"),
                                  address_literal("10.0.1.20")};

program::Program standard_program();
// Lists NAT gateway 902 (the target of route 172.16.0.0/12) with the given shard nodes by slot.
void with_nat_gateway(program::Program& program,
                      std::vector<IpAddress> nodes = {kNatNode1, kNatNode2, kNatNode3});

// IPv4 packets (IP layer) between addresses; ttl and ids vary per test packet.
std::vector<uint8_t> tcp_ip(IpAddress src, IpAddress dst, uint16_t sport, uint16_t dport,
                            uint8_t flags = packet::kTcpSyn, uint8_t ttl = 64, uint16_t id = 1,
                            size_t payload_size = 0);
// A TCP segment with explicit numbers (conntrack checks windows): window 65535, no options.
std::vector<uint8_t> tcp_segment(IpAddress src, IpAddress dst, uint16_t sport, uint16_t dport,
                                 uint8_t flags, uint32_t seq, uint32_t ack, size_t payload_size = 0,
                                 uint8_t ttl = 64);
// The SYN+ACK answering tcp_ip(...) with id 1 (sequence 1001): acknowledges 1002.
std::vector<uint8_t> syn_ack_ip(IpAddress src, IpAddress dst, uint16_t sport, uint16_t dport);
std::vector<uint8_t> udp_ip(IpAddress src, IpAddress dst, uint16_t sport, uint16_t dport,
                            uint8_t ttl = 64, size_t payload_size = 4);
std::vector<uint8_t> ping_ip(IpAddress src, IpAddress dst, bool request, uint16_t id,
                             uint8_t ttl = 64);
// An Ethernet frame from an ENI to the router.
std::vector<uint8_t> from_eni(const EniInfo& eni, std::span<const uint8_t> ip);
// What the router delivers to an ENI: the IP packet with router MAC as source.
std::vector<uint8_t> to_eni(const EniInfo& eni, std::span<const uint8_t> ip);
// Outer IPv4/UDP/Geneve around ip, as sent from `from_host` by ENI `source` to `destination`.
std::vector<uint8_t> geneve(IpAddress from_host, IpAddress to_host, uint32_t vni, uint32_t source,
                            uint32_t destination, std::span<const uint8_t> ip, uint16_t flags = 0);
// The Geneve packet this host sends for ip (the source port is the inner tuple's hash).
std::vector<uint8_t> encapsulated(uint32_t vni, uint32_t source, uint32_t destination,
                                  std::span<const uint8_t> ip, uint16_t flags = 0);

}  // namespace openvpc::dataplane::testing
