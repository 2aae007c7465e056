// dhcp.h — DHCPv4 (RFC 2131/2132) message view and reply writer for the router's DHCP server.
//
// parse_dhcp() reads a BOOTP/DHCP message (a UDP payload) in one bounded pass over its options:
// it never reads outside the span, and points into it (parameter list) rather than copying, so
// the result is valid only while the packet buffer is. write_dhcp_reply() writes an OFFER, ACK
// or NAK into a caller buffer without allocating and returns the bytes written (0: no room).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "packet/address.h"

namespace openvpc::packet {

inline constexpr uint16_t kDhcpServerPort = 67;
inline constexpr uint16_t kDhcpClientPort = 68;
inline constexpr size_t kDhcpFixedSize = 236;  // BOOTP fields before the magic cookie
inline constexpr uint32_t kDhcpMagicCookie = 0x63825363;

enum class DhcpMessageType : uint8_t {
  none = 0,  // option 53 absent (plain BOOTP)
  discover = 1,
  offer = 2,
  request = 3,
  decline = 4,
  ack = 5,
  nak = 6,
  release = 7,
  inform = 8,
};

enum class DhcpError : uint8_t {
  none = 0,
  truncated,  // shorter than the fixed part + cookie
  bad_magic_cookie,
  not_ethernet,      // htype != 1 or hlen != 6
  option_truncated,  // an option's length runs past the message
  message_type_bad_length,
};

struct DhcpMessage {
  DhcpError error = DhcpError::none;
  uint8_t op = 0;  // 1 request (client), 2 reply
  uint32_t xid = 0;
  uint16_t flags = 0;       // 0x8000: broadcast
  IpAddress client_ip{};    // ciaddr
  IpAddress your_ip{};      // yiaddr
  MacAddress client_mac{};  // chaddr
  DhcpMessageType message_type = DhcpMessageType::none;
  std::optional<IpAddress> requested_ip{};    // option 50
  std::optional<IpAddress> server_id{};       // option 54
  std::span<const uint8_t> parameter_list{};  // option 55, into the parsed buffer

  bool ok() const { return error == DhcpError::none; }
};

DhcpMessage parse_dhcp(std::span<const uint8_t> udp_payload);

struct DhcpOption {
  uint8_t code = 0;
  std::span<const uint8_t> value{};  // at most 255 bytes
};

struct DhcpReplySpec {
  DhcpMessageType type = DhcpMessageType::offer;  // offer, ack or nak
  uint32_t xid = 0;
  uint16_t flags = 0;  // echoed from the request
  MacAddress client_mac{};
  IpAddress your_ip{};                          // the ENI's private IP (unused for NAK)
  IpAddress server_ip{};                        // option 54, siaddr
  IpAddress subnet_mask{};                      // option 1
  IpAddress router{};                           // option 3
  std::span<const IpAddress> dns_servers{};     // option 6 (skipped when empty)
  std::string_view domain_name{};               // option 15 (skipped when empty)
  uint16_t mtu = 9001;                          // option 26
  uint32_t lease_seconds = 3600;                // option 51
  std::span<const DhcpOption> extra_options{};  // e.g. 42 NTP servers, 44/46 NetBIOS
};

// Writes the DHCP message (the UDP payload) for spec into out; 0 if it does not fit or an
// option is longer than 255 bytes.
size_t write_dhcp_reply(uint8_t* out, size_t capacity, const DhcpReplySpec& spec);

}  // namespace openvpc::packet
