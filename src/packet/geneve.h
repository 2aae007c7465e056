// geneve.h — openvpc's underlay encapsulation: IPv4 / UDP 6081 / Geneve (RFC 8926) / VPC option.
//
// The wire format is DESIGN.md §2: the VNI is the VPC number, the payload is the tenant's IP
// packet (protocol type 0x0800 or 0x86dd), and one option of class kVpcOptionClass, type
// kVpcOptionType carries the source and destination ENI numbers and flags. write_geneve_encap
// is the hot-path writer: no allocation, no branches on the payload, a fixed 52-byte header.
// The UDP source port is a hash of the inner 5-tuple in 49152..65535 so the
// underlay spreads flows over ECMP paths and receive queues.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet/parser.h"

namespace openvpc::packet {

inline constexpr size_t kGeneveHeaderSize = 8;
inline constexpr size_t kGeneveOptionHeaderSize = 4;
inline constexpr size_t kGeneveEncapSize =
    20 + 8 + kGeneveHeaderSize + kGeneveOptionHeaderSize + kVpcOptionDataSize;  // 52
static_assert(kGeneveEncapSize == 52);

// VPC option flag bits (GeneveInfo::vpc_flags).
inline constexpr uint16_t kVpcFlagFromHyperplane = 0x0001;  // sender is a hyperplane/edge node
inline constexpr uint16_t kVpcFlagSourceCheckOff = 0x0002;  // source ENI has src/dst check off
// The inner packet is a TCP super-frame (TSO/GSO) over IPv4 / IPv6 that stands for segments of
// `gso_size` payload bytes (the option's last 16 bits, reserved and 0 before): the receiving
// router hands it whole to the destination TAP with a virtio-net GSO header. At most one of
// the two is set, and only with gso_size > 0 and a TCP inner packet.
inline constexpr uint16_t kVpcFlagGsoTcpv4 = 0x0004;
inline constexpr uint16_t kVpcFlagGsoTcpv6 = 0x0008;
inline constexpr uint16_t kVpcFlagsGso = kVpcFlagGsoTcpv4 | kVpcFlagGsoTcpv6;

struct GeneveEncap {
  uint32_t outer_src_v4 = 0;  // host order
  uint32_t outer_dst_v4 = 0;  // host order
  uint16_t src_port = 0;
  uint32_t vni = 0;  // 24 bits
  uint32_t source_eni = 0;
  uint32_t destination_eni = 0;
  uint16_t vpc_flags = 0;
  uint16_t gso_size = 0;  // with kVpcFlagGsoTcpv4/6 in vpc_flags; 0 otherwise
  uint8_t ttl = 64;
  uint8_t tos = 0;  // RFC 6040 normal mode: the inner packet's TOS byte (packet::ip_tos, ecn.h)
  uint16_t protocol_type = kEthertypeIpv4;  // 0x0800 / 0x86dd
};

// Writes outer IPv4 (DF set, TOS from encap.tos, checksum filled) + UDP (dst 6081, checksum 0
// as RFC 8926 allows
// over IPv4) + Geneve (opt_len 4 words) + the VPC option into out[0..kGeneveEncapSize) for an
// inner IP packet of inner_size bytes that follows immediately. inner_size must not exceed
// 65535 - kGeneveEncapSize. No allocation; hot path.
void write_geneve_encap(uint8_t* out, const GeneveEncap& encap, uint16_t inner_size);

// Hash of the inner 5-tuple mapped into 49152..65535 (the IANA dynamic range).
uint16_t flow_source_port(const FiveTuple& tuple);

}  // namespace openvpc::packet
