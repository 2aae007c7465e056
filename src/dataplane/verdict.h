// verdict.h — what the pipeline decided for one packet, and every reason it can drop one.
//
// Each packet leaves process() with exactly one Verdict; a packet whose verdict is `drop`
// (or `icmp_error`, which replaces the original) carries a DropReason that is never `none`.
// One descriptor per enum (kVerdicts, kDropReasons) holds each value's name and meaning;
// everything that names them — to_string(), /metrics, counters.json, the conntrack replay —
// reads it, and a compile-time check keeps it in enum order. The connection trackers
// (conntrack/) drop with these same reasons. The names are stable: /metrics exports them,
// so rename with care; new reasons go last.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace openvpc::dataplane {

enum class Verdict : uint8_t {
  drop,
  deliver,
  encapsulate,
  to_gateway,
  to_local_services,
  icmp_error,
  held,  // keep last (switches over verdicts name every one; no count_ entry)
};
inline constexpr size_t kVerdictCount = size_t(Verdict::held) + 1;

struct VerdictInfo {
  Verdict verdict;
  std::string_view name;
  std::string_view meaning;
};

inline constexpr std::array<VerdictInfo, kVerdictCount> kVerdicts = {{
    {Verdict::drop, "drop", "dropped; see the drop reason"},
    {Verdict::deliver, "deliver", "Ethernet frame out of the local ENI port out_port.id"},
    {Verdict::encapsulate, "encapsulate", "outer IPv4/UDP/Geneve packet out of the underlay port"},
    {Verdict::to_gateway, "to_gateway",
     "IP packet for the gateway out_port.id (kind in Packet::gateway_kind)"},
    {Verdict::to_local_services, "to_local_services",
     "ARP, DHCP, DNS, ICMP to the router: unchanged, for the services stage"},
    {Verdict::icmp_error, "icmp_error",
     "the buffer now holds an ICMP error for the sender (out_port = its ENI)"},
    {Verdict::held, "held",
     "a fragment before its first one, copied into the pipeline: nothing to send now"},
}};

enum class DropReason : uint8_t {
  none = 0,
  malformed,
  unsupported_ethertype,
  unsupported_ip_version,
  unknown_port,
  source_mac_spoofed,
  source_address_spoofed,
  fragment_unsupported,
  nacl_egress_denied,
  security_group_egress_denied,
  no_route,
  blackhole_route,
  no_mapping,
  nacl_ingress_denied,
  security_group_ingress_denied,
  ttl_expired,
  headroom_too_small,
  too_big_to_encapsulate,
  connection_table_full,
  not_geneve,
  geneve_malformed,
  geneve_missing_vpc_option,
  geneve_unknown_vni,
  geneve_destination_eni_not_local,
  geneve_destination_eni_other_vpc,
  geneve_destination_address_mismatch,
  geneve_source_eni_unknown,
  geneve_source_eni_other_vpc,
  geneve_outer_source_mismatch,
  geneve_inner_source_mismatch,
  tcp_invalid_flags,
  tcp_invalid_new,
  tcp_invalid_state,
  tcp_bad_synack,
  tcp_seq_out_of_window,
  tcp_ack_out_of_window,
  tcp_rst_out_of_window,
  icmp_error_truncated,
  icmp_error_no_connection,
  icmp_error_out_of_window,
  conntrack_allowance_exceeded,
  fragment_orphan,
  fragment_overlap,
  fragment_oversized,
  fragment_too_many,
  fragment_rejected,
  fragment_hold_full,
  mtu_exceeded,
  fragmentation_output_full,
  no_public_ip,
  no_edge_node,
  geneve_untrusted_node,
  edge_unknown_public_address,
  edge_source_mismatch,
  edge_no_next_hop,
  vlan_tagged,
  ipv4_bad_checksum,
  gateway_unavailable,
  fragment_hold_eni_full,
  ecn_ce_not_ect,
  edge_nat_port_unowned,
  pps_allowance_exceeded,
  bw_in_allowance_exceeded,
  bw_out_allowance_exceeded,
  linklocal_allowance_exceeded,
  bw_out_queue_delay,
  count_,  // keep last
};
inline constexpr size_t kDropReasonCount = size_t(DropReason::count_);

struct DropReasonInfo {
  DropReason reason;
  std::string_view name;  // the /metrics label and counters.json key
  bool isolation;         // the isolation rule refused an underlay packet (DESIGN.md section 2)
  std::string_view meaning;
};

