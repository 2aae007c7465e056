// connection_state.h — the compact per-connection record the trackers own.
//
// ConnectionState is what a per-protocol tracker reads and updates for one packet; it is the
// same 36 bytes for every protocol (TCP uses the two peers, the others only the first
// bytes), so a connection-table slot is key (40) + expiry/generation (8) + state (36) + the
// load balancer it came through (4) = 88 bytes. Trackers are plain functions (tcp_tracker.h,
// udp_tracker.h, icmp_tracker.h, other_tracker.h) dispatched by a switch on the protocol: no
// virtual call, no allocation, no exception per packet.
//
// TcpPeer follows Linux nf_conntrack_proto_tcp's ip_ct_tcp_state: per direction, the highest
// sequence sent (end), the highest sequence the other side allows it to send (maxend), the
// largest window it advertised itself (maxwin, scaled), and its window scale.
#pragma once

#include <cstdint>

#include "dataplane/conntrack/track_verdict.h"

namespace openvpc::conntrack {

enum class TcpConnState : uint8_t {
  none = 0,
  syn_sent,
  syn_recv,
  established,
  fin_wait,    // one side sent FIN
  close_wait,  // that FIN was acknowledged; the other side has not closed yet
  last_ack,    // both sides sent FIN, not both acknowledged
  time_wait,   // both FINs acknowledged
  closed,      // RST seen
};
const char* to_string(TcpConnState state);

// TcpPeer::flags
inline constexpr uint8_t kPeerWindowScale = 0x01;  // sent the window-scale option on its SYN
inline constexpr uint8_t kPeerSentAck = 0x02;      // sent a valid ACK (handshake progress)
inline constexpr uint8_t kPeerSentFin = 0x04;
inline constexpr uint8_t kPeerFinAcked = 0x08;  // its FIN was acknowledged
inline constexpr uint8_t kPeerSentSyn = 0x10;

struct TcpPeer {
  uint32_t end = 0;     // highest sequence number sent + 1 (SYN and FIN count one)
  uint32_t maxend = 0;  // highest end the receiver's ACK + window allows
  uint32_t maxwin = 0;  // largest window this peer advertised, scaled; 0: not seen yet
  uint8_t scale = 0;    // window scale shift for this peer's advertised windows
  uint8_t flags = 0;    // kPeer*
  uint16_t reserved = 0;
};

// ConnectionState::entry_flags (owned by the connection table, not the trackers).
inline constexpr uint8_t kEntryInitiatorIsLow = 0x01;
inline constexpr uint8_t kEntryUntracked = 0x02;
inline constexpr uint8_t kEntryCounted = 0x04;  // counts against the ENI's allowance

// ConnectionState::tracker_flags
inline constexpr uint8_t kTrackerPickedUp = 0x01;   // TCP: tracked from mid-stream
inline constexpr uint8_t kTrackerSeenReply = 0x02;  // any protocol: reply traffic seen
inline constexpr uint8_t kTrackerUdpStream = 0x04;  // UDP: a stream, not a single exchange

struct ConnectionState {
  uint8_t protocol_state = 0;  // TcpConnState for TCP
  uint8_t tracker_flags = 0;
  uint8_t entry_flags = 0;
  uint8_t packets = 0;  // saturating count of packets seen
  TcpPeer peer[2];      // indexed by Direction; TCP only

  TcpConnState tcp_state() const { return TcpConnState(protocol_state); }
};
static_assert(sizeof(ConnectionState) == 36);

}  // namespace openvpc::conntrack
