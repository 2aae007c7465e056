// reply_frame.h — Ethernet/IPv4/UDP headers around a reply the local services wrote.
//
// A UDP reply is written payload first, at kUdpPayloadOffset of the output buffer, and then
// framed by write_udp_frame(), so no byte is ever copied twice. Headers are written without
// options and with every checksum (IPv4 header, UDP with the pseudo-header) computed. The
// caller guarantees the buffer holds kUdpPayloadOffset + payload_size bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet/address.h"
#include "packet/headers.h"

namespace openvpc::dataplane::services {

inline constexpr size_t kIpv4Offset = packet::kEthernetHeaderSize;
inline constexpr size_t kUdpOffset = kIpv4Offset + packet::kIpv4MinHeaderSize;
inline constexpr size_t kUdpPayloadOffset = kUdpOffset + packet::kUdpHeaderSize;

struct UdpReplyAddressing {
  packet::MacAddress src_mac;
  packet::MacAddress dst_mac;
  packet::IpAddress src_ip;
  packet::IpAddress dst_ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
};

void write_ethernet_header(uint8_t* out, const packet::MacAddress& dst,
                           const packet::MacAddress& src, uint16_t ethertype);
// A 20-byte IPv4 header, TTL 64, no fragmentation, header checksum set.
void write_ipv4_header(uint8_t* ip, const packet::IpAddress& src, const packet::IpAddress& dst,
                       uint8_t protocol, uint16_t total_length, uint16_t id, uint8_t tos);
// Frames the payload at out + kUdpPayloadOffset; returns the frame's size.
size_t write_udp_frame(uint8_t* out, const UdpReplyAddressing& addressing, size_t payload_size);

}  // namespace openvpc::dataplane::services
