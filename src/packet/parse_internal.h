// parse_internal.h — the parser's per-protocol steps (private to src/packet).
//
// Each step reads one header at an offset, checks it lies before `limit` (the end of the
// buffer, or of the enclosing datagram for a Geneve payload), fills its part of PacketMeta and
// calls the next step. A step that finds a malformation sets meta.error and returns without
// touching later layers. No step allocates, throws or reads at or past `limit`.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet/parser.h"

namespace openvpc::packet::detail {

struct ParseState {
  const uint8_t* data;
  size_t limit;  // bytes of data that may be read
  PacketMeta& meta;
  // UDP to port 6081 is Geneve only on the underlay (parse_ip's outer packet): an instance's
  // datagram to 6081 is plain UDP, and an inner packet is never decapsulated again.
  bool decapsulate = false;
};

inline void fail(ParseState& state, ParseError error) {
  state.meta.error = error;
}

void parse_ethernet(ParseState& state);
void parse_arp(ParseState& state, size_t offset);
void parse_ipv4(ParseState& state, size_t offset);
void parse_ipv6(ParseState& state, size_t offset);
// Dispatches on the version nibble (ip_bad_version when neither 4 nor 6).
void parse_ip_at(ParseState& state, size_t offset);
// Upper layer `protocol` at offset, ending at end (the IP payload end).
void parse_l4(ParseState& state, uint8_t protocol, size_t offset, size_t end);
void parse_tcp(ParseState& state, size_t offset, size_t end);
void parse_udp(ParseState& state, size_t offset, size_t end);
void parse_icmp(ParseState& state, size_t offset, size_t end);
void parse_icmpv6(ParseState& state, size_t offset, size_t end);
// The UDP payload [offset, end) of a datagram to port 6081.
void parse_geneve(ParseState& state, size_t offset, size_t end);
// The original packet quoted by an ICMP error, [offset, end) of data. Lenient: fills what is
// complete and sets inner.present only when the whole IP header is there.
void parse_icmp_quote(const uint8_t* data, size_t offset, size_t end, IcmpInner& inner);

}  // namespace openvpc::packet::detail
