// parse_icmp.cc — ICMP (RFC 792) and ICMPv6 (RFC 4443, ND of RFC 4861): echo, errors with the
// quoted original header, neighbor/router discovery.
#include "packet/headers.h"
#include "packet/parse_internal.h"

namespace openvpc::packet::detail {
namespace {

bool is_icmpv4_error(uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}
bool is_icmpv4_echo(uint8_t type) {
  return type == 0 || type == 8;
}
bool is_icmpv6_error(uint8_t type) {
  return type >= 1 && type <= 4;
}
bool is_icmpv6_echo(uint8_t type) {
  return type == 128 || type == 129;
}

// Fills the common ICMP fields; the 8-byte header is present.
void read_icmp_header(ParseState& state, size_t offset, bool is_echo, bool is_error) {
  PacketMeta& meta = state.meta;
  const IcmpView icmp(state.data + offset);
  meta.icmp.type = icmp.type();
  meta.icmp.code = icmp.code();
  meta.icmp.rest = icmp.rest();
  meta.icmp.is_error = is_error;
  if (is_echo) {
    meta.icmp.id = icmp.echo_id();
    meta.icmp.sequence = icmp.echo_sequence();
    meta.tuple.src_port = icmp.echo_id();
    meta.tuple.dst_port = icmp.echo_id();
  }
  meta.l4_offset = uint16_t(offset);
  meta.payload_offset = uint16_t(offset + kIcmpHeaderSize);
}

// ND options: type, length in units of 8 bytes (never 0), RFC 4861 §4.6.
bool nd_options_well_formed(const uint8_t* options, size_t size) {
  size_t at = 0;
  while (at < size) {
    if (size - at < 2) return false;
    const size_t length = size_t(options[at + 1]) * 8;
    if (length == 0 || length > size - at) return false;
    at += length;
  }
  return true;
}

// The first bytes of the quoted upper layer: ports, TCP sequence, echo id.
void read_quoted_l4(const uint8_t* data, size_t offset, size_t end, IcmpInner& inner) {
  if (end - offset < 8) return;  // RFC 792 quotes 8 bytes; anything less is unusable
  const uint8_t* p = data + offset;
  FiveTuple& tuple = inner.tuple;
  inner.l4_offset = uint16_t(offset);
  switch (tuple.protocol) {
    case kProtoTcp:
      inner.tcp_seq = load_be32(p + 4);
      [[fallthrough]];
    case kProtoUdp:
      tuple.src_port = load_be16(p);
      tuple.dst_port = load_be16(p + 2);
      break;
    case kProtoIcmp:
    case kProtoIcmpv6:
      if (is_icmpv4_echo(p[0]) || is_icmpv6_echo(p[0])) {
        tuple.src_port = load_be16(p + 4);
        tuple.dst_port = tuple.src_port;
      }
      break;
    default:
      break;
  }
}

void parse_quoted_ipv4(const uint8_t* data, size_t offset, size_t end, IcmpInner& inner) {
  if (end - offset < kIpv4MinHeaderSize) return;
  const Ipv4View ip(data + offset);
  if (ip.ihl() < 5 || ip.header_size() > end - offset) return;
  inner.present = true;
  inner.tuple.src = ip.src();
  inner.tuple.dst = ip.dst();
  inner.tuple.protocol = ip.protocol();
  inner.tuple.ip_version = 4;
  if (ip.fragment_offset() == 0) read_quoted_l4(data, offset + ip.header_size(), end, inner);
}

void parse_quoted_ipv6(const uint8_t* data, size_t offset, size_t end, IcmpInner& inner) {
  if (end - offset < kIpv6HeaderSize) return;
  const Ipv6View ip(data + offset);
  inner.present = true;
  inner.tuple.src = ip.src();
  inner.tuple.dst = ip.dst();
  inner.tuple.ip_version = 6;
  uint8_t next = ip.next_header();
  size_t at = offset + kIpv6HeaderSize;
  for (int walked = 0; walked < kMaxIpv6Extensions; ++walked) {
    const bool is_extension = next == 0 || next == 43 || next == 44 || next == 60;
    if (!is_extension || end - at < 8) break;
    const uint8_t* p = data + at;
    if (next == 44 && (load_be16(p + 2) & 0xfff8) != 0) {
      inner.tuple.protocol = p[0];
      return;  // a later fragment: no ports in the quote
    }
    next = p[0];
    at += next == 44 ? 8 : (size_t(p[1]) + 1) * 8;
    if (at > end) return;
  }
  inner.tuple.protocol = next;
  read_quoted_l4(data, at, end, inner);
}

}  // namespace

void parse_icmp_quote(const uint8_t* data, size_t offset, size_t end, IcmpInner& inner) {
  if (offset >= end) return;
  inner.l3_offset = uint16_t(offset);
  switch (data[offset] >> 4) {
    case 4:
      return parse_quoted_ipv4(data, offset, end, inner);
    case 6:
      return parse_quoted_ipv6(data, offset, end, inner);
    default:
      return;
  }
}

void parse_icmp(ParseState& state, size_t offset, size_t end) {
  if (end - offset < kIcmpHeaderSize) return fail(state, ParseError::icmp_truncated);
  const uint8_t type = state.data[offset];
  const bool is_error = is_icmpv4_error(type);
  read_icmp_header(state, offset, is_icmpv4_echo(type), is_error);
  if (is_error) {
    parse_icmp_quote(state.data, offset + kIcmpHeaderSize, end, state.meta.icmp_inner);
  }
}

void parse_icmpv6(ParseState& state, size_t offset, size_t end) {
  if (end - offset < kIcmpHeaderSize) return fail(state, ParseError::icmpv6_truncated);
  const uint8_t type = state.data[offset];
  const size_t nd_size = nd_fixed_size(type);
  if (nd_size != 0) {
    if (end - offset < nd_size) return fail(state, ParseError::icmpv6_nd_truncated);
    if (!nd_options_well_formed(state.data + offset + nd_size, end - offset - nd_size)) {
      return fail(state, ParseError::icmpv6_nd_option_bad_length);
    }
  }
  const bool is_error = is_icmpv6_error(type);
  read_icmp_header(state, offset, is_icmpv6_echo(type), is_error);
  if (is_error) {
    parse_icmp_quote(state.data, offset + kIcmpHeaderSize, end, state.meta.icmp_inner);
  }
}

}  // namespace openvpc::packet::detail
