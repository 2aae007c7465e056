#include "dataplane/conntrack/track_verdict.h"

#include <array>

namespace openvpc::conntrack {

std::string_view to_string(DropReason reason) {
  static constexpr std::array<std::string_view, kDropReasonCount> kNames = {
      "none",
      "malformed",
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
      "table_full",
      "fragment_orphan",
      "fragment_overlap",
      "fragment_oversized",
      "fragment_too_many",
      "fragment_hold_full",
      "fragment_rejected",
      "fragment_hold_eni_full",
  };
  const size_t i = size_t(reason);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::accept:
      return "accept";
    case Verdict::accept_related:
      return "accept_related";
    case Verdict::drop:
      return "drop";
    case Verdict::new_connection:
      return "new_connection";
  }
  return "unknown";
}

}  // namespace openvpc::conntrack
