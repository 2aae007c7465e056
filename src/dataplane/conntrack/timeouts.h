// timeouts.h — per-ENI connection timeouts (REFERENCE.md, security groups).
//
// Three are configurable per ENI within Amazon's ranges: TCP established (60–432000 s),
// UDP stream (60–180 s) and UDP single exchange (30–60 s). The others follow Linux
// nf_conntrack's defaults for the short TCP states, 30 s for ICMP and 600 s for other IP
// protocols. valid() is checked when an ENI is configured, never per packet.
#pragma once

#include <cstdint>

namespace openvpc::conntrack {

struct TimeoutRange {
  uint32_t min;
  uint32_t max;
  bool contains(uint32_t v) const { return v >= min && v <= max; }
};
inline constexpr TimeoutRange kTcpEstablishedRange{60, 432000};
inline constexpr TimeoutRange kUdpStreamRange{60, 180};
inline constexpr TimeoutRange kUdpSingleRange{30, 60};

struct Timeouts {
  // Configurable.
  uint32_t tcp_established = 432000;
  uint32_t udp_stream = 180;
  uint32_t udp_single = 30;
  // Fixed.
  uint32_t tcp_syn_sent = 120;
  uint32_t tcp_syn_recv = 60;
  uint32_t tcp_fin_wait = 120;
  uint32_t tcp_close_wait = 60;
  uint32_t tcp_last_ack = 30;
  uint32_t tcp_time_wait = 120;
  uint32_t tcp_closed = 10;
  uint32_t icmp = 30;
  uint32_t other = 600;

  bool valid() const {
    return kTcpEstablishedRange.contains(tcp_established) && kUdpStreamRange.contains(udp_stream) &&
           kUdpSingleRange.contains(udp_single);
  }
};

}  // namespace openvpc::conntrack
