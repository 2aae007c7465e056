// udp_tracker.h — UDP: a single exchange or a stream (REFERENCE.md timeouts).
//
// A connection is a single exchange (udp_single, 30 s by default) until traffic has been
// seen both ways and more than two packets in all; from then on it is a stream (udp_stream,
// 180 s) for the rest of its life. Every UDP packet of a known connection is accepted.
#pragma once

#include "dataplane/conntrack/connection_state.h"
#include "dataplane/conntrack/timeouts.h"
#include "packet/parser.h"

namespace openvpc::conntrack {

TrackResult udp_start(ConnectionState& state, const packet::PacketMeta& meta,
                      const Timeouts& timeouts);
TrackResult udp_track(ConnectionState& state, const packet::PacketMeta& meta, Direction dir,
                      const Timeouts& timeouts);

}  // namespace openvpc::conntrack
