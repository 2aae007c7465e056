// parser.h — the one-pass packet parser and the metadata record it fills.
//
// parse_frame() starts at an Ethernet header (an ENI's TAP), parse_ip() at an IPv4/IPv6
// header (the underlay socket, an ICMP error's payload). One pass walks every header once,
// fills PacketMeta, and never reads a byte outside the buffer it was given. A malformed
// packet is reported by name in PacketMeta::error; fields of the layers parsed before the
// error stay valid, fields after it are zero.
//
// Geneve: only parse_ip() — the underlay's entry point — parses a UDP datagram to port 6081
// as Geneve (RFC 8926); parse_frame() (an instance's frame) leaves it plain UDP, so an
// instance can use port 6081 like any other port and never hands the router a packet to
// unwrap. The outer addresses and ports go to PacketMeta::geneve.outer_*; the inner packet (an
// IP packet, DESIGN.md §2) is then parsed in the same pass and *its* headers fill the l3/l4
// fields and the 5-tuple, because every later stage of the pipeline classifies the tenant
// packet, not the tunnel.
//
// ICMP errors (IPv4 types 3, 4, 5, 11, 12; ICMPv6 types 1-4): the embedded original header
// is parsed into PacketMeta::icmp_inner (addresses, protocol, ports or echo id as sent by the
// original sender); an embedded header that is cut short sets icmp_inner.present=false but
// is not an error of the outer packet, except when not even 8 bytes of ICMP header exist.
//
// Offsets are from the start of the buffer handed to the parser. PacketMeta is trivially
// copyable and sized for batches (252 bytes; a unit test keeps it under 256).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "packet/address.h"

namespace openvpc::packet {

inline constexpr uint16_t kGenevePort = 6081;
inline constexpr uint16_t kEthertypeIpv4 = 0x0800;
inline constexpr uint16_t kEthertypeArp = 0x0806;
inline constexpr uint16_t kEthertypeVlan = 0x8100;
inline constexpr uint16_t kEthertypeIpv6 = 0x86dd;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpv6 = 58;

// Every way a packet can be malformed, named. The data plane counts drops by these names.
enum class ParseError : uint8_t {
  none = 0,
  ethernet_truncated,
  vlan_truncated,
  arp_truncated,
  arp_unsupported,  // not Ethernet/IPv4 hardware/protocol, or bad address lengths
  ipv4_truncated,
  ipv4_bad_version,
  ipv4_bad_ihl,                     // IHL < 5
  ipv4_options_truncated,           // IHL*4 beyond the buffer
  ipv4_total_length_too_short,      // total length < IHL*4
  ipv4_total_length_beyond_buffer,  // total length > bytes present
  ipv6_truncated,
  ipv6_bad_version,
  ipv6_payload_length_beyond_buffer,
  ipv6_extension_truncated,
  ipv6_extension_chain_too_long,  // more than kMaxIpv6Extensions headers
  ipv6_fragment_header_repeated,
  tcp_truncated,
  tcp_bad_data_offset,  // data offset < 5 or beyond the segment
  tcp_option_truncated,
  tcp_option_bad_length,
  udp_truncated,
  udp_bad_length,  // length < 8 or > bytes present
  icmp_truncated,
  icmpv6_truncated,
  geneve_truncated,
  geneve_bad_version,
  geneve_options_beyond_packet,    // opt_len*4 past the datagram
  geneve_option_bad_length,        // an option's length runs past the options area
  geneve_vpc_option_bad_length,    // openvpc's option with a length other than its own
  geneve_unsupported_protocol,     // inner protocol type not IPv4/IPv6
  geneve_critical_option_unknown,  // RFC 8926 §3.5: unknown option with the C bit
  inner_packet_malformed,          // the Geneve payload failed to parse; see inner_error
  ip_bad_version,                  // parse_ip: version nibble neither 4 nor 6
  ipv4_option_bad_length,          // an IPv4 option's length < 2 or past the header
  icmpv6_nd_truncated,             // NS/NA/RS/RA shorter than its fixed part
  icmpv6_nd_option_bad_length,     // an ND option with length 0 or past the message
  ipv6_hop_by_hop_not_first,       // RFC 8200 §4.1: hop-by-hop only right after the header
  count_,                          // number of names; keep last
};
inline constexpr size_t kParseErrorCount = size_t(ParseError::count_);
std::string_view to_string(ParseError error);

inline constexpr int kMaxIpv6Extensions = 8;

// TCP flag bits as on the wire.
enum TcpFlag : uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
  kTcpEce = 0x40,
  kTcpCwr = 0x80,
};

// Addresses, protocol and ports of one direction of a flow. For ICMP echo, src_port and
// dst_port both hold the echo identifier; for other ICMP and other protocols they are 0.
struct FiveTuple {
  IpAddress src;
  IpAddress dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t protocol = 0;
  uint8_t ip_version = 0;  // 4 or 6
  auto operator<=>(const FiveTuple&) const = default;
};

