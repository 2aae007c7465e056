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

#include "dataplane/verdict.h"

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

// Trackers drop with the data plane's reasons (dataplane/verdict.h: one descriptor names
// them for the pipeline, /metrics and the replay tool alike).
using dataplane::DropReason;
using dataplane::kDropReasonCount;
using dataplane::to_string;
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
