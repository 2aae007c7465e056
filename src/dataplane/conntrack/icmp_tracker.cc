#include "dataplane/conntrack/icmp_tracker.h"

#include "dataplane/conntrack/tcp_tracker.h"

namespace openvpc::conntrack {

TrackResult icmp_start(ConnectionState& st, const packet::PacketMeta&, const Timeouts& timeouts) {
  st.packets = 1;
  return TrackResult::accepted(timeouts.icmp);
}

TrackResult icmp_track(ConnectionState& st, const packet::PacketMeta&, Direction dir,
                       const Timeouts& timeouts) {
  if (st.packets < 255) ++st.packets;
  if (dir == Direction::reply) st.tracker_flags |= kTrackerSeenReply;
  return TrackResult::accepted(timeouts.icmp);
}

TrackResult icmp_error_check(const ConnectionState& st, uint8_t protocol,
                             const packet::PacketMeta& meta, Direction quoted_dir) {
  // The error goes back to whoever sent the quoted packet.
  if (meta.tuple.dst != meta.icmp_inner.tuple.src) {
    return TrackResult::dropped(DropReason::icmp_error_no_connection);
  }
  if (protocol == packet::kProtoTcp &&
      !tcp_quoted_sequence_plausible(st, quoted_dir, meta.icmp_inner.tcp_seq)) {
    return TrackResult::dropped(DropReason::icmp_error_out_of_window);
  }
  return {Verdict::accept_related, DropReason::none, 0};
}

}  // namespace openvpc::conntrack
