// tcp_window.h — the TCP window checks (Linux tcp_in_window) and the tracker's short path.
//
// Inline in a header because two callers need them: tcp_track() (tcp_tracker.cc) for every
// segment, and ConntrackTable::track_at()'s inline fast path (conntrack_table.h), which runs
// tcp_track_established_ack() for the packet a cached flow sees most — an ACK on an
// ESTABLISHED connection — without a call into the tracker. Both run this one code, so the
// fast path cannot decide differently from tcp_track().
#pragma once

#include <algorithm>
#include <cstdint>

#include "dataplane/conntrack/connection_state.h"
#include "dataplane/conntrack/tcp_tracker.h"
#include "dataplane/conntrack/timeouts.h"
#include "dataplane/conntrack/track_verdict.h"
#include "packet/parser.h"

namespace openvpc::conntrack {

// The numbers of one segment as the window checks use them.
struct SegmentNumbers {
  uint32_t seq;
  uint32_t end;  // seq + payload + SYN + FIN
  uint32_t ack;
  uint32_t window;  // unscaled
  bool has_ack;

  static SegmentNumbers of(const packet::PacketMeta& meta) {
    const uint8_t f = meta.tcp.flags;
    const uint32_t seq = meta.tcp.seq;
    const uint32_t len = uint32_t(meta.tcp.payload_size) + ((f & packet::kTcpSyn) ? 1 : 0) +
                         ((f & packet::kTcpFin) ? 1 : 0);
    return {seq, seq + len, meta.tcp.ack, meta.tcp.window, (f & packet::kTcpAck) != 0};
  }
};

// Checks I-IV of tcp_tracker.h's header comment.
inline DropReason tcp_check_window(const TcpPeer& sender, const TcpPeer& receiver,
                                   const SegmentNumbers& n, uint32_t ack, bool rst) {
  const bool seq_ok = !seq_after(n.seq, sender.maxend) &&
                      (receiver.maxwin == 0 || seq_after(n.end, sender.end - receiver.maxwin - 1));
  if (!seq_ok) return rst ? DropReason::tcp_rst_out_of_window : DropReason::tcp_seq_out_of_window;
  const uint32_t ack_window = std::max(sender.maxwin, kTcpMinAckWindow);
  const bool ack_ok =
      !seq_after(ack, receiver.end) && seq_after(ack, receiver.end - ack_window - 1);
  if (!ack_ok) return rst ? DropReason::tcp_rst_out_of_window : DropReason::tcp_ack_out_of_window;
  return DropReason::none;
}

inline void tcp_update_window(TcpPeer& sender, TcpPeer& receiver, const SegmentNumbers& n,
                              uint32_t ack, bool syn) {
  const uint32_t win = syn ? n.window : n.window << sender.scale;
  sender.maxwin = std::max(sender.maxwin, win);
  if (seq_after(n.end, sender.end)) sender.end = n.end;
  if (receiver.maxwin != 0 && seq_after(n.end, sender.maxend)) {
    receiver.maxwin += n.end - sender.maxend;
  }
  if (seq_after(ack + win, receiver.maxend - 1)) {
    receiver.maxend = ack + win;
    if (win == 0) receiver.maxend++;  // room for a one-byte zero-window probe
  }
}

// The common segment: an ACK (data or not) on an ESTABLISHED connection whose sender was
// seen before and where nobody sent FIN. For it, tcp_track() does exactly what
// tcp_track_established_ack() does: classification, admission and the state machine cannot
// change anything. Only for a segment tcp_is_plain_established_ack() accepts.
inline bool tcp_is_plain_established_ack(const ConnectionState& st, Direction dir, uint8_t flags) {
  constexpr uint8_t kIgnored =
      packet::kTcpPsh | packet::kTcpUrg | packet::kTcpEce | packet::kTcpCwr;
  return st.tcp_state() == TcpConnState::established &&
         (flags & uint8_t(~kIgnored)) == packet::kTcpAck && st.peer[size_t(dir)].maxwin != 0 &&
         ((st.peer[0].flags | st.peer[1].flags) & kPeerSentFin) == 0;
}

[[gnu::always_inline]] inline TrackResult tcp_track_established_ack(ConnectionState& st,
                                                                    const packet::PacketMeta& meta,
                                                                    Direction dir,
                                                                    const Timeouts& timeouts) {
  TcpPeer& sender = st.peer[size_t(dir)];
  TcpPeer& receiver = st.peer[size_t(opposite(dir))];
  // SegmentNumbers::of(meta) for a segment that carries ACK and neither SYN nor FIN.
  const uint32_t seq = meta.tcp.seq;
  const SegmentNumbers n{seq, seq + meta.tcp.payload_size, meta.tcp.ack, meta.tcp.window, true};
  if (const DropReason r = tcp_check_window(sender, receiver, n, n.ack, false);
      r != DropReason::none) {
    return TrackResult::dropped(r);
  }
  tcp_update_window(sender, receiver, n, n.ack, false);
  sender.flags |= kPeerSentAck;
  return TrackResult::accepted(timeouts.tcp_established);
}

}  // namespace openvpc::conntrack
