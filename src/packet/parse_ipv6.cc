// parse_ipv6.cc — IPv6 header (RFC 8200) and its extension-header chain: hop-by-hop (0),
// routing (43), fragment (44), destination options (60). The chain is bounded by
// kMaxIpv6Extensions; the upper-layer protocol is the first next-header that is none of these.
#include "packet/headers.h"
#include "packet/parse_internal.h"

namespace openvpc::packet::detail {
namespace {

constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kDestinationOptions = 60;
constexpr size_t kFragmentHeaderSize = 8;

bool is_extension(uint8_t next_header) {
  return next_header == kHopByHop || next_header == kRouting || next_header == kFragment ||
         next_header == kDestinationOptions;
}

// Fills meta.fragment from a fragment header at p (8 bytes present).
void read_fragment_header(const uint8_t* p, FragmentInfo& fragment) {
  const uint16_t offset_and_flags = load_be16(p + 2);
  fragment.offset = uint16_t(offset_and_flags & 0xfff8);
  fragment.more_fragments = offset_and_flags & 1;
  fragment.id = load_be32(p + 4);
  fragment.is_fragment = true;  // even an atomic fragment (RFC 6946) carries the header
}

}  // namespace

void parse_ipv6(ParseState& state, size_t offset) {
  PacketMeta& meta = state.meta;
  const size_t available = state.limit - offset;
  if (available < kIpv6HeaderSize) return fail(state, ParseError::ipv6_truncated);
  const Ipv6View ip(state.data + offset);
  if (ip.version() != 6) return fail(state, ParseError::ipv6_bad_version);
  const size_t total = kIpv6HeaderSize + ip.payload_length();
  if (total > available) return fail(state, ParseError::ipv6_payload_length_beyond_buffer);

  meta.ip_version = 6;
  meta.l3_offset = uint16_t(offset);
  meta.l3_size = uint16_t(total);
  meta.ttl = ip.hop_limit();
  meta.tos = ip.traffic_class();
  FiveTuple& tuple = meta.tuple;
  tuple.src = ip.src();
  tuple.dst = ip.dst();
  tuple.ip_version = 6;

  const size_t end = offset + total;
  size_t at = offset + kIpv6HeaderSize;
  uint8_t next = ip.next_header();
  bool seen_fragment = false;
  while (is_extension(next)) {
    if (meta.ipv6_extension_count == kMaxIpv6Extensions) {
      return fail(state, ParseError::ipv6_extension_chain_too_long);
    }
    if (next == kHopByHop && meta.ipv6_extension_count != 0) {
      return fail(state, ParseError::ipv6_hop_by_hop_not_first);
    }
    const uint8_t* p = state.data + at;
    size_t header_size = kFragmentHeaderSize;
    if (next == kFragment) {
      if (end - at < kFragmentHeaderSize) return fail(state, ParseError::ipv6_extension_truncated);
      if (seen_fragment) return fail(state, ParseError::ipv6_fragment_header_repeated);
      seen_fragment = true;
      read_fragment_header(p, meta.fragment);
      if (meta.fragment.offset != 0) {  // a later fragment: what follows is payload
        ++meta.ipv6_extension_count;
        tuple.protocol = p[0];
        return;
      }
    } else {
      if (end - at < 2) return fail(state, ParseError::ipv6_extension_truncated);
      header_size = (size_t(p[1]) + 1) * 8;
      if (end - at < header_size) return fail(state, ParseError::ipv6_extension_truncated);
    }
    ++meta.ipv6_extension_count;
    next = p[0];
    at += header_size;
  }
  tuple.protocol = next;
  parse_l4(state, next, at, end);
}

}  // namespace openvpc::packet::detail
