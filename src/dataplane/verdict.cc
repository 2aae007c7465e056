#include "dataplane/verdict.h"

#include <array>

namespace openvpc::dataplane {
namespace {

constexpr std::array<std::string_view, kVerdictCount> kVerdictNames = {
    "drop", "deliver", "encapsulate", "to_gateway", "to_local_services", "icmp_error", "held",
};

constexpr std::array<std::string_view, kDropReasonCount> kDropReasonNames = {
    "none",
    "malformed",
    "unsupported_ethertype",
    "unsupported_ip_version",
    "unknown_port",
    "source_mac_spoofed",
    "source_address_spoofed",
    "fragment_unsupported",
    "nacl_egress_denied",
    "security_group_egress_denied",
    "no_route",
    "blackhole_route",
    "no_mapping",
    "nacl_ingress_denied",
    "security_group_ingress_denied",
    "ttl_expired",
    "headroom_too_small",
    "too_big_to_encapsulate",
    "connection_table_full",
    "not_geneve",
    "geneve_malformed",
    "geneve_missing_vpc_option",
    "geneve_unknown_vni",
    "geneve_destination_eni_not_local",
    "geneve_destination_eni_other_vpc",
    "geneve_destination_address_mismatch",
    "geneve_source_eni_unknown",
    "geneve_source_eni_other_vpc",
    "geneve_outer_source_mismatch",
    "geneve_inner_source_mismatch",
    "tcp_invalid_flags",
    "tcp_invalid_new",
    "tcp_invalid_state",
    "tcp_bad_synack",
    "tcp_seq_out_of_window",
    "tcp_ack_out_of_window",
    "tcp_rst_out_of_window",
    "icmp_error_truncated",
    "icmp_error_no_connection",
    "icmp_error_out_of_window",
    "conntrack_allowance_exceeded",
    "fragment_orphan",
    "fragment_overlap",
    "fragment_oversized",
    "fragment_too_many",
    "fragment_rejected",
    "fragment_hold_full",
    "mtu_exceeded",
    "fragmentation_output_full",
    "vlan_tagged",
    "ipv4_bad_checksum",
    "gateway_unavailable",
    "fragment_hold_eni_full",
};

}  // namespace

std::string_view to_string(Verdict verdict) {
  const size_t i = size_t(verdict);
  return i < kVerdictNames.size() ? kVerdictNames[i] : "?";
}

std::string_view to_string(DropReason reason) {
  const size_t i = size_t(reason);
  return i < kDropReasonNames.size() ? kDropReasonNames[i] : "?";
}

}  // namespace openvpc::dataplane
