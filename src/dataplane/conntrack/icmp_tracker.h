// icmp_tracker.h — ICMP and ICMPv6: echo by identifier, errors by the header they quote.
//
// Echo request/reply pairs are one connection keyed by (addresses, identifier) — the parser
// puts the identifier in both ports — and live `icmp` seconds (30 s) after the last packet.
// Other informational types are tracked by addresses like other protocols.
// An error (IPv4 unreachable / time exceeded / parameter problem / source quench /
// redirect; ICMPv6 unreachable / packet too big / time exceeded / parameter problem) never
// opens a connection: the table finds the connection of the quoted header
// (PacketMeta::icmp_inner) and icmp_error_check() decides whether the error is related.
// Accepted errors do not refresh the connection.
#pragma once

#include "dataplane/conntrack/connection_state.h"
#include "dataplane/conntrack/timeouts.h"
#include "packet/parser.h"

namespace openvpc::conntrack {

inline bool is_icmp(uint8_t protocol) {
  return protocol == packet::kProtoIcmp || protocol == packet::kProtoIcmpv6;
}
inline bool is_icmp_error(const packet::PacketMeta& meta) {
  return is_icmp(meta.tuple.protocol) && meta.icmp.is_error;
}

TrackResult icmp_start(ConnectionState& state, const packet::PacketMeta& meta,
                       const Timeouts& timeouts);
TrackResult icmp_track(ConnectionState& state, const packet::PacketMeta& meta, Direction dir,
                       const Timeouts& timeouts);

// The error `meta` quotes a packet that went `quoted_dir` on the connection whose state is
// given, and the error travels back toward that packet's sender. Returns accept_related or a
// drop (a TCP quote whose sequence that side never sent, or an error sent the wrong way).
TrackResult icmp_error_check(const ConnectionState& state, uint8_t protocol,
                             const packet::PacketMeta& meta, Direction quoted_dir);

}  // namespace openvpc::conntrack
