// minimal_trackers.cc — timeouts only; see protocol_trackers.h for what replaces this.
#include "dataplane/conntrack/protocol_trackers.h"

namespace openvpc::dataplane::conntrack {
namespace {

void count(Connection& c, bool from_initiator) {
  auto& s = c.protocol_state;
  (from_initiator ? s.packets_from_initiator : s.packets_from_responder)++;
}

}  // namespace

void tcp_start(Connection& c, const packet::PacketMeta& meta, uint32_t now) {
  c.state = ConnectionState::opening;
  c.protocol_state.tcp_flags_seen_initiator = meta.tcp.flags;
  count(c, true);
  c.expires_at = now + kTcpOpeningTimeout;
}

void tcp_advance(Connection& c, const packet::PacketMeta& meta, bool from_initiator, uint32_t now) {
  auto& s = c.protocol_state;
  (from_initiator ? s.tcp_flags_seen_initiator : s.tcp_flags_seen_responder) |= meta.tcp.flags;
  count(c, from_initiator);
  if (meta.tcp.flags & packet::kTcpRst) {
    c.state = ConnectionState::closing;
    c.expires_at = now;  // gone at the next second
    return;
  }
  if (c.state == ConnectionState::opening && s.packets_from_responder > 0) {
    c.state = ConnectionState::established;
  }
  const bool both_fin = (s.tcp_flags_seen_initiator & packet::kTcpFin) &&
                        (s.tcp_flags_seen_responder & packet::kTcpFin);
  if (both_fin) c.state = ConnectionState::closing;
  switch (c.state) {
    case ConnectionState::opening:
      c.expires_at = now + kTcpOpeningTimeout;
      break;
    case ConnectionState::established:
      c.expires_at = now + kTcpEstablishedTimeout;
      break;
    case ConnectionState::closing:
      c.expires_at = now + kTcpClosingTimeout;
      break;
  }
}

void udp_start(Connection& c, const packet::PacketMeta&, uint32_t now) {
  c.state = ConnectionState::opening;
  count(c, true);
  c.expires_at = now + kUdpSingleExchangeTimeout;
}

void udp_advance(Connection& c, const packet::PacketMeta&, bool from_initiator, uint32_t now) {
  count(c, from_initiator);
  const auto& s = c.protocol_state;
  // A stream: traffic seen both ways more than once (REFERENCE.md).
  const bool stream =
      s.packets_from_responder > 0 && s.packets_from_initiator + s.packets_from_responder > 2;
  if (s.packets_from_responder > 0) c.state = ConnectionState::established;
  c.expires_at = now + (stream ? kUdpStreamTimeout : kUdpSingleExchangeTimeout);
}

void icmp_start(Connection& c, const packet::PacketMeta&, uint32_t now) {
  c.state = ConnectionState::opening;
  count(c, true);
  c.expires_at = now + kIcmpTimeout;
}

void icmp_advance(Connection& c, const packet::PacketMeta&, bool from_initiator, uint32_t now) {
  count(c, from_initiator);
  if (!from_initiator) c.state = ConnectionState::established;
  c.expires_at = now + kIcmpTimeout;
}

void other_start(Connection& c, const packet::PacketMeta&, uint32_t now) {
  c.state = ConnectionState::opening;
  count(c, true);
  c.expires_at = now + kOtherProtocolTimeout;
}

void other_advance(Connection& c, const packet::PacketMeta&, bool from_initiator, uint32_t now) {
  count(c, from_initiator);
  if (!from_initiator) c.state = ConnectionState::established;
  c.expires_at = now + kOtherProtocolTimeout;
}

}  // namespace openvpc::dataplane::conntrack
