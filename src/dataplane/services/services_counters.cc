// services_counters.cc — names of the local services' events.
#include "dataplane/services/services_counters.h"

#include <numeric>

namespace openvpc::dataplane::services {
namespace {

constexpr std::array<std::string_view, kServicesEventCount> kNames = {
    "ignored_not_for_services",
    "dropped_unknown_eni",
    "dropped_source_mac_spoofed",
    "dropped_reply_too_large",
    "arp_replied",
    "arp_ignored_not_request",
    "arp_ignored_probe",
    "arp_ignored_gratuitous",
    "arp_ignored_outside_subnet",
    "arp_ignored_reserved_address",
    "arp_dropped_spoofed",
    "dhcp_offer",
    "dhcp_ack",
    "dhcp_nak",
    "dhcp_inform_ack",
    "dhcp_release",
    "dhcp_decline",
    "dhcp_ignored_other_server",
    "dhcp_ignored_message_type",
    "dhcp_dropped_malformed",
    "dhcp_dropped_spoofed",
    "icmp_echo_replied",
    "icmp_ignored_not_echo",
    "icmp_dropped_bad_checksum",
    "dns_answered",
    "dns_nxdomain",
    "dns_formerr",
    "dns_not_implemented",
    "dns_truncated",
    "dns_dropped_no_header",
    "dns_dropped_response",
    "dns_dropped_dns_support_off",
    "dns_tcp_handshake",
    "dns_tcp_closed",
    "dns_tcp_ignored_ack",
    "dns_tcp_ignored_reset",
    "dns_tcp_reset_partial_message",
    "dns_tcp_reset_unexpected",
};
static_assert(!kNames.back().empty(), "one name per ServicesEvent");

}  // namespace

std::string_view to_string(ServicesEvent event) {
  const size_t index = size_t(event);
  return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

uint64_t ServicesCounters::total() const {
  return std::accumulate(values.begin(), values.end(), uint64_t{0});
}

}  // namespace openvpc::dataplane::services
