// tcp_reset.h — the RST a NAT gateway answers an instance with when its TCP packet has no flow
// (Amazon: after the 350 s idle timeout, "NAT gateway returns an RST packet to any resources
// behind the NAT gateway that attempt to continue the connection").
//
// write_tcp_reset() turns the offending IPv4 TCP packet, in place, into the reset RFC 793
// (§3.4, "Reset Generation") prescribes, as if sent by the remote end: addresses and ports
// swapped; with the offender's ACK set, sequence = its acknowledgment and flags RST; without,
// sequence 0, acknowledgment = its sequence + its length (SYN and FIN count one each), flags
// RST|ACK. IP options and TCP options and payload are dropped (a 40-byte packet, TTL 64, DF
// clear), checksums computed in full. No allocation; returns the new IP packet size (from
// meta.l3_offset), or 0 when the packet is not IPv4 TCP or is itself an RST.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "packet/parser.h"

namespace openvpc::hyperplane {

size_t write_tcp_reset(std::span<uint8_t> packet, const packet::PacketMeta& meta);

}  // namespace openvpc::hyperplane
