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

// Writes, at out[0..40), a bare IPv4 TCP RST (no ACK) from src:sport to dst:dport (host order)
// with sequence number `seq`, checksums computed: a load balancer resetting a flow whose
// target left (lb_translator.h). Returns 40.
size_t write_tcp_rst(uint8_t* out, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                     uint32_t seq);

}  // namespace openvpc::hyperplane
