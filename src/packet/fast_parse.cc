// fast_parse.cc — see fast_parse.h; mirrors parse_ethernet, parse_ipv4 and parse_tcp/udp
// for the one shape it accepts.
#include "packet/fast_parse.h"

#include <cstring>

#include "packet/bytes.h"

namespace openvpc::packet {
namespace {

constexpr size_t kEthernet = 14;
constexpr size_t kIpv4 = 20;
constexpr size_t kTcp = 20;
constexpr size_t kUdp = 8;
constexpr uint16_t kMoreFragments = 0x2000;
constexpr uint16_t kDontFragment = 0x4000;
constexpr uint16_t kOffsetMask = 0x1fff;

// The frame's shape check and every field that differs between frames of the shape; with
// `constants`, also the fields that are the same for all of them.
template <bool constants>
[[gnu::always_inline]] inline bool parse(std::span<const uint8_t> frame, PacketMeta& meta) {
  const uint8_t* p = frame.data();
  const size_t size = frame.size();
  if (size < kEthernet + kIpv4 + kUdp || size >= 65535) return false;
  const uint8_t* ip = p + kEthernet;
  if (load_be16(p + 12) != kEthertypeIpv4 || ip[0] != 0x45) return false;
  const size_t total = load_be16(ip + 2);
  const uint16_t flags_offset = load_be16(ip + 6);
  if (total < kIpv4 || total > size - kEthernet) return false;
  if (flags_offset & (kMoreFragments | kOffsetMask)) return false;
  const uint8_t protocol = ip[9];
  const uint8_t* l4 = ip + kIpv4;
  const size_t l4_size = total - kIpv4;
  size_t header = 0;
  if (protocol == kProtoTcp) {
    if (l4_size < kTcp || (l4[12] >> 4) != kTcp / 4) return false;
    header = kTcp;
  } else if (protocol == kProtoUdp) {
    const size_t length = load_be16(l4 + 4);
    if (l4_size < kUdp || length < kUdp || length > l4_size) return false;
    header = kUdp;
  } else {
    return false;
  }

  // Every field written once, sub-records as whole values: no zero-fill of the whole record
  // followed by a second write of most of it.
  if constexpr (constants) {
    meta.error = ParseError::none;
    meta.has_ethernet = true;
    meta.has_vlan = false;
    meta.vlan_tci = 0;
    meta.ethertype = kEthertypeIpv4;
    meta.arp_operation = 0;
    meta.l3_offset = uint16_t(kEthernet);
    meta.ip_version = 4;
    meta.ipv4_ihl = 5;
    meta.ipv6_extension_count = 0;
    meta.l4_offset = uint16_t(kEthernet + kIpv4);
    meta.tuple.ip_version = 4;
    meta.tcp = TcpInfo{};  // the options' fields stay as parse_frame leaves them without any
    meta.icmp = IcmpInfo{};
    meta.icmp_inner = IcmpInner{};
    meta.geneve = GeneveInfo{};
  }
  meta.size = uint16_t(size);
  std::memcpy(meta.eth_dst.bytes.data(), p, 6);
  std::memcpy(meta.eth_src.bytes.data(), p + 6, 6);
  meta.l3_size = uint16_t(total);
  meta.ttl = ip[8];
  meta.tos = ip[1];
  meta.fragment =
      FragmentInfo{false, false, (flags_offset & kDontFragment) != 0, 0, load_be16(ip + 4)};
  meta.payload_offset = uint16_t(kEthernet + kIpv4 + header);
  FiveTuple& tuple = meta.tuple;
  tuple.src = IpAddress::v4_from_wire(ip + 12);
  tuple.dst = IpAddress::v4_from_wire(ip + 16);
  tuple.src_port = load_be16(l4);
  tuple.dst_port = load_be16(l4 + 2);
  tuple.protocol = protocol;
  const bool tcp = protocol == kProtoTcp;
  meta.tcp.seq = tcp ? load_be32(l4 + 4) : 0;
  meta.tcp.ack = tcp ? load_be32(l4 + 8) : 0;
  meta.tcp.window = tcp ? load_be16(l4 + 14) : 0;
  meta.tcp.flags = tcp ? l4[13] : 0;
  meta.tcp.payload_size = tcp ? uint16_t(l4_size - kTcp) : 0;
  return true;
}

}  // namespace

bool fast_parse_frame(std::span<const uint8_t> frame, PacketMeta& meta) {
  return parse<true>(frame, meta);
}

bool fast_parse_frame_again(std::span<const uint8_t> frame, PacketMeta& meta) {
  return parse<false>(frame, meta);
}

}  // namespace openvpc::packet
