// reply_frame.cc — header writers for the local services' replies (UDP and TCP).
#include "dataplane/services/reply_frame.h"

#include <algorithm>

#include "packet/checksum.h"
#include "packet/parser.h"

namespace openvpc::dataplane::services {

using packet::store_be16;

void write_ethernet_header(uint8_t* out, const packet::MacAddress& dst,
                           const packet::MacAddress& src, uint16_t ethertype) {
  std::copy_n(dst.bytes.data(), 6, out);
  std::copy_n(src.bytes.data(), 6, out + 6);
  store_be16(out + 12, ethertype);
}

void write_ipv4_header(uint8_t* ip, const packet::IpAddress& src, const packet::IpAddress& dst,
                       uint8_t protocol, uint16_t total_length, uint16_t id, uint8_t tos) {
  ip[0] = 0x45;
  ip[1] = tos;
  store_be16(ip + 2, total_length);
  store_be16(ip + 4, id);
  store_be16(ip + 6, 0);
  ip[8] = 64;
  ip[9] = protocol;
  store_be16(ip + 10, 0);
  std::copy_n(src.v4_wire(), 4, ip + 12);
  std::copy_n(dst.v4_wire(), 4, ip + 16);
  store_be16(ip + 10, packet::ipv4_header_checksum(ip, packet::kIpv4MinHeaderSize));
}

size_t write_udp_frame(uint8_t* out, const UdpReplyAddressing& a, size_t payload_size) {
  const size_t udp_size = packet::kUdpHeaderSize + payload_size;
  write_ethernet_header(out, a.dst_mac, a.src_mac, packet::kEthertypeIpv4);
  write_ipv4_header(out + kIpv4Offset, a.src_ip, a.dst_ip, packet::kProtoUdp,
                    uint16_t(packet::kIpv4MinHeaderSize + udp_size), 0, 0);
  uint8_t* udp = out + kUdpOffset;
  store_be16(udp, a.src_port);
  store_be16(udp + 2, a.dst_port);
  store_be16(udp + 4, uint16_t(udp_size));
  store_be16(udp + 6, 0);
  const uint16_t checksum =
      packet::l4_checksum(a.src_ip, a.dst_ip, packet::kProtoUdp, udp, udp_size);
  store_be16(udp + 6, checksum == 0 ? uint16_t(0xffff) : checksum);
  return kUdpPayloadOffset + payload_size;
}

size_t write_tcp_frame(uint8_t* out, const TcpReplySegment& s, size_t payload_size) {
  const UdpReplyAddressing& a = s.addressing;
  const size_t options_size = s.mss != 0 ? kTcpMssOptionSize : 0;
  if (s.mss != 0) payload_size = 0;
  const size_t tcp_size = packet::kTcpMinHeaderSize + options_size + payload_size;
  write_ethernet_header(out, a.dst_mac, a.src_mac, packet::kEthertypeIpv4);
  write_ipv4_header(out + kIpv4Offset, a.src_ip, a.dst_ip, packet::kProtoTcp,
                    uint16_t(packet::kIpv4MinHeaderSize + tcp_size), 0, 0);
  uint8_t* tcp = out + kTcpOffset;
  store_be16(tcp, a.src_port);
  store_be16(tcp + 2, a.dst_port);
  packet::store_be32(tcp + 4, s.seq);
  packet::store_be32(tcp + 8, s.ack);
  tcp[12] = uint8_t(((packet::kTcpMinHeaderSize + options_size) / 4) << 4);
  tcp[13] = s.flags;
  store_be16(tcp + 14, s.window);
  store_be16(tcp + 16, 0);
  store_be16(tcp + 18, 0);
  if (s.mss != 0) {
    tcp[20] = 2;  // kind: maximum segment size
    tcp[21] = 4;
    store_be16(tcp + 22, s.mss);
  }
  store_be16(tcp + 16, packet::l4_checksum(a.src_ip, a.dst_ip, packet::kProtoTcp, tcp, tcp_size));
  return kTcpOffset + tcp_size;
}

}  // namespace openvpc::dataplane::services
