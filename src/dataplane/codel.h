// codel.h — CoDel (RFC 8289) for one flow of an ENI's bandwidth queue (fair_queue.h), as
// fq_codel (RFC 8290) runs it per sub-queue.
//
// The fair queue keeps a ping from waiting behind a bulk flow, but the bulk flow itself waits
// behind its own backlog: a TCP sender with a window larger than the allowance's
// bandwidth-delay product fills the queue to its bound (a quarter second of the allowance,
// eni_allowance.h), and every packet of it — and the flow's ACK clock — then sits out that
// quarter second. CoDel watches how long each packet waited (its sojourn time) as it leaves:
// when the flow's packets have all waited more than `target` for at least `interval`, it
// drops one (or, when the sender is ECN-capable, marks it CE — RFC 3168 — and lets it go), then
// the next after interval / sqrt(2), interval / sqrt(3), ... until a packet leaves within the
// target. The sender backs off, and the standing queue shrinks to about `target` of waiting.
//
// A flow with no more than one MTU-sized frame queued behind the one leaving is never judged
// above the target (RFC 8289 section 5.4's MAXPACKET test; the caller tells, small_backlog).
// The fair queue tests against one 1,514-byte frame, not the largest packet it has seen as
// Linux's fq_codel does: that is a 64 KB TSO super-frame here, 26 ms of the allowance at
// 20 Mbit/s, and a flow could keep a super-frame's worth of standing queue (five times the
// target) without ever being judged.
//
// Pure state machine over the times it is given (ns); no allocation, no clock of its own.
#pragma once

#include <cmath>
#include <cstdint>

namespace openvpc::dataplane {

struct CodelSettings {
  bool enabled = true;
  uint64_t target_ns = 5'000'000;      // RFC 8289's 5 ms
  uint64_t interval_ns = 100'000'000;  // RFC 8289's 100 ms
};

// One flow's CoDel variables (RFC 8289 section 5).
struct CodelFlow {
  uint64_t first_above_ns = 0;  // when the sojourn time will have been above target an interval
  uint64_t drop_next_ns = 0;    // the next drop while dropping
  uint32_t count = 0;           // drops since dropping began (carried over a short pause)
  uint32_t last_count = 0;
  bool dropping = false;
};

// Whether the packet leaving `flow` now, after waiting sojourn_ns, is to be dropped (or marked).
// small_backlog: what stays queued in the flow behind it is at most one MTU-sized frame.
inline bool codel_drops(CodelFlow& flow, const CodelSettings& settings, uint64_t now_ns,
                        uint64_t sojourn_ns, bool small_backlog) {
  const auto control_law = [&](uint64_t t, uint32_t count) {
    return t + uint64_t(double(settings.interval_ns) / std::sqrt(double(count)));
  };
  bool ok_to_drop = false;
  if (sojourn_ns < settings.target_ns || small_backlog) {
    flow.first_above_ns = 0;
  } else if (flow.first_above_ns == 0) {
    flow.first_above_ns = now_ns + settings.interval_ns;
  } else {
    ok_to_drop = now_ns >= flow.first_above_ns;
  }
  if (flow.dropping) {
    if (!ok_to_drop) {
      flow.dropping = false;
      return false;
    }
    if (now_ns < flow.drop_next_ns) return false;
    ++flow.count;
    flow.drop_next_ns = control_law(flow.drop_next_ns, flow.count);
    return true;
  }
  if (!ok_to_drop) return false;
  // Dropping again soon after the last time: start near the drop rate that was working then.
  flow.dropping = true;
  const uint32_t delta = flow.count - flow.last_count;
  const bool recently =
      now_ns < flow.drop_next_ns || now_ns - flow.drop_next_ns < 16 * settings.interval_ns;
  flow.count = delta > 1 && recently ? delta : uint32_t{1};
  flow.last_count = flow.count;
  flow.drop_next_ns = control_law(now_ns, flow.count);
  return true;
}

}  // namespace openvpc::dataplane
