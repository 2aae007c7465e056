// other_tracker.h — IP protocols other than TCP, UDP and ICMP (GRE, ESP, SCTP, ...).
//
// Tracked by addresses and protocol number (ports are 0 in the key); return traffic is
// accepted for `other` seconds (600 s, REFERENCE.md) after the last packet either way.
#pragma once

#include "dataplane/conntrack/connection_state.h"
#include "dataplane/conntrack/timeouts.h"
#include "packet/parser.h"

namespace openvpc::conntrack {

TrackResult other_start(ConnectionState& state, const packet::PacketMeta& meta,
                        const Timeouts& timeouts);
TrackResult other_track(ConnectionState& state, const packet::PacketMeta& meta, Direction dir,
                        const Timeouts& timeouts);

}  // namespace openvpc::conntrack
