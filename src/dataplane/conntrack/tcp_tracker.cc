#include "dataplane/conntrack/tcp_tracker.h"

#include <algorithm>

#include "dataplane/conntrack/tcp_window.h"

namespace openvpc::conntrack {
namespace {

using packet::PacketMeta;

enum class Segment : uint8_t { syn, synack, fin, ack, rst, invalid };

// Linux tcp_valid_flags, with PSH/URG/ECE/CWR ignored: FIN needs ACK, SYN excludes FIN/RST.
Segment classify(uint8_t flags) {
  const uint8_t f =
      flags & uint8_t(~(packet::kTcpPsh | packet::kTcpUrg | packet::kTcpEce | packet::kTcpCwr));
  switch (f) {
    case packet::kTcpSyn:
      return Segment::syn;
    case packet::kTcpSyn | packet::kTcpAck:
      return Segment::synack;
    case packet::kTcpRst:
    case packet::kTcpRst | packet::kTcpAck:
      return Segment::rst;
    case packet::kTcpFin | packet::kTcpAck:
      return Segment::fin;
    case packet::kTcpAck:
      return Segment::ack;
    default:
      return Segment::invalid;
  }
}

void init_from_syn(TcpPeer& peer, const PacketMeta& meta, const SegmentNumbers& n) {
  peer.end = peer.maxend = n.end;
  peer.maxwin = std::max<uint32_t>(n.window, 1);
  peer.flags = kPeerSentSyn;
  peer.scale = 0;
  if (meta.tcp.window_scale != 0xff) {
    peer.flags |= kPeerWindowScale;
    peer.scale = std::min(meta.tcp.window_scale, kTcpMaxWindowScale);
  }
}

// RFC 7323: scaling is on only when both SYNs carried the option.
void negotiate_scale(ConnectionState& state) {
  TcpPeer* p = state.peer;
  if (!((p[0].flags & kPeerWindowScale) && (p[1].flags & kPeerWindowScale))) {
    p[0].scale = p[1].scale = 0;
  }
}

// Whether `seg` may appear in this state from this side at all, before window checks.
DropReason admissible(const ConnectionState& st, Segment seg, Direction dir,
                      const SegmentNumbers& n) {
  const TcpConnState s = st.tcp_state();
  const bool original = dir == Direction::original;
  switch (seg) {
    case Segment::syn:
      return s == TcpConnState::syn_sent || (s == TcpConnState::syn_recv && original)
                 ? DropReason::none
                 : DropReason::tcp_invalid_state;
    case Segment::synack:
      if (s == TcpConnState::syn_sent) {
        if (original) return DropReason::tcp_invalid_state;
        return n.ack == st.peer[0].end ? DropReason::none : DropReason::tcp_bad_synack;
      }
      if (s == TcpConnState::syn_recv) return DropReason::none;
      // The responder repeats its SYN+ACK when the final ACK of the handshake was lost.
      return s == TcpConnState::established && !original && st.peer[1].maxwin != 0
                 ? DropReason::none
                 : DropReason::tcp_invalid_state;
    case Segment::ack:
    case Segment::fin:
      return s == TcpConnState::syn_sent ? DropReason::tcp_invalid_state : DropReason::none;
    case Segment::rst:
      if (s == TcpConnState::syn_sent && !original) {  // answer to the SYN: must ACK it
        return n.has_ack && n.ack == st.peer[0].end ? DropReason::none
                                                    : DropReason::tcp_rst_out_of_window;
      }
      return DropReason::none;
    case Segment::invalid:
      break;
  }
  return DropReason::tcp_invalid_flags;
}

// The first segment seen from a side of a picked-up connection (Linux: "history lost").
void init_mid_stream(TcpPeer& sender, TcpPeer& receiver, const SegmentNumbers& n) {
  sender.end = n.end;
  sender.maxwin = std::max<uint32_t>(n.window << sender.scale, 1);
  sender.maxend = n.end + sender.maxwin;
  if (receiver.maxwin == 0) {
    receiver.end = receiver.maxend = n.ack;
  } else if (n.ack == receiver.end + 1) {
    receiver.end++;  // a reply to a keepalive
  }
}

TcpConnState closing_state(const ConnectionState& st) {
  const TcpPeer* p = st.peer;
  const int fins = ((p[0].flags & kPeerSentFin) ? 1 : 0) + ((p[1].flags & kPeerSentFin) ? 1 : 0);
  const int acked = ((p[0].flags & kPeerFinAcked) ? 1 : 0) + ((p[1].flags & kPeerFinAcked) ? 1 : 0);
  if (fins == 0) return TcpConnState::established;
  if (fins == 1) return acked == 1 ? TcpConnState::close_wait : TcpConnState::fin_wait;
  return acked == 2 ? TcpConnState::time_wait : TcpConnState::last_ack;
}

TcpConnState next_state(ConnectionState& st, Segment seg, Direction dir, const SegmentNumbers& n) {
  if (seg == Segment::rst) return TcpConnState::closed;
  TcpPeer& sender = st.peer[size_t(dir)];
  TcpPeer& receiver = st.peer[size_t(opposite(dir))];
  if (n.has_ack) {
    sender.flags |= kPeerSentAck;
    if ((receiver.flags & kPeerSentFin) && !seq_before(n.ack, receiver.end)) {
      receiver.flags |= kPeerFinAcked;
    }
  }
  if (seg == Segment::fin) sender.flags |= kPeerSentFin;
  const TcpConnState s = st.tcp_state();
  if (s == TcpConnState::syn_sent) return TcpConnState::syn_recv;  // the SYN+ACK
  const bool any_fin = ((st.peer[0].flags | st.peer[1].flags) & kPeerSentFin) != 0;
  if (s == TcpConnState::syn_recv && !any_fin) {
    const bool both_acked = (st.peer[0].flags & st.peer[1].flags & kPeerSentAck) != 0;
    return both_acked ? TcpConnState::established : TcpConnState::syn_recv;
  }
  return s == TcpConnState::closed ? s : closing_state(st);
}

TrackResult accept_in(ConnectionState& st, TcpConnState s, const Timeouts& timeouts) {
  st.protocol_state = uint8_t(s);
  return TrackResult::accepted(tcp_timeout(s, timeouts));
}

}  // namespace

uint32_t tcp_timeout(TcpConnState state, const Timeouts& t) {
  switch (state) {
    case TcpConnState::none:
      return 0;
    case TcpConnState::syn_sent:
      return t.tcp_syn_sent;
    case TcpConnState::syn_recv:
      return t.tcp_syn_recv;
    case TcpConnState::established:
      return t.tcp_established;
    case TcpConnState::fin_wait:
      return t.tcp_fin_wait;
    case TcpConnState::close_wait:
      return t.tcp_close_wait;
    case TcpConnState::last_ack:
      return t.tcp_last_ack;
    case TcpConnState::time_wait:
      return t.tcp_time_wait;
    case TcpConnState::closed:
      return t.tcp_closed;
  }
  return 0;
}

TrackResult tcp_start(ConnectionState& st, const PacketMeta& meta, const Timeouts& timeouts) {
  const Segment seg = classify(meta.tcp.flags);
  const SegmentNumbers n = SegmentNumbers::of(meta);
  if (seg == Segment::syn) {
    init_from_syn(st.peer[0], meta, n);
    st.peer[1] = TcpPeer{};
    return accept_in(st, TcpConnState::syn_sent, timeouts);
  }
  if (seg == Segment::ack) {  // mid-stream pickup; see the header
    st.peer[0] = TcpPeer{};
    st.peer[1] = TcpPeer{};
    st.peer[0].scale = st.peer[1].scale = kTcpMaxWindowScale;
    init_mid_stream(st.peer[0], st.peer[1], n);
    st.peer[0].flags = st.peer[1].flags = kPeerSentAck;
    st.tracker_flags |= kTrackerPickedUp;
    return accept_in(st, TcpConnState::established, timeouts);
  }
  return TrackResult::dropped(seg == Segment::invalid ? DropReason::tcp_invalid_flags
                                                      : DropReason::tcp_invalid_new);
}

TrackResult tcp_track(ConnectionState& st, const PacketMeta& meta, Direction dir,
                      const Timeouts& timeouts) {
  if (tcp_is_plain_established_ack(st, dir, meta.tcp.flags)) {
    return tcp_track_established_ack(st, meta, dir, timeouts);
  }
  const Segment seg = classify(meta.tcp.flags);
  const TcpConnState s = st.tcp_state();
  if (seg == Segment::syn && (s == TcpConnState::time_wait || s == TcpConnState::closed)) {
    return {Verdict::new_connection, DropReason::none, 0};  // reopen: the rules decide anew
  }
  const SegmentNumbers n = SegmentNumbers::of(meta);
  if (const DropReason r = admissible(st, seg, dir, n); r != DropReason::none) {
    return TrackResult::dropped(r);
  }
  TcpPeer& sender = st.peer[size_t(dir)];
  TcpPeer& receiver = st.peer[size_t(opposite(dir))];
  if (s == TcpConnState::syn_sent && seg == Segment::syn) {
    init_from_syn(sender, meta, n);  // retransmission (maybe a new ISN), or simultaneous open
    if (dir == Direction::original) return accept_in(st, s, timeouts);
    negotiate_scale(st);
    return accept_in(st, TcpConnState::syn_recv, timeouts);
  }
  if (s == TcpConnState::syn_sent && dir == Direction::reply) {
    // admissible() checked that this RST or SYN+ACK acknowledges the SYN.
    if (seg == Segment::rst) return accept_in(st, TcpConnState::closed, timeouts);
    init_from_syn(sender, meta, n);  // the SYN+ACK; windows updated below
    negotiate_scale(st);
  } else if (sender.maxwin == 0) {
    init_mid_stream(sender, receiver, n);
  }
  // No ACK (or a broken RST with ACK 0): pretend it acknowledged what was sent.
  const bool ack_usable = n.has_ack && !(seg == Segment::rst && n.ack == 0);
  const uint32_t ack = ack_usable ? n.ack : receiver.end;
  if (const DropReason r = tcp_check_window(sender, receiver, n, ack, seg == Segment::rst);
      r != DropReason::none) {
    return TrackResult::dropped(r);
  }
  tcp_update_window(sender, receiver, n, ack, seg == Segment::syn || seg == Segment::synack);
  return accept_in(st, next_state(st, seg, dir, n), timeouts);
}

bool tcp_quoted_sequence_plausible(const ConnectionState& st, Direction dir, uint32_t seq) {
  const TcpPeer& sender = st.peer[size_t(dir)];
  const TcpPeer& receiver = st.peer[size_t(opposite(dir))];
  if (!(sender.flags & (kPeerSentSyn | kPeerSentAck))) return false;  // never seen sending
  const uint32_t window = std::max({receiver.maxwin, sender.maxwin, kTcpMinAckWindow});
  return !seq_after(seq, sender.maxend) && seq_after(seq, sender.end - window - 1);
}

const char* to_string(TcpConnState state) {
  switch (state) {
    case TcpConnState::none:
      return "NONE";
    case TcpConnState::syn_sent:
      return "SYN_SENT";
    case TcpConnState::syn_recv:
      return "SYN_RECV";
    case TcpConnState::established:
      return "ESTABLISHED";
    case TcpConnState::fin_wait:
      return "FIN_WAIT";
    case TcpConnState::close_wait:
      return "CLOSE_WAIT";
    case TcpConnState::last_ack:
      return "LAST_ACK";
    case TcpConnState::time_wait:
      return "TIME_WAIT";
    case TcpConnState::closed:
      return "CLOSED";
  }
  return "?";
}

}  // namespace openvpc::conntrack
