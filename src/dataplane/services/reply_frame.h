// reply_frame.h — Ethernet/IPv4/UDP or TCP headers around a reply the local services wrote.
//
// A UDP reply is written payload first, at kUdpPayloadOffset of the output buffer, and then
// framed by write_udp_frame(), so no byte is ever copied twice; a TCP segment likewise at
// kTcpPayloadOffset and write_tcp_frame(). Headers carry no IP options and every checksum
// (IPv4 header, UDP/TCP with the pseudo-header) is computed. The caller guarantees the buffer
// holds the payload offset + payload_size bytes (kTcpSynAckSize for a SYN-ACK).
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet/address.h"
#include "packet/headers.h"

namespace openvpc::dataplane::services {

inline constexpr size_t kIpv4Offset = packet::kEthernetHeaderSize;
inline constexpr size_t kUdpOffset = kIpv4Offset + packet::kIpv4MinHeaderSize;
inline constexpr size_t kUdpPayloadOffset = kUdpOffset + packet::kUdpHeaderSize;
inline constexpr size_t kTcpOffset = kUdpOffset;  // both follow a 20-byte IPv4 header
inline constexpr size_t kTcpPayloadOffset = kTcpOffset + packet::kTcpMinHeaderSize;
inline constexpr size_t kTcpMssOptionSize = 4;
inline constexpr size_t kTcpSynAckSize = kTcpPayloadOffset + kTcpMssOptionSize;

struct UdpReplyAddressing {
  packet::MacAddress src_mac;
  packet::MacAddress dst_mac;
  packet::IpAddress src_ip;
  packet::IpAddress dst_ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
};

// A TCP segment from the router: the header without options, or (mss != 0) with one MSS option
// and then no payload (a SYN-ACK).
struct TcpReplySegment {
  UdpReplyAddressing addressing;  // same fields: MACs, addresses, ports
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;  // packet::TcpFlag bits
  uint16_t window = 65535;
  uint16_t mss = 0;  // 0: no option
};

void write_ethernet_header(uint8_t* out, const packet::MacAddress& dst,
                           const packet::MacAddress& src, uint16_t ethertype);
// A 20-byte IPv4 header, TTL 64, no fragmentation, header checksum set.
void write_ipv4_header(uint8_t* ip, const packet::IpAddress& src, const packet::IpAddress& dst,
                       uint8_t protocol, uint16_t total_length, uint16_t id, uint8_t tos);
// Frames the payload at out + kUdpPayloadOffset; returns the frame's size.
size_t write_udp_frame(uint8_t* out, const UdpReplyAddressing& addressing, size_t payload_size);
// Frames the payload at out + kTcpPayloadOffset (none when segment.mss != 0); returns the
// frame's size.
size_t write_tcp_frame(uint8_t* out, const TcpReplySegment& segment, size_t payload_size);

}  // namespace openvpc::dataplane::services
