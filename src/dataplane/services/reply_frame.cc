// reply_frame.cc — header writers for the local services' replies.
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

}  // namespace openvpc::dataplane::services
