#include "dataplane/nat_rewrite.h"

#include "packet/bytes.h"
#include "packet/checksum.h"

namespace openvpc::dataplane {
namespace {

constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;

// An L4 checksum field that may hold a partial (uncomplemented) pseudo-header sum.
uint16_t update32(uint16_t field, uint32_t old_value, uint32_t new_value, bool partial) {
  if (!partial) return packet::checksum_update32(field, old_value, new_value);
  return uint16_t(~packet::checksum_update32(uint16_t(~field), old_value, new_value));
}

// The L4 checksum field's offset within the L4 header, or 0 when the protocol has none that
// covers addresses (or UDP sent none).
size_t pseudo_header_checksum_at(uint8_t protocol, const uint8_t* l4, bool partial) {
  if (protocol == packet::kProtoTcp) return 16;
  if (protocol == packet::kProtoUdp && (partial || packet::load_be16(l4 + 6) != 0)) return 6;
  return 0;
}

// Rewrites one side of the IPv4 packet at `ip` whose L4 header is at `l4` (null: none, or not
// within `end`). Returns the old port (0: none rewritten).
uint16_t rewrite_at(uint8_t* ip, uint8_t* l4, const uint8_t* end, uint8_t protocol, NatSide side,
                    uint32_t address, uint16_t port, bool partial) {
  uint8_t* field = ip + (side == NatSide::source ? 12 : 16);
  const uint32_t old_address = packet::load_be32(field);
  packet::store_be32(field, address);
  packet::store_be16(ip + 10,
                     packet::checksum_update32(packet::load_be16(ip + 10), old_address, address));
  if (l4 == nullptr) return 0;
  uint16_t old_port = 0;
  if (protocol == packet::kProtoTcp || protocol == packet::kProtoUdp) {
    const size_t checksum_at = pseudo_header_checksum_at(protocol, l4, partial);
    const bool checksum_present = checksum_at != 0 && l4 + checksum_at + 2 <= end;
    uint8_t* port_field = l4 + (side == NatSide::source ? 0 : 2);
    uint16_t checksum = checksum_present ? packet::load_be16(l4 + checksum_at) : 0;
    if (checksum_present) checksum = update32(checksum, old_address, address, partial);
    if (port != 0) {
      old_port = packet::load_be16(port_field);
      packet::store_be16(port_field, port);
      // A partial checksum covers only the pseudo-header; the device sums the ports itself
      // (as Linux's inet_proto_csum_replace2 leaves a CHECKSUM_PARTIAL field alone).
      if (checksum_present && !partial)
        checksum = packet::checksum_update16(checksum, old_port, port);
    }
    if (checksum_present) {
      if (protocol == packet::kProtoUdp && checksum == 0 && !partial) checksum = 0xffff;
      packet::store_be16(l4 + checksum_at, checksum);
    }
  } else if (protocol == packet::kProtoIcmp && port != 0 && l4 + 8 <= end &&
             (l4[0] == kIcmpEchoRequest || l4[0] == kIcmpEchoReply)) {
    old_port = packet::load_be16(l4 + 4);
    packet::store_be16(l4 + 4, port);
    packet::store_be16(l4 + 2,
                       packet::checksum_update16(packet::load_be16(l4 + 2), old_port, port));
  }
  return old_port;
}

}  // namespace

uint16_t rewrite_ipv4(std::span<uint8_t> packet, const packet::PacketMeta& meta, NatSide side,
                      uint32_t address, uint16_t port, bool partial_l4_checksum) {
  uint8_t* ip = packet.data() + meta.l3_offset;
  uint8_t* l4 = meta.l4_offset != 0 ? packet.data() + meta.l4_offset : nullptr;
  return rewrite_at(ip, l4, ip + meta.l3_size, meta.tuple.protocol, side, address, port,
                    partial_l4_checksum);
}

bool rewrite_icmp_quote(std::span<uint8_t> packet, const packet::PacketMeta& meta, NatSide side,
                        uint32_t address, uint16_t port) {
  if (meta.tuple.protocol != packet::kProtoIcmp || !meta.icmp.is_error ||
      !meta.icmp_inner.present || !meta.icmp_inner.tuple.src.is_v4() || meta.l4_offset == 0) {
    return false;
  }
  uint8_t* icmp = packet.data() + meta.l4_offset;
  uint8_t* end = packet.data() + meta.l3_offset + meta.l3_size;
  uint8_t* quoted = packet.data() + meta.icmp_inner.l3_offset;
  uint8_t* quoted_l4 =
      meta.icmp_inner.l4_offset != 0 ? packet.data() + meta.icmp_inner.l4_offset : nullptr;
  if (quoted + 20 > end) return false;
  rewrite_at(quoted, quoted_l4, end, meta.icmp_inner.tuple.protocol, side, address, port, false);
  packet::store_be16(icmp + 2, 0);
  packet::store_be16(icmp + 2,
                     packet::checksum_fold(packet::checksum_partial(icmp, size_t(end - icmp))));
  return true;
}

}  // namespace openvpc::dataplane
