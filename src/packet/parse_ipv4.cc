// parse_ipv4.cc — IPv4 header (RFC 791): IHL, options, total length, fragments.
#include "packet/headers.h"
#include "packet/parse_internal.h"

namespace openvpc::packet::detail {
namespace {

// Options are type-length-value except End of Option List (0) and No Operation (1).
bool ipv4_options_well_formed(const uint8_t* options, size_t size) {
  size_t at = 0;
  while (at < size) {
    const uint8_t type = options[at];
    if (type == 0) return true;
    if (type == 1) {
      ++at;
      continue;
    }
    if (size - at < 2) return false;
    const uint8_t length = options[at + 1];
    if (length < 2 || length > size - at) return false;
    at += length;
  }
  return true;
}

}  // namespace

void parse_ipv4(ParseState& state, size_t offset) {
  PacketMeta& meta = state.meta;
  const size_t available = state.limit - offset;
  if (available < kIpv4MinHeaderSize) return fail(state, ParseError::ipv4_truncated);
  const uint8_t* p = state.data + offset;
  const Ipv4View ip(p);
  if (ip.version() != 4) return fail(state, ParseError::ipv4_bad_version);
  if (ip.ihl() < 5) return fail(state, ParseError::ipv4_bad_ihl);
  const size_t header_size = ip.header_size();
  if (header_size > available) return fail(state, ParseError::ipv4_options_truncated);
  const size_t total = ip.total_length();
  if (total < header_size) return fail(state, ParseError::ipv4_total_length_too_short);
  if (total > available) return fail(state, ParseError::ipv4_total_length_beyond_buffer);
  if (header_size > kIpv4MinHeaderSize &&
      !ipv4_options_well_formed(p + kIpv4MinHeaderSize, header_size - kIpv4MinHeaderSize)) {
    return fail(state, ParseError::ipv4_option_bad_length);
  }

  meta.ip_version = 4;
  meta.l3_offset = uint16_t(offset);
  meta.l3_size = uint16_t(total);
  meta.ttl = ip.ttl();
  meta.tos = ip.tos();
  meta.ipv4_ihl = ip.ihl();
  FragmentInfo& fragment = meta.fragment;
  fragment.dont_fragment = ip.dont_fragment();
  fragment.more_fragments = ip.more_fragments();
  fragment.offset = ip.fragment_offset();
  fragment.id = ip.id();
  fragment.is_fragment = fragment.more_fragments || fragment.offset != 0;
  FiveTuple& tuple = meta.tuple;
  tuple.src = ip.src();
  tuple.dst = ip.dst();
  tuple.protocol = ip.protocol();
  tuple.ip_version = 4;
  // A later fragment has no upper-layer header; conntrack ties it to the first by IP id.
  if (fragment.offset != 0) return;
  parse_l4(state, ip.protocol(), offset + header_size, offset + total);
}

}  // namespace openvpc::packet::detail
