// samples.h — well-formed sample packets shared by the packet unit tests.
//
// Every sample is built by src/packet's builders and parses without error; malformed cases
// start from a sample and change the bytes the case is about.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "packet/builder.h"

namespace openvpc::packet::test {

inline IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}
inline MacAddress mac(const char* text) {
  return *MacAddress::parse(text);
}

inline IpSpec ipv4_spec() {
  return IpSpec{.src = ip("10.0.1.5"), .dst = ip("10.0.2.7")};
}
inline IpSpec ipv6_spec() {
  return IpSpec{.src = ip("2001:db8:1::5"), .dst = ip("2001:db8:2::7")};
}
inline FrameSpec frame_spec() {
  return FrameSpec{.src_mac = mac("02:00:00:00:00:01"), .dst_mac = mac("02:00:00:00:00:02")};
}

inline TcpSpec syn_with_options() {
  return TcpSpec{.src_port = 40000,
                 .dst_port = 443,
                 .seq = 1000,
                 .mss = 8961,
                 .window_scale = 7,
                 .sack_permitted = true,
                 .timestamps = std::pair<uint32_t, uint32_t>{123, 0}};
}

inline std::vector<uint8_t> tcp_v4() {
  return build_tcp(ipv4_spec(), syn_with_options());
}
inline std::vector<uint8_t> tcp_v6() {
  return build_tcp(ipv6_spec(), syn_with_options());
}
inline std::vector<uint8_t> udp_v4(uint16_t dst_port = 53) {
  const uint8_t payload[4] = {1, 2, 3, 4};
  return build_udp(ipv4_spec(), UdpSpec{.src_port = 5353, .dst_port = dst_port}, payload);
}
inline std::vector<uint8_t> udp_v6() {
  return build_udp(ipv6_spec(), UdpSpec{.src_port = 5353, .dst_port = 53});
}
inline std::vector<uint8_t> echo_v4() {
  return build_icmp_echo(ipv4_spec(), IcmpEchoSpec{.id = 77, .sequence = 3});
}
inline std::vector<uint8_t> echo_v6() {
  return build_icmp_echo(ipv6_spec(), IcmpEchoSpec{.id = 77, .sequence = 3});
}
inline std::vector<uint8_t> frame(std::span<const uint8_t> ip_packet) {
  return with_ethernet(frame_spec(), ip_packet);
}

inline GeneveEncap encap_spec() {
  return GeneveEncap{.outer_src_v4 = 0x7f000101,
                     .outer_dst_v4 = 0x7f000102,
                     .src_port = 50000,
                     .vni = 0x123456,
                     .source_eni = 11,
                     .destination_eni = 22,
                     .vpc_flags = 0x0002};
}
// Outer IPv4 (20) + UDP (8) + Geneve (8) + VPC option (16) + inner TCP.
inline std::vector<uint8_t> geneve_tcp() {
  return build_geneve(encap_spec(), tcp_v4());
}
inline constexpr size_t kGeneveAt = 28;
inline constexpr size_t kOptionAt = 36;
inline constexpr size_t kInnerAt = 52;

// Replaces the IPv6 next header / payload length and inserts extension bytes after the
// fixed header.
inline std::vector<uint8_t> with_ipv6_extensions(std::vector<uint8_t> packet, uint8_t first,
                                                 std::span<const uint8_t> extensions) {
  packet.insert(packet.begin() + 40, extensions.begin(), extensions.end());
  packet[6] = first;
  const size_t payload = packet.size() - 40;
  packet[4] = uint8_t(payload >> 8);
  packet[5] = uint8_t(payload);
  return packet;
}

}  // namespace openvpc::packet::test