struct TcpInfo {
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t window = 0;          // raw, unscaled
  uint16_t mss = 0;             // 0: option absent
  uint8_t flags = 0;            // TcpFlag bits
  uint8_t window_scale = 0xff;  // 0xff: option absent
  bool sack_permitted = false;
  bool has_timestamps = false;
  uint32_t ts_value = 0;
  uint32_t ts_echo = 0;
  uint16_t payload_size = 0;  // bytes after the TCP header, within the IP length
};

struct IcmpInfo {
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t id = 0;        // echo request/reply identifier
  uint16_t sequence = 0;  // echo sequence
  uint32_t rest = 0;      // bytes 4..7 of the header (e.g. next-hop MTU)
  bool is_error = false;
};

// IPv4 (flags/offset/id) or IPv6 fragment header.
struct FragmentInfo {
  bool is_fragment = false;  // offset != 0 or more-fragments set
  bool more_fragments = false;
  bool dont_fragment = false;  // IPv4 DF
  uint16_t offset = 0;         // in bytes
  uint32_t id = 0;             // IPv4 id (16 bits) or IPv6 identification
};

// The header an ICMP error carries: the packet the error is about, as it was sent.
struct IcmpInner {
  bool present = false;
  uint16_t l3_offset = 0;
  uint16_t l4_offset = 0;  // 0 when the embedded header stops before L4
  FiveTuple tuple;         // as the original sender wrote it
  uint32_t tcp_seq = 0;
};

// openvpc's Geneve option (DESIGN.md §2): class kVpcOptionClass, type kVpcOptionType,
// 12 bytes of data: source ENI (32), destination ENI (32), flags (16), GSO size (16). The
// last field was reserved (0): it is the MSS of a TCP super-frame whose flags carry
// kVpcFlagGsoTcpv4 or kVpcFlagGsoTcpv6 (geneve.h), else 0.
inline constexpr uint16_t kVpcOptionClass = 0xff0c;
inline constexpr uint8_t kVpcOptionType = 0x01;
inline constexpr uint8_t kVpcOptionDataSize = 12;

struct GeneveInfo {
  bool present = false;
  bool oam = false;
  bool critical = false;
  uint32_t vni = 0;
  uint16_t protocol_type = 0;
  uint16_t header_offset = 0;  // start of the Geneve header
  uint16_t options_size = 0;   // bytes of options
  uint16_t inner_offset = 0;   // start of the inner IP packet
  bool has_vpc_option = false;
  uint8_t outer_tos = 0;  // the outer TOS byte: its ECN field meets the inner one (ecn.h)
  uint16_t gso_size = 0;  // the option's last 16 bits (see above); here it fills padding
  uint32_t source_eni = 0;
  uint32_t destination_eni = 0;
  uint16_t vpc_flags = 0;
  IpAddress outer_src;
  IpAddress outer_dst;
  uint16_t outer_src_port = 0;
  uint16_t outer_dst_port = 0;
  uint8_t outer_ttl = 0;
  ParseError inner_error = ParseError::none;
};

struct PacketMeta {
  ParseError error = ParseError::none;
  uint16_t size = 0;  // bytes in the buffer
  // Layer 2 (parse_frame only)
  bool has_ethernet = false;
  bool has_vlan = false;
  uint16_t vlan_tci = 0;
  uint16_t ethertype = 0;      // after the VLAN tag
  uint16_t arp_operation = 0;  // 1 request, 2 reply; ArpView at l3_offset has the rest
  MacAddress eth_src;
  MacAddress eth_dst;
  // Layer 3 (of the inner packet when Geneve is present)
  uint16_t l3_offset = 0;
  uint16_t l3_size = 0;    // IPv4 total length / 40 + IPv6 payload length
  uint8_t ip_version = 0;  // 0 when not IP (e.g. ARP)
  uint8_t ttl = 0;         // TTL or hop limit
  uint8_t tos = 0;         // IPv4 TOS / IPv6 traffic class
  uint8_t ipv4_ihl = 0;
  uint8_t ipv6_extension_count = 0;  // extension headers walked before the upper layer
  FragmentInfo fragment;
  // Layer 4
  uint16_t l4_offset = 0;       // 0 when there is no L4 header (non-first fragment)
  uint16_t payload_offset = 0;  // application payload (after TCP/UDP/ICMP header)
  FiveTuple tuple;
  TcpInfo tcp;
  IcmpInfo icmp;
  IcmpInner icmp_inner;
  GeneveInfo geneve;

  bool ok() const { return error == ParseError::none; }
  bool is_arp() const { return ethertype == kEthertypeArp; }
};

// Starts at an Ethernet header (one optional 802.1Q tag). Non-IP, non-ARP ethertypes parse
// without error and leave ip_version 0. UDP to port 6081 is plain UDP (never Geneve).
PacketMeta parse_frame(std::span<const uint8_t> frame);
// Starts at an IPv4 or IPv6 header (version nibble decides): the underlay's packets, so a
// whole UDP datagram to port 6081 is parsed as Geneve and its inner packet fills the fields.
PacketMeta parse_ip(std::span<const uint8_t> packet);

}  // namespace openvpc::packet
