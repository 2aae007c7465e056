// services_counters.h — what the local services did with each packet, counted by name.
//
// Every call to LocalServices::respond() counts exactly one event: a reply written (*_replied,
// dhcp_offer, ...), a packet ignored on purpose (*_ignored_*: not an error, e.g. a gratuitous
// ARP) or a packet dropped (*_dropped_*: spoofed, malformed, rate limited). to_string() gives
// the stable snake_case names exported on /metrics.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace openvpc::dataplane::services {

enum class ServicesEvent : uint8_t {
  // Not for the services at all, or an ENI this object does not know.
  ignored_not_for_services = 0,
  dropped_unknown_eni,
  dropped_source_mac_spoofed,  // the frame's source MAC is not the ENI's
  dropped_reply_too_large,     // the caller's buffer cannot hold the reply
  // ARP
  arp_replied,
  arp_ignored_not_request,  // replies and other operations
  arp_ignored_probe,        // RFC 5227 probe: sender address 0.0.0.0
  arp_ignored_gratuitous,   // target is the sender's own address
  arp_ignored_outside_subnet,
  arp_ignored_reserved_address,  // the subnet's network or broadcast address
  arp_dropped_spoofed,           // sender MAC or IP is not the ENI's
  // DHCPv4
  dhcp_offer,
  dhcp_ack,
  dhcp_nak,
  dhcp_inform_ack,
  dhcp_release,
  dhcp_decline,
  dhcp_ignored_other_server,  // a REQUEST that selects another server id
  dhcp_ignored_message_type,  // BOOTP without option 53, or a server-side type
  dhcp_dropped_malformed,
  dhcp_dropped_spoofed,  // chaddr is not the ENI's MAC
  // ICMP to the router address
  icmp_echo_replied,
  icmp_ignored_not_echo,
  icmp_dropped_bad_checksum,
  // DNS resolver
  dns_answered,  // NOERROR, with or without records
  dns_nxdomain,
  dns_formerr,
  dns_not_implemented,
  dns_truncated,  // TC set: the answer did not fit the UDP size
  dns_dropped_no_header,
  dns_dropped_response,         // QR set: never answer an answer
  dns_dropped_dns_support_off,  // the VPC's enableDnsSupport is off: no answer at all
  // DNS over TCP (dns_tcp.h); answers count the dns_* events above
  dns_tcp_handshake,              // SYN -> SYN-ACK
  dns_tcp_closed,                 // FIN -> FIN-ACK
  dns_tcp_ignored_ack,            // an ACK without data or FIN: nothing to answer
  dns_tcp_ignored_reset,          // RST from the client: never answered
  dns_tcp_reset_partial_message,  // data that is not one whole length-prefixed message -> RST
  dns_tcp_reset_unexpected,       // a segment no connection could have sent -> RST
  count_,                         // number of events; keep last
};
inline constexpr size_t kServicesEventCount = size_t(ServicesEvent::count_);

std::string_view to_string(ServicesEvent event);

struct ServicesCounters {
  std::array<uint64_t, kServicesEventCount> values{};

  void count(ServicesEvent event) { ++values[size_t(event)]; }
  uint64_t operator[](ServicesEvent event) const { return values[size_t(event)]; }
  uint64_t total() const;
};

}  // namespace openvpc::dataplane::services
