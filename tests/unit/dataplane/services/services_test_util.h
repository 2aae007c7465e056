// services_test_util.h — one VPC, one subnet, one ENI, and builders for the frames an
// instance sends to the router's local services; shared by the services unit tests.
//
// VPC 7 is 10.0.0.0/16 in eu-west-1; the ENI (id 1) is 10.0.1.5 in subnet 10.0.1.0/24 with
// MAC 02:00:00:00:00:01; the VPC also holds 10.0.2.9 (another host's instance). The router
// MAC is 02:00:00:00:00:fe. Builders return complete Ethernet frames from the ENI.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/services/local_services.h"
#include "packet/builder.h"
#include "packet/dhcp.h"
#include "packet/parser.h"

namespace openvpc::dataplane::services::testing {

using packet::IpAddress;
using packet::MacAddress;

inline constexpr uint32_t kEniId = 1;
inline const MacAddress kEniMac{{0x02, 0, 0, 0, 0, 0x01}};
inline const MacAddress kRouterMac{{0x02, 0, 0, 0, 0, 0xfe}};
inline const MacAddress kBroadcastMac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
inline const IpAddress kEniIp = IpAddress::v4(0x0a000105);       // 10.0.1.5
inline const IpAddress kRouterIp = IpAddress::v4(0x0a000101);    // 10.0.1.1
inline const IpAddress kVpcDnsIp = IpAddress::v4(0x0a000002);    // 10.0.0.2
inline const IpAddress kOtherVpcIp = IpAddress::v4(0x0a000209);  // 10.0.2.9
inline const IpAddress kAnyIp = IpAddress::v4(0);
inline const IpAddress kBroadcastIp = IpAddress::v4(0xffffffff);

ServicesConfig test_config();

struct DhcpRequestSpec {
  packet::DhcpMessageType type = packet::DhcpMessageType::discover;
  uint32_t xid = 0x12345678;
  uint16_t flags = 0;
  IpAddress client_ip = kAnyIp;  // ciaddr
  MacAddress client_mac = kEniMac;
  std::vector<std::pair<uint8_t, std::vector<uint8_t>>> options{};  // after option 53
  IpAddress ip_src = kAnyIp;
  IpAddress ip_dst = kBroadcastIp;
};
std::vector<uint8_t> dhcp_frame(const DhcpRequestSpec& spec);
std::vector<uint8_t> address_option(const IpAddress& address);  // 4 wire bytes

struct DnsQuerySpec {
  std::string_view name = "ip-10-0-2-9.eu-west-1.compute.internal";
  uint16_t qtype = 1;
  IpAddress dst = kVpcDnsIp;
  std::optional<uint16_t> edns_size{};  // adds an OPT record
  uint16_t id = 0x4242;
};
std::vector<uint8_t> dns_payload(const DnsQuerySpec& spec);
std::vector<uint8_t> udp_frame(const IpAddress& dst, uint16_t src_port, uint16_t dst_port,
                               std::span<const uint8_t> payload);
std::vector<uint8_t> dns_frame(const DnsQuerySpec& spec);

// A TCP segment from the ENI (port 40000) to dst:53.
struct TcpSegmentSpec {
  uint8_t flags = packet::kTcpAck;
  uint32_t seq = 1000;
  uint32_t ack = 0;
  std::vector<uint8_t> payload{};
  IpAddress dst = kVpcDnsIp;
};
std::vector<uint8_t> tcp_frame(const TcpSegmentSpec& spec);
// The 2-byte length prefix and the message: one DNS-over-TCP message.
std::vector<uint8_t> length_prefixed(std::span<const uint8_t> message);

// The DHCP options of a message as code -> value (pad/end skipped).
std::map<uint8_t, std::vector<uint8_t>> dhcp_options(std::span<const uint8_t> message);

struct Reply {
  std::vector<uint8_t> frame;  // empty: no reply
  packet::PacketMeta meta;     // parse_frame(frame) when there is one
  std::span<const uint8_t> udp_payload() const;
  std::span<const uint8_t> tcp_payload() const;
};
Reply respond(LocalServices& services, std::span<const uint8_t> frame, uint64_t now_ns = 0);

}  // namespace openvpc::dataplane::services::testing
