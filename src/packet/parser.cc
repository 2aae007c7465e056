// parser.cc — entry points of the one-pass parser and the names of its errors.
#include "packet/parser.h"

#include <array>

#include "packet/parse_internal.h"

namespace openvpc::packet {
namespace {

constexpr std::array<std::string_view, kParseErrorCount> kParseErrorNames = {
    "none",
    "ethernet_truncated",
    "vlan_truncated",
    "arp_truncated",
    "arp_unsupported",
    "ipv4_truncated",
    "ipv4_bad_version",
    "ipv4_bad_ihl",
    "ipv4_options_truncated",
    "ipv4_total_length_too_short",
    "ipv4_total_length_beyond_buffer",
    "ipv6_truncated",
    "ipv6_bad_version",
    "ipv6_payload_length_beyond_buffer",
    "ipv6_extension_truncated",
    "ipv6_extension_chain_too_long",
    "ipv6_fragment_header_repeated",
    "tcp_truncated",
    "tcp_bad_data_offset",
    "tcp_option_truncated",
    "tcp_option_bad_length",
    "udp_truncated",
    "udp_bad_length",
    "icmp_truncated",
    "icmpv6_truncated",
    "geneve_truncated",
    "geneve_bad_version",
    "geneve_options_beyond_packet",
    "geneve_option_bad_length",
    "geneve_vpc_option_bad_length",
    "geneve_unsupported_protocol",
    "geneve_critical_option_unknown",
    "inner_packet_malformed",
    "ip_bad_version",
    "ipv4_option_bad_length",
    "icmpv6_nd_truncated",
    "icmpv6_nd_option_bad_length",
    "ipv6_hop_by_hop_not_first",
};

// Offsets in PacketMeta are 16 bits; no IP packet is longer, so bytes past 64 KiB of a
// buffer are trailer and never read.
constexpr size_t kMaxParsedSize = 65535;

size_t parse_limit(std::span<const uint8_t> bytes) {
  return bytes.size() < kMaxParsedSize ? bytes.size() : kMaxParsedSize;
}

}  // namespace

std::string_view to_string(ParseError error) {
  const auto index = size_t(error);
  return index < kParseErrorNames.size() ? kParseErrorNames[index] : "unknown";
}

PacketMeta parse_frame(std::span<const uint8_t> frame) {
  PacketMeta meta;
  detail::ParseState state{frame.data(), parse_limit(frame), meta};
  meta.size = uint16_t(state.limit);
  detail::parse_ethernet(state);
  return meta;
}

PacketMeta parse_ip(std::span<const uint8_t> packet) {
  PacketMeta meta;
  detail::ParseState state{packet.data(), parse_limit(packet), meta, /*decapsulate=*/true};
  meta.size = uint16_t(state.limit);
  detail::parse_ip_at(state, 0);
  return meta;
}

namespace detail {

void parse_ip_at(ParseState& state, size_t offset) {
  if (offset >= state.limit) {
    // Not even a version nibble: report it as the family-neutral truncation.
    return fail(state, ParseError::ipv4_truncated);
  }
  switch (state.data[offset] >> 4) {
    case 4:
      return parse_ipv4(state, offset);
    case 6:
      return parse_ipv6(state, offset);
    default:
      return fail(state, ParseError::ip_bad_version);
  }
}

}  // namespace detail
}  // namespace openvpc::packet
