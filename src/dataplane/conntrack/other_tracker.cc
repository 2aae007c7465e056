#include "dataplane/conntrack/other_tracker.h"

namespace openvpc::conntrack {

TrackResult other_start(ConnectionState& st, const packet::PacketMeta&, const Timeouts& timeouts) {
  st.packets = 1;
  return TrackResult::accepted(timeouts.other);
}

TrackResult other_track(ConnectionState& st, const packet::PacketMeta&, Direction dir,
                        const Timeouts& timeouts) {
  if (st.packets < 255) ++st.packets;
  if (dir == Direction::reply) st.tracker_flags |= kTrackerSeenReply;
  return TrackResult::accepted(timeouts.other);
}

}  // namespace openvpc::conntrack
