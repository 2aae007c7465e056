// writer.cc — hot-path writers for the router's local services (builder.h): ARP replies and
// ICMP errors into a caller buffer, without allocation.
#include <algorithm>

#include "packet/builder.h"
#include "packet/checksum.h"
#include "packet/headers.h"

namespace openvpc::packet {
namespace {

constexpr size_t kIcmpv4QuoteAfterHeader = 8;  // RFC 792
constexpr size_t kIpv6MinimumMtu = 1280;       // RFC 4443 §2.4 (c)

size_t write_icmpv4_error(uint8_t* out, size_t capacity, IpAddress from, uint8_t type, uint8_t code,
                          uint32_t rest, std::span<const uint8_t> offending) {
  if (offending.size() < kIpv4MinHeaderSize) return 0;
  const Ipv4View original(offending.data());
  const size_t original_size = std::min<size_t>(offending.size(), original.total_length());
  const size_t quote_size =
      std::min(original_size, original.header_size() + kIcmpv4QuoteAfterHeader);
  const size_t total = kIpv4MinHeaderSize + kIcmpHeaderSize + quote_size;
  if (total > capacity) return 0;
  uint8_t* ip = out;
  ip[0] = 0x45;
  ip[1] = 0;
  store_be16(ip + 2, uint16_t(total));
  store_be32(ip + 4, 0);
  ip[8] = 64;
  ip[9] = kProtoIcmp;
  store_be16(ip + 10, 0);
  std::copy_n(from.v4_wire(), 4, ip + 12);
  std::copy_n(offending.data() + 12, 4, ip + 16);  // back to the original sender
  store_be16(ip + 10, ipv4_header_checksum(ip, kIpv4MinHeaderSize));
  uint8_t* icmp = ip + kIpv4MinHeaderSize;
  icmp[0] = type;
  icmp[1] = code;
  store_be16(icmp + 2, 0);
  store_be32(icmp + 4, rest);
  std::copy_n(offending.data(), quote_size, icmp + kIcmpHeaderSize);
  store_be16(icmp + 2, checksum_fold(checksum_partial(icmp, kIcmpHeaderSize + quote_size)));
  return total;
}

size_t write_icmpv6_error(uint8_t* out, size_t capacity, IpAddress from, uint8_t type, uint8_t code,
                          uint32_t rest, std::span<const uint8_t> offending) {
  if (offending.size() < kIpv6HeaderSize) return 0;
  const size_t quote_size =
      std::min(offending.size(), kIpv6MinimumMtu - kIpv6HeaderSize - kIcmpHeaderSize);
  const size_t total = kIpv6HeaderSize + kIcmpHeaderSize + quote_size;
  if (total > capacity) return 0;
  const IpAddress to = Ipv6View(offending.data()).src();
  uint8_t* ip = out;
  store_be32(ip, 0x60000000u);
  store_be16(ip + 4, uint16_t(kIcmpHeaderSize + quote_size));
  ip[6] = kProtoIcmpv6;
  ip[7] = 64;
  std::copy_n(from.bytes.data(), 16, ip + 8);
  std::copy_n(to.bytes.data(), 16, ip + 24);
  uint8_t* icmp = ip + kIpv6HeaderSize;
  icmp[0] = type;
  icmp[1] = code;
  store_be16(icmp + 2, 0);
  store_be32(icmp + 4, rest);
  std::copy_n(offending.data(), quote_size, icmp + kIcmpHeaderSize);
  store_be16(icmp + 2, l4_checksum(from, to, kProtoIcmpv6, icmp, kIcmpHeaderSize + quote_size));
  return total;
}

}  // namespace

size_t write_arp_reply(uint8_t* out, size_t capacity, MacAddress our_mac, IpAddress our_ip,
                       MacAddress to_mac, IpAddress to_ip) {
  if (capacity < kEthernetHeaderSize + kArpSize) return 0;
  std::copy_n(to_mac.bytes.data(), 6, out);
  std::copy_n(our_mac.bytes.data(), 6, out + 6);
  store_be16(out + 12, kEthertypeArp);
  uint8_t* arp = out + kEthernetHeaderSize;
  store_be16(arp, 1);
  store_be16(arp + 2, kEthertypeIpv4);
  arp[4] = 6;
  arp[5] = 4;
  store_be16(arp + 6, 2);
  std::copy_n(our_mac.bytes.data(), 6, arp + 8);
  std::copy_n(our_ip.v4_wire(), 4, arp + 14);
  std::copy_n(to_mac.bytes.data(), 6, arp + 18);
  std::copy_n(to_ip.v4_wire(), 4, arp + 24);
  return kEthernetHeaderSize + kArpSize;
}

size_t write_icmp_error(uint8_t* out, size_t capacity, IpAddress from, uint8_t type, uint8_t code,
                        uint32_t rest, std::span<const uint8_t> offending_ip_packet) {
  if (offending_ip_packet.empty()) return 0;
  const uint8_t version = offending_ip_packet[0] >> 4;
  if (from.is_v4() && version == 4) {
    return write_icmpv4_error(out, capacity, from, type, code, rest, offending_ip_packet);
  }
  if (!from.is_v4() && version == 6) {
    return write_icmpv6_error(out, capacity, from, type, code, rest, offending_ip_packet);
  }
  return 0;
}

}  // namespace openvpc::packet
