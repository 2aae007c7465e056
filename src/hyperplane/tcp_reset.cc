#include "hyperplane/tcp_reset.h"

#include <cstring>

#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/headers.h"

namespace openvpc::hyperplane {

size_t write_tcp_reset(std::span<uint8_t> packet, const packet::PacketMeta& meta) {
  using packet::store_be16;
  using packet::store_be32;
  if (!meta.ok() || meta.ip_version != 4 || meta.tuple.protocol != packet::kProtoTcp ||
      meta.l4_offset == 0 || (meta.tcp.flags & packet::kTcpRst)) {
    return 0;
  }
  constexpr size_t kSize = packet::kIpv4MinHeaderSize + packet::kTcpMinHeaderSize;
  if (packet.size() < size_t(meta.l3_offset) + kSize) return 0;
  const uint8_t flags = meta.tcp.flags;
  const uint32_t payload = uint32_t(meta.l3_offset + meta.l3_size - meta.payload_offset);
  const uint32_t length =
      payload + ((flags & packet::kTcpSyn) ? 1 : 0) + ((flags & packet::kTcpFin) ? 1 : 0);
  const bool had_ack = flags & packet::kTcpAck;
  const uint32_t seq = had_ack ? meta.tcp.ack : 0;
  const uint32_t ack = meta.tcp.seq + length;

  uint8_t* ip = packet.data() + meta.l3_offset;
  uint8_t* tcp = ip + packet::kIpv4MinHeaderSize;
  const packet::IpAddress from = meta.tuple.dst, to = meta.tuple.src;
  ip[0] = 0x45;
  ip[1] = 0;
  store_be16(ip + 2, uint16_t(kSize));
  store_be16(ip + 4, 0);  // identification
  store_be16(ip + 6, 0);  // no flags, offset 0
  ip[8] = 64;
  ip[9] = packet::kProtoTcp;
  std::memcpy(ip + 12, from.v4_wire(), 4);
  std::memcpy(ip + 16, to.v4_wire(), 4);
  store_be16(ip + 10, 0);
  store_be16(ip + 10, packet::ipv4_header_checksum(ip, packet::kIpv4MinHeaderSize));

  store_be16(tcp + 0, meta.tuple.dst_port);
  store_be16(tcp + 2, meta.tuple.src_port);
  store_be32(tcp + 4, seq);
  store_be32(tcp + 8, had_ack ? 0 : ack);
  tcp[12] = 5 << 4;  // data offset: 20 bytes, no options
  tcp[13] = uint8_t(had_ack ? packet::kTcpRst : packet::kTcpRst | packet::kTcpAck);
  store_be16(tcp + 14, 0);  // window
  store_be16(tcp + 16, 0);  // checksum
  store_be16(tcp + 18, 0);  // urgent pointer
  store_be16(tcp + 16,
             packet::l4_checksum(from, to, packet::kProtoTcp, tcp, packet::kTcpMinHeaderSize));
  return kSize;
}

size_t write_tcp_rst(uint8_t* out, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                     uint32_t seq) {
  using packet::store_be16;
  using packet::store_be32;
  constexpr size_t kSize = packet::kIpv4MinHeaderSize + packet::kTcpMinHeaderSize;
  uint8_t* ip = out;
  uint8_t* tcp = ip + packet::kIpv4MinHeaderSize;
  std::memset(out, 0, kSize);
  ip[0] = 0x45;
  store_be16(ip + 2, uint16_t(kSize));
  ip[8] = 64;
  ip[9] = packet::kProtoTcp;
  store_be32(ip + 12, src);
  store_be32(ip + 16, dst);
  store_be16(ip + 10, packet::ipv4_header_checksum(ip, packet::kIpv4MinHeaderSize));
  store_be16(tcp + 0, sport);
  store_be16(tcp + 2, dport);
  store_be32(tcp + 4, seq);
  tcp[12] = 5 << 4;
  tcp[13] = packet::kTcpRst;
  store_be16(tcp + 16, packet::l4_checksum(packet::IpAddress::v4(src), packet::IpAddress::v4(dst),
                                           packet::kProtoTcp, tcp, packet::kTcpMinHeaderSize));
  return kSize;
}

}  // namespace openvpc::hyperplane
