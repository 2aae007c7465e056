// parse_ethernet.cc — Ethernet II with at most one 802.1Q tag, and Ethernet/IPv4 ARP.
#include "packet/headers.h"
#include "packet/parse_internal.h"

namespace openvpc::packet::detail {

void parse_ethernet(ParseState& state) {
  PacketMeta& meta = state.meta;
  if (state.limit < kEthernetHeaderSize) return fail(state, ParseError::ethernet_truncated);
  const EthernetView eth(state.data);
  meta.has_ethernet = true;
  meta.eth_dst = eth.dst();
  meta.eth_src = eth.src();
  size_t offset = kEthernetHeaderSize;
  uint16_t ethertype = eth.ethertype();
  if (ethertype == kEthertypeVlan) {
    if (state.limit < kEthernetHeaderSize + kVlanTagSize) {
      return fail(state, ParseError::vlan_truncated);
    }
    meta.has_vlan = true;
    meta.vlan_tci = eth.vlan_tci();
    ethertype = eth.inner_ethertype();
    offset += kVlanTagSize;
  }
  meta.ethertype = ethertype;
  switch (ethertype) {
    case kEthertypeIpv4:
      return parse_ipv4(state, offset);
    case kEthertypeIpv6:
      return parse_ipv6(state, offset);
    case kEthertypeArp:
      return parse_arp(state, offset);
    default:
      return;  // not ours to parse; ip_version stays 0
  }
}

void parse_arp(ParseState& state, size_t offset) {
  if (state.limit - offset < kArpSize) return fail(state, ParseError::arp_truncated);
  const ArpView arp(state.data + offset);
  if (arp.hardware_type() != 1 || arp.protocol_type() != kEthertypeIpv4 ||
      arp.hardware_size() != 6 || arp.protocol_size() != 4) {
    return fail(state, ParseError::arp_unsupported);
  }
  state.meta.l3_offset = uint16_t(offset);
  state.meta.l3_size = uint16_t(kArpSize);
  state.meta.arp_operation = arp.operation();
}

}  // namespace openvpc::packet::detail
