// dns_tcp.cc — the stateless DNS-over-TCP responder (see dns_tcp.h for the segments it
// answers and its limits).
#include "dataplane/services/dns_tcp.h"

#include <algorithm>

#include "dataplane/services/dns_message.h"
#include "dataplane/services/reply_frame.h"
#include "packet/bytes.h"
#include "packet/dns.h"
#include "packet/headers.h"

namespace openvpc::dataplane::services {
namespace {

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;

constexpr size_t kLengthPrefixSize = 2;
constexpr size_t kIpv4TcpHeadersSize = packet::kIpv4MinHeaderSize + packet::kTcpMinHeaderSize;

uint64_t mix(uint64_t x) {  // the splitmix64 finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

TcpReplySegment segment_to(const ReplyContext& c) {
  TcpReplySegment s;
  s.addressing.src_mac = c.globals.router_mac;
  s.addressing.dst_mac = c.eni.mac;
  s.addressing.src_ip = c.meta.tuple.dst;
  s.addressing.dst_ip = c.meta.tuple.src;
  s.addressing.src_port = c.meta.tuple.dst_port;
  s.addressing.dst_port = c.meta.tuple.src_port;
  return s;
}

// RFC 9293 §3.10.7.1: a reset takes its sequence number from the segment's ACK field, or
// acknowledges the segment when it had none.
ReplyResult reset(const ReplyContext& c, ServicesEvent event) {
  if (c.out.size() < kTcpPayloadOffset) return {0, ServicesEvent::dropped_reply_too_large};
  const packet::TcpInfo& tcp = c.meta.tcp;
  TcpReplySegment s = segment_to(c);
  s.window = 0;
  if (tcp.flags & kTcpAck) {
    s.seq = tcp.ack;
    s.flags = kTcpRst;
  } else {
    const uint32_t length = uint32_t(tcp.payload_size) + ((tcp.flags & kTcpSyn) ? 1 : 0) +
                            ((tcp.flags & kTcpFin) ? 1 : 0);
    s.ack = tcp.seq + length;
    s.flags = kTcpRst | kTcpAck;
  }
  return {write_tcp_frame(c.out.data(), s, 0), event};
}

ReplyResult syn_ack(const ReplyContext& c) {
  if (c.out.size() < kTcpSynAckSize) return {0, ServicesEvent::dropped_reply_too_large};
  const packet::TcpInfo& tcp = c.meta.tcp;
  TcpReplySegment s = segment_to(c);
  s.seq = dns_tcp_initial_sequence(c.globals.dns_tcp_isn_key, c.meta.tuple, tcp.seq);
  s.ack = tcp.seq + 1;  // data on a SYN (TCP Fast Open) is not taken: the client resends it
  s.flags = kTcpSyn | kTcpAck;
  s.mss = uint16_t(std::max<size_t>(c.globals.mtu, 576) - kIpv4TcpHeadersSize);
  return {write_tcp_frame(c.out.data(), s, 0), ServicesEvent::dns_tcp_handshake};
}

ReplyResult fin_ack(const ReplyContext& c) {
  if (c.out.size() < kTcpPayloadOffset) return {0, ServicesEvent::dropped_reply_too_large};
  TcpReplySegment s = segment_to(c);
  s.seq = c.meta.tcp.ack;
  s.ack = c.meta.tcp.seq + 1;
  s.flags = kTcpFin | kTcpAck;
  return {write_tcp_frame(c.out.data(), s, 0), ServicesEvent::dns_tcp_closed};
}

ReplyResult answer(const ReplyContext& c, std::span<const uint8_t> payload) {
  const packet::TcpInfo& tcp = c.meta.tcp;
  if (payload.size() < kLengthPrefixSize) {
    return reset(c, ServicesEvent::dns_tcp_reset_partial_message);
  }
  const size_t message_size = packet::load_be16(payload.data());
  if (payload.size() - kLengthPrefixSize < message_size) {
    return reset(c, ServicesEvent::dns_tcp_reset_partial_message);
  }
  const size_t message_offset = kTcpPayloadOffset + kLengthPrefixSize;
  const size_t mss = std::max<size_t>(c.globals.mtu, 576) - kIpv4TcpHeadersSize;
  if (c.out.size() <= message_offset) return {0, ServicesEvent::dropped_reply_too_large};
  const size_t room = std::min(c.out.size() - message_offset, mss - kLengthPrefixSize);
  const DnsMessageResult result =
      answer_dns_message(c, payload.subspan(kLengthPrefixSize, message_size),
                         c.out.subspan(message_offset, room), DnsTransport::tcp);
  if (result.size == 0) return reset(c, result.event);
  packet::store_be16(c.out.data() + kTcpPayloadOffset, uint16_t(result.size));
  const size_t consumed = kLengthPrefixSize + message_size;
  const bool closing = (tcp.flags & kTcpFin) && consumed == payload.size();
  TcpReplySegment s = segment_to(c);
  s.seq = tcp.ack;
  s.ack = tcp.seq + uint32_t(consumed) + (closing ? 1 : 0);
  s.flags = kTcpAck | kTcpPsh | (closing ? kTcpFin : 0);
  return {write_tcp_frame(c.out.data(), s, kLengthPrefixSize + result.size), result.event};
}

}  // namespace

uint32_t dns_tcp_initial_sequence(uint64_t key, const packet::FiveTuple& tuple,
                                  uint32_t client_isn) {
  const uint64_t addresses = uint64_t(tuple.src.v4_host_order()) << 32 | tuple.dst.v4_host_order();
  const uint64_t ports =
      uint64_t(tuple.src_port) << 48 | uint64_t(tuple.dst_port) << 32 | client_isn;
  return uint32_t(mix(mix(key ^ addresses) ^ ports));
}

ReplyResult reply_dns_tcp(const ReplyContext& c) {
  const packet::TcpInfo& tcp = c.meta.tcp;
  if (tcp.flags & kTcpRst) return {0, ServicesEvent::dns_tcp_ignored_reset};
  if (tcp.flags & kTcpSyn) {
    return (tcp.flags & (kTcpAck | kTcpFin)) ? reset(c, ServicesEvent::dns_tcp_reset_unexpected)
                                             : syn_ack(c);
  }
  if (!(tcp.flags & kTcpAck)) return reset(c, ServicesEvent::dns_tcp_reset_unexpected);
  const size_t end = size_t(c.meta.payload_offset) + tcp.payload_size;
  if (end > c.frame.size()) return reset(c, ServicesEvent::dns_tcp_reset_partial_message);
  if (tcp.payload_size != 0) {
    return answer(c, c.frame.subspan(c.meta.payload_offset, tcp.payload_size));
  }
  return (tcp.flags & kTcpFin) ? fin_ack(c) : ReplyResult{0, ServicesEvent::dns_tcp_ignored_ack};
}

}  // namespace openvpc::dataplane::services
