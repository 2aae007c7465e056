// parse_l4.cc — the upper-layer dispatch, TCP (RFC 9293, options of RFC 7323 / 2018) and UDP.
#include "packet/headers.h"
#include "packet/parse_internal.h"

namespace openvpc::packet::detail {
namespace {

constexpr uint8_t kTcpOptionEnd = 0;
constexpr uint8_t kTcpOptionNop = 1;
constexpr uint8_t kTcpOptionMss = 2;
constexpr uint8_t kTcpOptionWindowScale = 3;
constexpr uint8_t kTcpOptionSackPermitted = 4;
constexpr uint8_t kTcpOptionTimestamps = 8;

// The fixed length of a known option, 0 for options of variable length (e.g. SACK blocks).
uint8_t tcp_option_fixed_length(uint8_t kind) {
  switch (kind) {
    case kTcpOptionMss:
      return 4;
    case kTcpOptionWindowScale:
      return 3;
    case kTcpOptionSackPermitted:
      return 2;
    case kTcpOptionTimestamps:
      return 10;
    default:
      return 0;
  }
}

void read_tcp_option(uint8_t kind, const uint8_t* value, TcpInfo& tcp) {
  switch (kind) {
    case kTcpOptionMss:
      tcp.mss = load_be16(value);
      break;
    case kTcpOptionWindowScale:
      tcp.window_scale = value[0];
      break;
    case kTcpOptionSackPermitted:
      tcp.sack_permitted = true;
      break;
    case kTcpOptionTimestamps:
      tcp.has_timestamps = true;
      tcp.ts_value = load_be32(value);
      tcp.ts_echo = load_be32(value + 4);
      break;
    default:
      break;
  }
}

ParseError parse_tcp_options(const uint8_t* options, size_t size, TcpInfo& tcp) {
  size_t at = 0;
  while (at < size) {
    const uint8_t kind = options[at];
    if (kind == kTcpOptionEnd) break;
    if (kind == kTcpOptionNop) {
      ++at;
      continue;
    }
    if (size - at < 2) return ParseError::tcp_option_truncated;
    const uint8_t length = options[at + 1];
    if (length < 2) return ParseError::tcp_option_bad_length;
    if (length > size - at) return ParseError::tcp_option_truncated;
    const uint8_t fixed = tcp_option_fixed_length(kind);
    if (fixed != 0 && length != fixed) return ParseError::tcp_option_bad_length;
    read_tcp_option(kind, options + at + 2, tcp);
    at += length;
  }
  return ParseError::none;
}

}  // namespace

void parse_l4(ParseState& state, uint8_t protocol, size_t offset, size_t end) {
  switch (protocol) {
    case kProtoTcp:
      return parse_tcp(state, offset, end);
    case kProtoUdp:
      return parse_udp(state, offset, end);
    case kProtoIcmp:
      if (state.meta.ip_version == 4) return parse_icmp(state, offset, end);
      break;
    case kProtoIcmpv6:
      if (state.meta.ip_version == 6) return parse_icmpv6(state, offset, end);
      break;
    default:
      break;
  }
  // Another protocol: its header starts here; conntrack tracks it by addresses only.
  state.meta.l4_offset = uint16_t(offset);
  state.meta.payload_offset = uint16_t(offset);
}

void parse_tcp(ParseState& state, size_t offset, size_t end) {
  PacketMeta& meta = state.meta;
  if (end - offset < kTcpMinHeaderSize) return fail(state, ParseError::tcp_truncated);
  const uint8_t* p = state.data + offset;
  const TcpView tcp(p);
  const size_t header_size = tcp.header_size();
  if (header_size < kTcpMinHeaderSize || header_size > end - offset) {
    return fail(state, ParseError::tcp_bad_data_offset);
  }
  TcpInfo info;
  const ParseError options_error =
      parse_tcp_options(p + kTcpMinHeaderSize, header_size - kTcpMinHeaderSize, info);
  if (options_error != ParseError::none) return fail(state, options_error);
  info.seq = tcp.seq();
  info.ack = tcp.ack();
  info.window = tcp.window();
  info.flags = tcp.flags();
  info.payload_size = uint16_t(end - offset - header_size);
  meta.tcp = info;
  meta.tuple.src_port = tcp.src_port();
  meta.tuple.dst_port = tcp.dst_port();
  meta.l4_offset = uint16_t(offset);
  meta.payload_offset = uint16_t(offset + header_size);
}

void parse_udp(ParseState& state, size_t offset, size_t end) {
  PacketMeta& meta = state.meta;
  if (end - offset < kUdpHeaderSize) return fail(state, ParseError::udp_truncated);
  const UdpView udp(state.data + offset);
  const size_t length = udp.length();
  // The first fragment of a datagram carries the length of the whole datagram.
  const bool whole_datagram = !meta.fragment.more_fragments;
  if (length < kUdpHeaderSize || (whole_datagram && length > end - offset)) {
    return fail(state, ParseError::udp_bad_length);
  }
  meta.tuple.src_port = udp.src_port();
  meta.tuple.dst_port = udp.dst_port();
  meta.l4_offset = uint16_t(offset);
  meta.payload_offset = uint16_t(offset + kUdpHeaderSize);
  if (udp.dst_port() == kGenevePort && whole_datagram && state.decapsulate) {
    parse_geneve(state, offset + kUdpHeaderSize, offset + length);
  }
}

}  // namespace openvpc::packet::detail
