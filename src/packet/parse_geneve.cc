// parse_geneve.cc — Geneve (RFC 8926) header and options, openvpc's VPC option, and the
// inner IP packet, which then fills the main layer-3/4 fields of PacketMeta.
#include "packet/geneve.h"
#include "packet/headers.h"
#include "packet/parse_internal.h"

namespace openvpc::packet::detail {
namespace {

// Walks the options area [p, p + size); fills the VPC option into geneve.
ParseError parse_geneve_options(const uint8_t* p, size_t size, GeneveInfo& geneve) {
  size_t at = 0;
  while (at < size) {
    if (size - at < kGeneveOptionHeaderSize) return ParseError::geneve_option_bad_length;
    const GeneveOptionView option(p + at);
    const size_t data_size = option.data_size();
    if (data_size > size - at - kGeneveOptionHeaderSize) {
      return ParseError::geneve_option_bad_length;
    }
    const bool is_vpc_option =
        option.option_class() == kVpcOptionClass && (option.type() & 0x7f) == kVpcOptionType;
    if (is_vpc_option) {
      if (data_size != kVpcOptionDataSize) return ParseError::geneve_vpc_option_bad_length;
      geneve.has_vpc_option = true;
      geneve.source_eni = load_be32(option.data());
      geneve.destination_eni = load_be32(option.data() + 4);
      geneve.vpc_flags = load_be16(option.data() + 8);
      geneve.gso_size = load_be16(option.data() + 10);
    } else if (option.critical()) {
      return ParseError::geneve_critical_option_unknown;
    }
    at += kGeneveOptionHeaderSize + data_size;
  }
  return ParseError::none;
}

// The outer packet's layer-3/4 fields move to meta.geneve; the inner packet starts clean.
void move_outer_to_geneve(PacketMeta& meta) {
  GeneveInfo& geneve = meta.geneve;
  geneve.outer_src = meta.tuple.src;
  geneve.outer_dst = meta.tuple.dst;
  geneve.outer_src_port = meta.tuple.src_port;
  geneve.outer_dst_port = meta.tuple.dst_port;
  geneve.outer_ttl = meta.ttl;
  geneve.outer_tos = meta.tos;
  meta.l3_offset = 0;
  meta.l3_size = 0;
  meta.ip_version = 0;
  meta.ttl = 0;
  meta.tos = 0;
  meta.ipv4_ihl = 0;
  meta.ipv6_extension_count = 0;
  meta.fragment = FragmentInfo{};
  meta.l4_offset = 0;
  meta.payload_offset = 0;
  meta.tuple = FiveTuple{};
}

}  // namespace

void parse_geneve(ParseState& state, size_t offset, size_t end) {
  PacketMeta& meta = state.meta;
  if (end - offset < kGeneveHeaderSize) return fail(state, ParseError::geneve_truncated);
  const GeneveView header(state.data + offset);
  if (header.version() != 0) return fail(state, ParseError::geneve_bad_version);
  const size_t options_size = header.options_size();
  if (options_size > end - offset - kGeneveHeaderSize) {
    return fail(state, ParseError::geneve_options_beyond_packet);
  }
  GeneveInfo& geneve = meta.geneve;
  const ParseError options_error =
      parse_geneve_options(state.data + offset + kGeneveHeaderSize, options_size, geneve);
  if (options_error != ParseError::none) return fail(state, options_error);
  const uint16_t protocol_type = header.protocol_type();
  if (protocol_type != kEthertypeIpv4 && protocol_type != kEthertypeIpv6) {
    return fail(state, ParseError::geneve_unsupported_protocol);
  }
  geneve.present = true;
  geneve.oam = header.oam();
  geneve.critical = header.critical();
  geneve.vni = header.vni();
  geneve.protocol_type = protocol_type;
  geneve.header_offset = uint16_t(offset);
  geneve.options_size = uint16_t(options_size);
  const size_t inner_offset = offset + kGeneveHeaderSize + options_size;
  geneve.inner_offset = uint16_t(inner_offset);
  move_outer_to_geneve(meta);

  ParseState inner{state.data, end, meta, /*decapsulate=*/false};
  if (protocol_type == kEthertypeIpv4) {
    parse_ipv4(inner, inner_offset);
  } else {
    parse_ipv6(inner, inner_offset);
  }
  if (meta.error != ParseError::none) {
    geneve.inner_error = meta.error;
    meta.error = ParseError::inner_packet_malformed;
  }
}

}  // namespace openvpc::packet::detail
