// track_verdict.h — what a connection tracker says about one packet, and why it drops.
//
// Every tracker (tcp, udp, icmp, other, fragments) answers with a TrackResult: a verdict and,
// for drops, a named reason the data plane counts per ENI. `timeout` is how long the
// connection lives from now on (0: leave the expiry as it was); drops never carry one, so a
// dropped packet never refreshes a connection.
// Direction is relative to the connection's initiator (the source of its first packet).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace openvpc::conntrack {

enum class Direction : uint8_t { original = 0, reply = 1 };
inline Direction opposite(Direction d) {
  return d == Direction::original ? Direction::reply : Direction::original;
}

enum class Verdict : uint8_t {
  accept,          // part of a tracked (or untracked but still allowed) connection
  accept_related,  // an ICMP error about a tracked connection, or a fragment of one
  drop,            // see reason
  new_connection,  // no connection: evaluate the rules, then ConntrackTable::open()
};

enum class DropReason : uint8_t {
  none = 0,
  malformed,                 // the parser reported an error
  tcp_invalid_flags,         // a flag combination no TCP sends (SYN+FIN, no flags, ...)
  tcp_invalid_new,           // may not open a connection (SYN+ACK, RST, FIN without one)
  tcp_invalid_state,         // not expected in this state (e.g. ACK while SYN_SENT)
  tcp_bad_synack,            // SYN+ACK that does not acknowledge the SYN
  tcp_seq_out_of_window,     // sequence outside what the receiver can accept
  tcp_ack_out_of_window,     // acknowledges data never sent, or far too old
  tcp_rst_out_of_window,     // RST whose sequence is not in the window
  icmp_error_truncated,      // an ICMP error without a usable embedded header
  icmp_error_no_connection,  // an ICMP error about no tracked connection
  icmp_error_out_of_window,  // quotes a TCP sequence the connection never sent
  allowance_exceeded,        // the ENI's tracked-connection allowance is used up
  table_full,                // no free slot in the connection table
  fragment_orphan,           // a later fragment whose first fragment never came
  fragment_overlap,          // overlaps (or duplicates) a fragment already seen
  fragment_oversized,        // past 65535 bytes or past the datagram's last fragment
  fragment_too_many,         // more fragments in one datagram than allowed
  fragment_hold_full,        // no room to hold a fragment that came before its first
  fragment_rejected,         // the datagram's first fragment was dropped
  fragment_hold_eni_full,    // the ENI holds its share of the hold slots already
  count_,                    // keep last
};
inline constexpr size_t kDropReasonCount = size_t(DropReason::count_);
std::string_view to_string(DropReason reason);
std::string_view to_string(Verdict verdict);

struct TrackResult {
  Verdict verdict = Verdict::drop;
  DropReason reason = DropReason::none;
  uint32_t timeout = 0;  // seconds the connection lives from now; 0 keeps the expiry

  static constexpr TrackResult accepted(uint32_t timeout) {
    return {Verdict::accept, DropReason::none, timeout};
  }
  static constexpr TrackResult dropped(DropReason reason) { return {Verdict::drop, reason, 0}; }
  bool ok() const { return verdict == Verdict::accept || verdict == Verdict::accept_related; }
};

}  // namespace openvpc::conntrack
