// verdict.h — what the pipeline decided for one packet, and every reason it can drop one.
//
// Each packet leaves process() with exactly one Verdict; a packet whose verdict is `drop`
// (or `icmp_error`, which replaces the original) carries a DropReason that is never `none`.
// The names are stable: /metrics exports them via to_string(), so rename with care.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace openvpc::dataplane {

enum class Verdict : uint8_t {
  drop,
  deliver,            // Ethernet frame out of the local ENI port out_port.id
  encapsulate,        // outer IPv4/UDP/Geneve packet out of the underlay port
  to_gateway,         // IP packet for the gateway out_port.id (kind in Packet::gateway_kind)
  to_local_services,  // ARP, DHCP, DNS, ICMP to the router: unchanged, for the services stage
  icmp_error,         // the buffer now holds an ICMP error for the sender (out_port = its ENI)
  held,  // a fragment before its first one, copied into the pipeline: nothing to send now
};
inline constexpr size_t kVerdictCount = 7;
std::string_view to_string(Verdict verdict);

enum class DropReason : uint8_t {
  none = 0,
  malformed,               // the frame failed to parse (see Packet::parse_error)
  unsupported_ethertype,   // neither IPv4, IPv6 nor ARP
  unsupported_ip_version,  // IPv6 is not forwarded yet
  unknown_port,            // the ENI port is not attached on this host
  source_mac_spoofed,      // frame from an ENI with another source MAC
  source_address_spoofed,  // source IP not the ENI's (source/dest check on)
  fragment_unsupported,    // a non-first IPv6 fragment (IPv6 is not forwarded yet)
  nacl_egress_denied,
  security_group_egress_denied,
  no_route,
  blackhole_route,
  no_mapping,  // no (VPC, address) -> host mapping for the destination
  nacl_ingress_denied,
  security_group_ingress_denied,
  ttl_expired,             // answered with ICMP time exceeded when room allows
  headroom_too_small,      // not enough bytes in front to prepend the encapsulation
  too_big_to_encapsulate,  // inner packet + 52 bytes exceeds an IPv4 datagram
  connection_table_full,
  not_geneve,        // underlay packet that is not UDP to port 6081
  geneve_malformed,  // the Geneve packet or its inner packet failed to parse
  geneve_missing_vpc_option,
  geneve_unknown_vni,
  geneve_destination_eni_not_local,
  geneve_destination_eni_other_vpc,
  geneve_destination_address_mismatch,  // inner destination not the ENI's (check on)
  geneve_source_eni_unknown,
  geneve_source_eni_other_vpc,
  geneve_outer_source_mismatch,  // the source ENI does not live at the outer source
  geneve_inner_source_mismatch,  // the inner source is not the source ENI's (check on)
  // Connection tracking (conntrack/track_verdict.h names the same reasons).
  tcp_invalid_flags,             // a flag combination no TCP sends
  tcp_invalid_new,               // may not open a connection (SYN+ACK, RST, FIN without one)
  tcp_invalid_state,             // not expected in the connection's state
  tcp_bad_synack,                // SYN+ACK that does not acknowledge the SYN
  tcp_seq_out_of_window,         // sequence outside what the receiver can accept
  tcp_ack_out_of_window,         // acknowledges data never sent, or far too old
  tcp_rst_out_of_window,         // RST whose sequence is not in the window
  icmp_error_truncated,          // an ICMP error without a usable quoted header
  icmp_error_no_connection,      // an ICMP error about no tracked connection
  icmp_error_out_of_window,      // quotes a TCP sequence the connection never sent
  conntrack_allowance_exceeded,  // the ENI's tracked-connection allowance is used up
  fragment_orphan,               // a later fragment whose first fragment is not known
  fragment_overlap,              // overlaps (or duplicates) a fragment already seen
  fragment_oversized,            // past 65535 bytes or past the datagram's last fragment
  fragment_too_many,             // more fragments in one datagram than allowed
  fragment_rejected,             // the datagram's first fragment was dropped
  fragment_hold_full,            // no hold slot free for a fragment that came before its first one
  mtu_exceeded,                  // DF set and larger than the path MTU (ICMP fragmentation needed)
  fragmentation_output_full,     // DF clear, larger than the path MTU, no room for its fragments
  vlan_tagged,                   // an 802.1Q-tagged frame from an ENI (no VLAN is configured)
  ipv4_bad_checksum,             // IPv4 header checksum wrong (RFC 1812 5.2.2)
  gateway_unavailable,           // routed to a gateway with nothing behind it (NAT, peering, VPN)
  fragment_hold_eni_full,        // the ENI holds its share of the hold slots already
  count_,
};
inline constexpr size_t kDropReasonCount = size_t(DropReason::count_);
std::string_view to_string(DropReason reason);

}  // namespace openvpc::dataplane
