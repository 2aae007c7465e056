#include "dataplane/conntrack/udp_tracker.h"

namespace openvpc::conntrack {

TrackResult udp_start(ConnectionState& st, const packet::PacketMeta&, const Timeouts& timeouts) {
  st.packets = 1;
  return TrackResult::accepted(timeouts.udp_single);
}

TrackResult udp_track(ConnectionState& st, const packet::PacketMeta&, Direction dir,
                      const Timeouts& timeouts) {
  if (st.packets < 255) ++st.packets;
  if (dir == Direction::reply) st.tracker_flags |= kTrackerSeenReply;
  if ((st.tracker_flags & kTrackerSeenReply) && st.packets > 2) {
    st.tracker_flags |= kTrackerUdpStream;
  }
  const bool stream = st.tracker_flags & kTrackerUdpStream;
  return TrackResult::accepted(stream ? timeouts.udp_stream : timeouts.udp_single);
}

}  // namespace openvpc::conntrack
