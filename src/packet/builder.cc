// builder.cc — packet builders returning vectors (tests, tools, control side).
#include "packet/builder.h"

#include "packet/ecn.h"

#include <algorithm>

#include "packet/checksum.h"
#include "packet/headers.h"

namespace openvpc::packet {
namespace {

constexpr uint8_t kIpv6FragmentHeader = 44;

void append(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

std::vector<uint8_t> tcp_options(const TcpSpec& tcp) {
  std::vector<uint8_t> options;
  if (tcp.mss) options.insert(options.end(), {2, 4, uint8_t(*tcp.mss >> 8), uint8_t(*tcp.mss)});
  if (tcp.sack_permitted && tcp.timestamps) {
    options.insert(options.end(), {4, 2, 8, 10});
  } else if (tcp.sack_permitted) {
    options.insert(options.end(), {1, 1, 4, 2});
  } else if (tcp.timestamps) {
    options.insert(options.end(), {1, 1, 8, 10});
  }
  if (tcp.timestamps) {
    uint8_t values[8];
    store_be32(values, tcp.timestamps->first);
    store_be32(values + 4, tcp.timestamps->second);
    options.insert(options.end(), values, values + 8);
  }
  if (tcp.window_scale) options.insert(options.end(), {1, 3, 3, *tcp.window_scale});
  return options;
}

std::vector<uint8_t> ipv4_packet(const IpSpec& spec, uint8_t protocol,
                                 std::span<const uint8_t> l4) {
  std::vector<uint8_t> out(kIpv4MinHeaderSize);
  uint8_t* ip = out.data();
  ip[0] = 0x45;
  ip[1] = spec.tos;
  store_be16(ip + 2, uint16_t(kIpv4MinHeaderSize + l4.size()));
  store_be16(ip + 4, spec.id);
  uint16_t flags_offset = uint16_t((spec.fragment_offset / 8) & 0x1fff);
  if (spec.dont_fragment) flags_offset |= 0x4000;
  if (spec.more_fragments) flags_offset |= 0x2000;
  store_be16(ip + 6, flags_offset);
  ip[8] = spec.ttl;
  ip[9] = protocol;
  std::copy_n(spec.src.v4_wire(), 4, ip + 12);
  std::copy_n(spec.dst.v4_wire(), 4, ip + 16);
  store_be16(ip + 10, ipv4_header_checksum(ip, kIpv4MinHeaderSize));
  append(out, l4);
  return out;
}

std::vector<uint8_t> ipv6_packet(const IpSpec& spec, uint8_t protocol,
                                 std::span<const uint8_t> l4) {
  const bool fragmented = spec.fragment_offset != 0 || spec.more_fragments;
  const size_t extension_size = fragmented ? 8 : 0;
  std::vector<uint8_t> out(kIpv6HeaderSize + extension_size);
  uint8_t* ip = out.data();
  store_be32(ip, 0x60000000u | (uint32_t(spec.tos) << 20));
  store_be16(ip + 4, uint16_t(extension_size + l4.size()));
  ip[6] = fragmented ? kIpv6FragmentHeader : protocol;
  ip[7] = spec.ttl;
  std::copy_n(spec.src.bytes.data(), 16, ip + 8);
  std::copy_n(spec.dst.bytes.data(), 16, ip + 24);
  if (fragmented) {
    uint8_t* fragment = ip + kIpv6HeaderSize;
    fragment[0] = protocol;
    store_be16(fragment + 2, uint16_t((spec.fragment_offset & 0xfff8) | spec.more_fragments));
    store_be32(fragment + 4, spec.id);
  }
  append(out, l4);
  return out;
}

}  // namespace

std::vector<uint8_t> build_ip(const IpSpec& spec, uint8_t protocol, std::span<const uint8_t> l4) {
  return spec.src.is_v4() ? ipv4_packet(spec, protocol, l4) : ipv6_packet(spec, protocol, l4);
}

std::vector<uint8_t> build_tcp(const IpSpec& ip, const TcpSpec& tcp,
                               std::span<const uint8_t> payload) {
  const std::vector<uint8_t> options = tcp_options(tcp);
  std::vector<uint8_t> segment(kTcpMinHeaderSize);
  uint8_t* p = segment.data();
  store_be16(p, tcp.src_port);
  store_be16(p + 2, tcp.dst_port);
  store_be32(p + 4, tcp.seq);
  store_be32(p + 8, tcp.ack);
  p[12] = uint8_t(((kTcpMinHeaderSize + options.size()) / 4) << 4);
  p[13] = tcp.flags;
  store_be16(p + 14, tcp.window);
  append(segment, options);
  append(segment, payload);
  store_be16(segment.data() + 16,
             l4_checksum(ip.src, ip.dst, kProtoTcp, segment.data(), segment.size()));
  return build_ip(ip, kProtoTcp, segment);
}

std::vector<uint8_t> build_udp(const IpSpec& ip, const UdpSpec& udp,
                               std::span<const uint8_t> payload) {
  std::vector<uint8_t> datagram(kUdpHeaderSize);
  store_be16(datagram.data(), udp.src_port);
  store_be16(datagram.data() + 2, udp.dst_port);
  store_be16(datagram.data() + 4, uint16_t(kUdpHeaderSize + payload.size()));
  append(datagram, payload);
  const uint16_t checksum =
      l4_checksum(ip.src, ip.dst, kProtoUdp, datagram.data(), datagram.size());
  store_be16(datagram.data() + 6, checksum == 0 ? 0xffff : checksum);
  return build_ip(ip, kProtoUdp, datagram);
}

std::vector<uint8_t> build_icmp_echo(const IpSpec& ip, const IcmpEchoSpec& echo,
                                     std::span<const uint8_t> payload) {
  const bool v4 = ip.src.is_v4();
  std::vector<uint8_t> message(kIcmpHeaderSize);
  message[0] = v4 ? (echo.request ? 8 : 0) : (echo.request ? 128 : 129);
  store_be16(message.data() + 4, echo.id);
  store_be16(message.data() + 6, echo.sequence);
  append(message, payload);
  const uint16_t checksum =
      v4 ? checksum_fold(checksum_partial(message.data(), message.size()))
         : l4_checksum(ip.src, ip.dst, kProtoIcmpv6, message.data(), message.size());
  store_be16(message.data() + 2, checksum);
  return build_ip(ip, v4 ? kProtoIcmp : kProtoIcmpv6, message);
}

std::vector<uint8_t> with_ethernet(const FrameSpec& frame, std::span<const uint8_t> ip_packet) {
  std::vector<uint8_t> out(kEthernetHeaderSize + (frame.vlan ? kVlanTagSize : 0));
  std::copy(frame.dst_mac.bytes.begin(), frame.dst_mac.bytes.end(), out.begin());
  std::copy(frame.src_mac.bytes.begin(), frame.src_mac.bytes.end(), out.begin() + 6);
  size_t at = 12;
  if (frame.vlan) {
    store_be16(out.data() + at, kEthertypeVlan);
    store_be16(out.data() + at + 2, *frame.vlan);
    at += kVlanTagSize;
  }
  const bool v6 = !ip_packet.empty() && (ip_packet[0] >> 4) == 6;
  store_be16(out.data() + at, v6 ? kEthertypeIpv6 : kEthertypeIpv4);
  append(out, ip_packet);
  return out;
}

std::vector<uint8_t> build_geneve(const GeneveEncap& encap, std::span<const uint8_t> inner_ip) {
  std::vector<uint8_t> out(kGeneveEncapSize);
  GeneveEncap outer = encap;
  if (inner_ip.size() >= 2) outer.tos = ip_tos(inner_ip.data());  // RFC 6040 normal mode
  write_geneve_encap(out.data(), outer, uint16_t(inner_ip.size()));
  append(out, inner_ip);
  return out;
}

std::vector<uint8_t> build_arp_request(MacAddress sender_mac, IpAddress sender_ip,
                                       IpAddress target_ip) {
  std::vector<uint8_t> out(kEthernetHeaderSize + kArpSize, 0);
  uint8_t* p = out.data();
  std::fill_n(p, 6, 0xff);
  std::copy_n(sender_mac.bytes.data(), 6, p + 6);
  store_be16(p + 12, kEthertypeArp);
  uint8_t* arp = p + kEthernetHeaderSize;
  store_be16(arp, 1);
  store_be16(arp + 2, kEthertypeIpv4);
  arp[4] = 6;
  arp[5] = 4;
  store_be16(arp + 6, 1);
  std::copy_n(sender_mac.bytes.data(), 6, arp + 8);
  std::copy_n(sender_ip.v4_wire(), 4, arp + 14);
  std::copy_n(target_ip.v4_wire(), 4, arp + 24);
  return out;
}

}  // namespace openvpc::packet
