// ecn.h — Explicit Congestion Notification across the Geneve tunnel (RFC 6040).
//
// The underlay is a network too: a congested underlay switch marks the outer header CE, and
// that must reach the tenant's TCP as an inner CE, or ECN-capable flows see loss instead. So:
//   encapsulation (normal mode, RFC 6040 §4.1): the outer header takes the inner TOS byte
//     whole — ECN field copied, DSCP preserved (the uniform model, RFC 2983);
//   decapsulation (§4.2, figure 4): the inner ECN field becomes
//       inner \ outer   Not-ECT  ECT(0)  ECT(1)  CE
//       Not-ECT         Not-ECT  Not-ECT Not-ECT drop
//       ECT(0)          ECT(0)   ECT(0)  ECT(1)  CE
//       ECT(1)          ECT(1)   ECT(1)  ECT(1)  CE
//       CE              CE       CE      CE      CE
//     — a CE mark on a packet whose sender cannot understand it (Not-ECT) is a drop, as the
//     congested switch would have dropped it.
// Pure functions of header bytes; no allocation.
#pragma once

#include <cstdint>
#include <optional>

namespace openvpc::packet {

inline constexpr uint8_t kEcnMask = 0x03;
inline constexpr uint8_t kEcnNotEct = 0x00;
inline constexpr uint8_t kEcnEct1 = 0x01;
inline constexpr uint8_t kEcnEct0 = 0x02;
inline constexpr uint8_t kEcnCe = 0x03;

// The inner ECN field after decapsulation; nullopt: drop (outer CE, inner Not-ECT).
constexpr std::optional<uint8_t> decapsulated_ecn(uint8_t outer_ecn, uint8_t inner_ecn) {
  outer_ecn &= kEcnMask;
  inner_ecn &= kEcnMask;
  if (outer_ecn == kEcnCe) {
    if (inner_ecn == kEcnNotEct) return std::nullopt;
    return kEcnCe;
  }
  if (outer_ecn == kEcnEct1 && inner_ecn == kEcnEct0) return kEcnEct1;
  return inner_ecn;
}

// The TOS byte (IPv4) or traffic class (IPv6) of the IP packet at `ip` (at least 2 bytes).
inline uint8_t ip_tos(const uint8_t* ip) {
  return (ip[0] >> 4) == 6 ? uint8_t((ip[0] & 0x0f) << 4 | ip[1] >> 4) : ip[1];
}

// Sets the ECN field of the IP packet at `ip` (an IPv4 header's checksum is updated).
void set_ip_ecn(uint8_t* ip, uint8_t ecn);

}  // namespace openvpc::packet
