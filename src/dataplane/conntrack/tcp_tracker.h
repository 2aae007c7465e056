// tcp_tracker.h — TCP state machine with sequence/acknowledgement window tracking.
//
// The window checks are Guido van Rooij's "Real Stateful TCP Packet Filtering in IP Filter"
// as in Linux nf_conntrack_proto_tcp (tcp_in_window): a segment passes only if
//   I.   seq <= sender.maxend                   (not beyond what the receiver allowed)
//   II.  seq + len >= sender.end - receiver.maxwin (not older than one window)
//   III. ack <= receiver.end                   (acknowledges nothing never sent)
//   IV.  ack >= receiver.end - max(sender.maxwin, 66000)
// all in modulo-2^32 arithmetic (wraparound safe), windows scaled by RFC 7323 when both
// SYNs carried the option. A segment that fails is dropped with a named reason and changes
// nothing: no state, no window, no timeout. RST passes only in window.
//
// Opening policy (tcp_start): a SYN opens SYN_SENT. Mid-stream pickup (a router restarted
// under a live connection): a plain ACK segment (no SYN/FIN/RST) that the rules allow as new
// opens ESTABLISHED; both peers' windows are then learned from their first segments with
// the maximum scale 14 assumed, since the SYN options were missed. Anything else is
// tcp_invalid_new. A SYN on a TIME_WAIT or CLOSED connection answers new_connection: the
// table forgets the old one and the rules decide on the new one (reopen).
#pragma once

#include <cstdint>

#include "dataplane/conntrack/connection_state.h"
#include "dataplane/conntrack/timeouts.h"
#include "packet/parser.h"

namespace openvpc::conntrack {

inline constexpr uint8_t kTcpMaxWindowScale = 14;  // RFC 7323 §2.3
inline constexpr uint32_t kTcpMinAckWindow = 66000;

// First packet of a connection (from its initiator).
TrackResult tcp_start(ConnectionState& state, const packet::PacketMeta& meta,
                      const Timeouts& timeouts);
// Any later packet.
TrackResult tcp_track(ConnectionState& state, const packet::PacketMeta& meta, Direction dir,
                      const Timeouts& timeouts);
// Whether an ICMP error quoting a segment with sequence `seq` sent in direction `dir` is
// plausible: the segment lies within what that side sent recently.
bool tcp_quoted_sequence_plausible(const ConnectionState& state, Direction dir, uint32_t seq);
uint32_t tcp_timeout(TcpConnState state, const Timeouts& timeouts);

// Sequence-space comparisons modulo 2^32.
inline bool seq_before(uint32_t a, uint32_t b) {
  return int32_t(a - b) < 0;
}
inline bool seq_after(uint32_t a, uint32_t b) {
  return seq_before(b, a);
}

}  // namespace openvpc::conntrack
