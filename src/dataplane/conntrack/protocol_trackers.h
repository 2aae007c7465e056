// protocol_trackers.h — the per-protocol half of connection tracking.
//
// Each protocol provides `start` (first packet, from the initiator) and `advance` (any later
// packet; from_initiator says which way it went). Both set Connection::state and
// Connection::expires_at from `now`. The minimal trackers (minimal_trackers.cc) only keep
// REFERENCE.md's timeouts; the full TCP window / ICMP error / fragment trackers replace them
// one file per protocol without touching ConnectionTracker or the pipeline.
#pragma once

#include <cstdint>

#include "dataplane/conntrack/connection_tracker.h"

namespace openvpc::dataplane::conntrack {

inline constexpr uint32_t kTcpOpeningTimeout = 120;
inline constexpr uint32_t kTcpEstablishedTimeout = 432000;
inline constexpr uint32_t kTcpClosingTimeout = 120;
inline constexpr uint32_t kUdpSingleExchangeTimeout = 30;
inline constexpr uint32_t kUdpStreamTimeout = 180;
inline constexpr uint32_t kIcmpTimeout = 30;
inline constexpr uint32_t kOtherProtocolTimeout = 600;

void tcp_start(Connection& c, const packet::PacketMeta& meta, uint32_t now);
void tcp_advance(Connection& c, const packet::PacketMeta& meta, bool from_initiator, uint32_t now);
void udp_start(Connection& c, const packet::PacketMeta& meta, uint32_t now);
void udp_advance(Connection& c, const packet::PacketMeta& meta, bool from_initiator, uint32_t now);
void icmp_start(Connection& c, const packet::PacketMeta& meta, uint32_t now);
void icmp_advance(Connection& c, const packet::PacketMeta& meta, bool from_initiator, uint32_t now);
void other_start(Connection& c, const packet::PacketMeta& meta, uint32_t now);
void other_advance(Connection& c, const packet::PacketMeta& meta, bool from_initiator,
                   uint32_t now);

}  // namespace openvpc::dataplane::conntrack