inline constexpr std::array<DropReasonInfo, kDropReasonCount> kDropReasons = {{
    {DropReason::none, "none", false, "not dropped"},
    {DropReason::malformed, "malformed", false,
     "the frame failed to parse (see Packet::parse_error)"},
    {DropReason::unsupported_ethertype, "unsupported_ethertype", false,
     "neither IPv4, IPv6 nor ARP"},
    {DropReason::unsupported_ip_version, "unsupported_ip_version", false,
     "IPv6 is not forwarded yet"},
    {DropReason::unknown_port, "unknown_port", false, "the ENI port is not attached on this host"},
    {DropReason::source_mac_spoofed, "source_mac_spoofed", false,
     "frame from an ENI with another source MAC"},
    {DropReason::source_address_spoofed, "source_address_spoofed", false,
     "source IP not the ENI's (source/dest check on)"},
    {DropReason::fragment_unsupported, "fragment_unsupported", false,
     "a non-first IPv6 fragment (IPv6 is not forwarded yet)"},
    {DropReason::nacl_egress_denied, "nacl_egress_denied", false,
     "the source subnet's network ACL denies it (leaving the subnet)"},
    {DropReason::security_group_egress_denied, "security_group_egress_denied", false,
     "no egress rule of the ENI's security groups allows it"},
    {DropReason::no_route, "no_route", false, "the route table has no route to the destination"},
    {DropReason::blackhole_route, "blackhole_route", false, "the route's target was deleted"},
    {DropReason::no_mapping, "no_mapping", false,
     "no (VPC, address) -> host mapping for the destination"},
    {DropReason::nacl_ingress_denied, "nacl_ingress_denied", false,
     "the destination subnet's network ACL denies it (entering the subnet)"},
    {DropReason::security_group_ingress_denied, "security_group_ingress_denied", false,
     "no ingress rule of the destination's security groups allows it"},
    {DropReason::ttl_expired, "ttl_expired", false,
     "answered with ICMP time exceeded when room allows"},
    {DropReason::headroom_too_small, "headroom_too_small", false,
     "not enough bytes in front to prepend the encapsulation"},
    {DropReason::too_big_to_encapsulate, "too_big_to_encapsulate", false,
     "inner packet + 52 bytes exceeds an IPv4 datagram"},
    {DropReason::connection_table_full, "connection_table_full", false,
     "no free slot in the connection table"},
    {DropReason::not_geneve, "not_geneve", true, "underlay packet that is not UDP to port 6081"},
    {DropReason::geneve_malformed, "geneve_malformed", true,
     "the Geneve packet or its inner packet failed to parse"},
    {DropReason::geneve_missing_vpc_option, "geneve_missing_vpc_option", true,
     "the Geneve packet has no VPC option"},
    {DropReason::geneve_unknown_vni, "geneve_unknown_vni", true,
     "the VNI is no VPC this host knows"},
    {DropReason::geneve_destination_eni_not_local, "geneve_destination_eni_not_local", true,
     "the destination ENI is not on this host"},
    {DropReason::geneve_destination_eni_other_vpc, "geneve_destination_eni_other_vpc", true,
     "the destination ENI is in another VPC than the VNI"},
    {DropReason::geneve_destination_address_mismatch, "geneve_destination_address_mismatch", true,
     "inner destination not the ENI's (check on)"},
    {DropReason::geneve_source_eni_unknown, "geneve_source_eni_unknown", true,
     "the source ENI is not known"},
    {DropReason::geneve_source_eni_other_vpc, "geneve_source_eni_other_vpc", true,
     "the source ENI is in another VPC than the VNI"},
    {DropReason::geneve_outer_source_mismatch, "geneve_outer_source_mismatch", true,
     "the source ENI does not live at the outer source"},
    {DropReason::geneve_inner_source_mismatch, "geneve_inner_source_mismatch", true,
     "the inner source is not the source ENI's (check on)"},
    {DropReason::tcp_invalid_flags, "tcp_invalid_flags", false, "a flag combination no TCP sends"},
    {DropReason::tcp_invalid_new, "tcp_invalid_new", false,
     "may not open a connection (SYN+ACK, RST, FIN without one)"},
    {DropReason::tcp_invalid_state, "tcp_invalid_state", false,
     "not expected in the connection's state"},
    {DropReason::tcp_bad_synack, "tcp_bad_synack", false,
     "SYN+ACK that does not acknowledge the SYN"},
    {DropReason::tcp_seq_out_of_window, "tcp_seq_out_of_window", false,
     "sequence outside what the receiver can accept"},
    {DropReason::tcp_ack_out_of_window, "tcp_ack_out_of_window", false,
     "acknowledges data never sent, or far too old"},
    {DropReason::tcp_rst_out_of_window, "tcp_rst_out_of_window", false,
     "RST whose sequence is not in the window"},
    {DropReason::icmp_error_truncated, "icmp_error_truncated", false,
     "an ICMP error without a usable quoted header"},
    {DropReason::icmp_error_no_connection, "icmp_error_no_connection", false,
     "an ICMP error about no tracked connection"},
    {DropReason::icmp_error_out_of_window, "icmp_error_out_of_window", false,
     "quotes a TCP sequence the connection never sent"},
    {DropReason::conntrack_allowance_exceeded, "conntrack_allowance_exceeded", false,
     "the ENI's tracked-connection allowance is used up"},
    {DropReason::fragment_orphan, "fragment_orphan", false,
     "a later fragment whose first fragment is not known"},
    {DropReason::fragment_overlap, "fragment_overlap", false,
     "overlaps (or duplicates) a fragment already seen"},
    {DropReason::fragment_oversized, "fragment_oversized", false,
     "past 65535 bytes or past the datagram's last fragment"},
    {DropReason::fragment_too_many, "fragment_too_many", false,
     "more fragments in one datagram than allowed"},
    {DropReason::fragment_rejected, "fragment_rejected", false,
     "the datagram's first fragment was dropped"},
    {DropReason::fragment_hold_full, "fragment_hold_full", false,
     "no hold slot free for a fragment that came before its first one"},
    {DropReason::mtu_exceeded, "mtu_exceeded", false,
     "DF set and larger than the path MTU (ICMP fragmentation needed)"},
    {DropReason::fragmentation_output_full, "fragmentation_output_full", false,
     "DF clear, larger than the path MTU, no room for its fragments"},
    {DropReason::no_public_ip, "no_public_ip", false,
     "routed to the internet gateway, but the source has no public IP"},
    {DropReason::no_edge_node, "no_edge_node", false,
     "routed to the internet gateway, but no edge node is up"},
    {DropReason::geneve_untrusted_node, "geneve_untrusted_node", true,
     "\"from an edge/hyperplane node\" from an address that is none"},
    {DropReason::edge_unknown_public_address, "edge_unknown_public_address", false,
     "from outside, to an address no interface has"},
    {DropReason::edge_source_mismatch, "edge_source_mismatch", false,
     "to the edge from a private address, ENI or host it does not map"},
    {DropReason::edge_no_next_hop, "edge_no_next_hop", false,
     "the outside gateway's MAC is not known (yet)"},
    {DropReason::vlan_tagged, "vlan_tagged", false,
     "an 802.1Q-tagged frame from an ENI (no VLAN is configured)"},
    {DropReason::ipv4_bad_checksum, "ipv4_bad_checksum", false,
     "IPv4 header checksum wrong (RFC 1812 5.2.2)"},
    {DropReason::gateway_unavailable, "gateway_unavailable", false,
     "routed to a gateway with nothing behind it (a NAT gateway not placed or with no node up, "
     "peering, VPN)"},
    {DropReason::fragment_hold_eni_full, "fragment_hold_eni_full", false,
     "the ENI holds its share of the hold slots already"},
    {DropReason::ecn_ce_not_ect, "ecn_ce_not_ect", false,
     "the underlay marked CE on a packet whose sender is not ECN-capable (RFC 6040)"},
    {DropReason::edge_nat_port_unowned, "edge_nat_port_unowned", false,
     "to a NAT gateway's address with no port a node hands out (below 1024, a later fragment "
     "whose first was not seen, an ICMP error without the quoted ports)"},
    {DropReason::pps_allowance_exceeded, "pps_allowance_exceeded", false,
     "over the ENI's packets-per-second allowance, in either direction (eni_allowance.h)"},
    {DropReason::bw_in_allowance_exceeded, "bw_in_allowance_exceeded", false,
     "over the destination ENI's inbound bandwidth allowance"},
    {DropReason::bw_out_allowance_exceeded, "bw_out_allowance_exceeded", false,
     "over the source ENI's outbound bandwidth allowance"},
    {DropReason::linklocal_allowance_exceeded, "linklocal_allowance_exceeded", false,
     "over the ENI's allowance for the router's own services (ARP, DHCP, DNS, ICMP echo)"},
    {DropReason::bw_out_queue_delay, "bw_out_queue_delay", false,
     "waited in the ENI's bandwidth queue past CoDel's target (RFC 8289; not ECN-capable, "
     "else marked CE: ce_marked)"},
}};

namespace detail {
template <typename Info, size_t N, typename Field>
constexpr bool in_enum_order(const std::array<Info, N>& table, Field field) {
  for (size_t i = 0; i < N; ++i) {
    if (size_t(table[i].*field) != i || table[i].name.empty()) return false;
  }
  return true;
}
}  // namespace detail
static_assert(detail::in_enum_order(kVerdicts, &VerdictInfo::verdict));
static_assert(detail::in_enum_order(kDropReasons, &DropReasonInfo::reason));

constexpr std::string_view to_string(Verdict verdict) {
  const size_t i = size_t(verdict);
  return i < kVerdicts.size() ? kVerdicts[i].name : "?";
}
constexpr std::string_view to_string(DropReason reason) {
  const size_t i = size_t(reason);
  return i < kDropReasons.size() ? kDropReasons[i].name : "?";
}
// The isolation rule refused the packet: it is nobody's traffic, so no flow log records it.
constexpr bool is_isolation_drop(DropReason reason) {
  const size_t i = size_t(reason);
  return i < kDropReasons.size() && kDropReasons[i].isolation;
}

}  // namespace openvpc::dataplane
