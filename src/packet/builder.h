// builder.h — packet builders for tests and tools, and hot-path writers for the data plane.
//
// build_* return a complete, checksummed packet as a std::vector (allocation is fine: tests,
// tools, the control side). IP-level builders return an IP packet; with_ethernet() prepends a
// frame header. Every packet a builder returns parses with ParseError::none.
// write_* are for the router's local services: they write into a caller buffer, never
// allocate, and return the bytes written, or 0 when the result would not fit in capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "packet/address.h"
#include "packet/geneve.h"
#include "packet/parser.h"

namespace openvpc::packet {

struct FrameSpec {
  MacAddress src_mac{};
  MacAddress dst_mac{};
  std::optional<uint16_t> vlan{};  // TCI (VLAN id in the low 12 bits)
};

struct IpSpec {
  IpAddress src{};
  IpAddress dst{};
  uint8_t ttl = 64;  // hop limit for IPv6
  uint8_t tos = 0;   // traffic class for IPv6
  bool dont_fragment = false;
  uint16_t id = 0;
  uint16_t fragment_offset = 0;  // bytes, multiple of 8
  bool more_fragments = false;
};

struct TcpSpec {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = kTcpSyn;
  uint16_t window = 65535;
  std::optional<uint16_t> mss{};
  std::optional<uint8_t> window_scale{};
  bool sack_permitted = false;
  std::optional<std::pair<uint32_t, uint32_t>> timestamps{};  // value, echo reply
};

struct UdpSpec {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
};

struct IcmpEchoSpec {
  bool request = true;
  uint16_t id = 0;
  uint16_t sequence = 0;
};

// IPv4 or IPv6 by spec.src's family. For IPv6, a fragment_offset or more_fragments adds a
// fragment header with identification spec.id.
std::vector<uint8_t> build_ip(const IpSpec& spec, uint8_t protocol, std::span<const uint8_t> l4);
std::vector<uint8_t> build_tcp(const IpSpec& ip, const TcpSpec& tcp,
                               std::span<const uint8_t> payload = {});
std::vector<uint8_t> build_udp(const IpSpec& ip, const UdpSpec& udp,
                               std::span<const uint8_t> payload = {});
// ICMP (IPv4) or ICMPv6 by address family.
std::vector<uint8_t> build_icmp_echo(const IpSpec& ip, const IcmpEchoSpec& echo,
                                     std::span<const uint8_t> payload = {});
// Prepends Ethernet (+ 802.1Q tag); the ethertype follows the IP version nibble.
std::vector<uint8_t> with_ethernet(const FrameSpec& frame, std::span<const uint8_t> ip_packet);
// Full outer IPv4/UDP/Geneve/VPC option in front of inner_ip.
std::vector<uint8_t> build_geneve(const GeneveEncap& encap, std::span<const uint8_t> inner_ip);
// Ethernet frame, broadcast, ARP request "who has target_ip, tell sender_ip".
std::vector<uint8_t> build_arp_request(MacAddress sender_mac, IpAddress sender_ip,
                                       IpAddress target_ip);

// Ethernet frame from our_mac to to_mac: ARP reply "our_ip is at our_mac" (42 bytes).
size_t write_arp_reply(uint8_t* out, size_t capacity, MacAddress our_mac, IpAddress our_ip,
                       MacAddress to_mac, IpAddress to_ip);
// IP packet from 'from' to the offending packet's source: ICMP (v4, quoting the IP header +
// up to 8 bytes, RFC 792) or ICMPv6 (v6, quoting as much as fits in 1280 bytes, RFC 4443).
// type/code/rest are those of the family of 'from'. Returns 0 if the offending packet is not
// an IP packet of the same family or the result does not fit.
size_t write_icmp_error(uint8_t* out, size_t capacity, IpAddress from, uint8_t type, uint8_t code,
                        uint32_t rest, std::span<const uint8_t> offending_ip_packet);

// IPv4 fragmentation (RFC 791, ipv4_fragment.cc). The header a fragment of `ip` (a valid IPv4
// packet, possibly itself a fragment) carries: all of ip's header for the piece at payload
// offset 0, else only the options whose copied flag is set, padded to 4 bytes. Returns its
// size in bytes, or 0 if ip's header is malformed.
size_t ipv4_fragment_header_size(std::span<const uint8_t> ip, bool first_piece);
// Writes the fragment of `ip` that carries ip's payload bytes [offset, offset + size): the
// header above with total length, offset (ip's own offset + offset), MF (set unless this is
// the end of ip's payload and ip had MF clear) and header checksum, then the bytes. offset
// must be a multiple of 8. Returns the fragment's size, or 0 if it does not fit in capacity
// or the range is outside ip's payload.
size_t write_ipv4_fragment(uint8_t* out, size_t capacity, std::span<const uint8_t> ip,
                           size_t offset, size_t size);

}  // namespace openvpc::packet
