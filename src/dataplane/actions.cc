#include "dataplane/actions.h"

#include "dataplane/nat_rewrite.h"

#include <algorithm>
#include <cstring>

#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/ecn.h"
#include "packet/geneve.h"

namespace openvpc::dataplane {
namespace {

constexpr size_t kEthernetSize = 14;
constexpr uint8_t kIcmpTimeExceeded = 11;
constexpr uint8_t kIcmpDestinationUnreachable = 3;
constexpr uint8_t kIcmpFragmentationNeeded = 4;  // code of destination unreachable
constexpr uint8_t kOuterTtl = 64;
// Geneve version 0, options length 4 words, no flags, protocol type IPv4.
constexpr uint32_t kGeneveFirstWord =
    uint32_t((packet::kGeneveOptionHeaderSize + packet::kVpcOptionDataSize) / 4) << 24 |
    packet::kEthertypeIpv4;

void write_ethernet(uint8_t* frame, const packet::MacAddress& dst, const packet::MacAddress& src,
                    uint16_t ethertype) {
  std::memcpy(frame, dst.bytes.data(), 6);
  std::memcpy(frame + 6, src.bytes.data(), 6);
  packet::store_be16(frame + 12, ethertype);
}

// Byte for byte what packet::write_geneve_encap writes, with the outer header checksum
// finished from the flow's precomputed sum (FlowAction::outer_checksum_base).
// A TSO super-frame (Packet::gso_type) adds its GSO flag and size to the VPC option.
void write_encapsulation(uint8_t* out, const FlowAction& a, uint32_t outer_src, uint16_t inner_size,
                         const Packet& p) {
  const uint16_t total = uint16_t(packet::kGeneveEncapSize + inner_size);
  // RFC 6040 normal mode: the outer TOS is the inner one (ECN copied, DSCP kept; ecn.h).
  const uint8_t tos = packet::ip_tos(out + packet::kGeneveEncapSize);
  packet::store_be32(out, 0x45000000u | uint32_t(tos) << 16 | total);
  packet::store_be32(out + 4, 0x00004000);
  packet::store_be32(out + 8, uint32_t(kOuterTtl) << 24 | uint32_t(packet::kProtoUdp) << 16);
  packet::store_be32(out + 12, outer_src);
  packet::store_be32(out + 16, a.outer_dst_v4);
  uint32_t sum = a.outer_checksum_base + total + tos;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  packet::store_be16(out + 10, uint16_t(~sum));
  uint8_t* udp = out + 20;
  packet::store_be32(udp, uint32_t(a.outer_src_port) << 16 | packet::kGenevePort);
  packet::store_be32(udp + 4, uint32_t(total - 20) << 16);
  uint8_t* geneve = udp + 8;
  packet::store_be32(geneve, kGeneveFirstWord);
  packet::store_be32(geneve + 4, (a.vni & 0xffffff) << 8);
  packet::store_be32(geneve + 8, uint32_t(packet::kVpcOptionClass) << 16 |
                                     uint32_t(packet::kVpcOptionType) << 8 |
                                     packet::kVpcOptionDataSize / 4);
  packet::store_be32(geneve + 12, a.source_eni);
  packet::store_be32(geneve + 16, a.destination_eni);
  const uint16_t gso_flag = p.gso_type == kGsoTcpv4   ? packet::kVpcFlagGsoTcpv4
                            : p.gso_type == kGsoTcpv6 ? packet::kVpcFlagGsoTcpv6
                                                      : 0;
  packet::store_be32(geneve + 20,
                     uint32_t(a.vpc_flags | gso_flag) << 16 | (gso_flag != 0 ? p.gso_size : 0));
}

// Moves data to start at `start` (inside the buffer) and keeps headroom/capacity consistent.
void move_start(Packet& p, uint8_t* start, size_t size) {
  const ptrdiff_t shift = start - p.data;
  p.headroom = uint16_t(p.headroom + shift);
  p.capacity = uint16_t(p.capacity - shift);
  p.data = start;
  p.size = uint16_t(size);
}

// write_encapsulation() from the flow's prebuilt headers (prebuild_outer_header: the same
// bytes for TOS 0, length 0, no GSO): a 52-byte copy, then the per-packet fields patched —
// TOS (RFC 6040, as above), total length, checksum, UDP length and the GSO word of a
// super-frame. Byte for byte what write_encapsulation() writes (actions_test.cc).
void write_prebuilt_encapsulation(uint8_t* out, const uint8_t* prebuilt, const FlowAction& a,
                                  uint16_t inner_size, const Packet& p) {
  const uint16_t total = uint16_t(packet::kGeneveEncapSize + inner_size);
  const uint8_t tos = packet::ip_tos(out + packet::kGeneveEncapSize);
  std::memcpy(out, prebuilt, packet::kGeneveEncapSize);
  out[1] = tos;
  packet::store_be16(out + 2, total);
  uint32_t sum = a.outer_checksum_base + total + tos;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  packet::store_be16(out + 10, uint16_t(~sum));
  packet::store_be16(out + 24, uint16_t(total - 20));
  if (p.gso_type != kGsoNone) [[unlikely]] {
    const uint16_t gso_flag = p.gso_type == kGsoTcpv4   ? packet::kVpcFlagGsoTcpv4
                              : p.gso_type == kGsoTcpv6 ? packet::kVpcFlagGsoTcpv6
                                                        : 0;
    packet::store_be32(out + 48,
                       uint32_t(a.vpc_flags | gso_flag) << 16 | (gso_flag != 0 ? p.gso_size : 0));
  }
}

// encapsulate() with, when `prebuilt` is not null, the flow's prebuilt outer headers.
void encapsulate_with(const FlowAction& a, const packet::PacketMeta& meta, uint32_t outer_src,
                      const uint8_t* prebuilt, Packet& p) {
  uint8_t* ip = p.data + meta.l3_offset;
  uint8_t* outer = ip - packet::kGeneveEncapSize;
  if (outer < p.data - p.headroom) return drop_packet(p, DropReason::headroom_too_small);
  if (meta.l3_size > 0xffff - packet::kGeneveEncapSize) {
    return drop_packet(p, DropReason::too_big_to_encapsulate);
  }
  if (prebuilt != nullptr) {
    write_prebuilt_encapsulation(outer, prebuilt, a, meta.l3_size, p);
  } else {
    write_encapsulation(outer, a, outer_src, meta.l3_size, p);
  }
  move_start(p, outer, packet::kGeneveEncapSize + meta.l3_size);
  p.out_port = Port::underlay();
  p.verdict = Verdict::encapsulate;
  p.drop_reason = DropReason::none;
}

// Replaces the packet with an ICMP error from the source subnet's router to the sender;
// `reason` is the drop reason it answers.
void reply_icmp_error(const packet::PacketMeta& meta, const CompiledProgram& program,
                      const LocalEni& source, uint8_t type, uint8_t code, uint32_t rest,
                      DropReason reason, Packet& p) {
  const uint8_t* ip = p.data + meta.l3_offset;
  uint8_t quoted[60 + 8];
  const size_t quoted_size =
      std::min<size_t>({meta.l3_size, size_t(meta.ipv4_ihl) * 4 + 8, sizeof quoted});
  std::memcpy(quoted, ip, quoted_size);
  // The quote keeps the TTL as received (decrement_ttl did not touch it).
  uint8_t* frame = p.data - p.headroom;
  const size_t room = size_t(p.headroom) + p.capacity;
  const auto& router = program.subnets[source.subnet].router_address;
  const size_t ip_size = packet::write_icmp_error(frame + kEthernetSize, room - kEthernetSize,
                                                  router, type, code, rest, {quoted, quoted_size});
  if (ip_size == 0) {
    drop_packet(p, reason);
    return;
  }
  write_ethernet(frame, source.mac, program.router_mac, packet::kEthertypeIpv4);
  p.headroom = 0;
  p.capacity = uint16_t(std::min<size_t>(room, 0xffff));
  p.data = frame;
  p.size = uint16_t(kEthernetSize + ip_size);
  p.verdict = Verdict::icmp_error;
  p.drop_reason = reason;
  p.gso_size = 0;  // the error is one plain packet
  p.gso_type = kGsoNone;
  p.out_port = Port::eni(source.id);
}

}  // namespace

bool decapsulate_ecn(Packet& p, const packet::PacketMeta& meta) {
  const uint8_t inner = meta.tos & packet::kEcnMask;
  const auto ecn = packet::decapsulated_ecn(meta.geneve.outer_tos, inner);
  if (!ecn) return false;
  if (*ecn != inner) packet::set_ip_ecn(p.data + meta.l3_offset, *ecn);
  return true;
}

uint32_t outer_checksum_base(uint32_t outer_src, uint32_t outer_dst) {
  // The IPv4 header words of write_encapsulation() except the TOS, total length and checksum.
  uint32_t sum = 0x4500 + 0x0000 + 0x4000 + (uint32_t(kOuterTtl) << 8 | packet::kProtoUdp);
  sum += (outer_src >> 16) + (outer_src & 0xffff) + (outer_dst >> 16) + (outer_dst & 0xffff);
  return sum;
}

void reply_fragmentation_needed(const packet::PacketMeta& meta, const CompiledProgram& program,
                                const LocalEni& source, uint16_t mtu, Packet& p) {
  // RFC 1191: the next-hop MTU in the low 16 bits of the word after the checksum.
  reply_icmp_error(meta, program, source, kIcmpDestinationUnreachable, kIcmpFragmentationNeeded,
                   mtu, DropReason::mtu_exceeded, p);
}

void encapsulate(const FlowAction& a, const packet::PacketMeta& meta, uint32_t outer_src,
                 Packet& p) {
  encapsulate_with(a, meta, outer_src, nullptr, p);
}

void prebuild_outer_header(const FlowAction& a, uint32_t outer_src,
                           std::span<uint8_t, packet::kGeneveEncapSize> out) {
  uint8_t scratch[packet::kGeneveEncapSize + 2] = {};  // an inner header with TOS 0
  write_encapsulation(scratch, a, outer_src, 0, Packet{});
  std::memcpy(out.data(), scratch, out.size());
}

void apply_action(const FlowAction& a, const packet::PacketMeta& meta,
                  const CompiledProgram& program, const LocalEni* source, Packet& p,
                  const uint8_t* prebuilt) {
  if (a.verdict == Verdict::drop) return drop_packet(p, a.drop_reason);
  if (a.verdict == Verdict::to_local_services) {
    p.verdict = Verdict::to_local_services;
    p.drop_reason = DropReason::none;
    p.out_port = p.in_port;
    return;
  }
  uint8_t* ip = p.data + meta.l3_offset;
  if (a.decrement_ttl && !decrement_ipv4_ttl(ip)) {
    if (source == nullptr) return drop_packet(p, DropReason::ttl_expired);
    return reply_icmp_error(meta, program, *source, kIcmpTimeExceeded, 0, 0,
                            DropReason::ttl_expired, p);
  }
  p.drop_reason = DropReason::none;
  switch (a.verdict) {
    case Verdict::deliver:
      write_ethernet(ip - kEthernetSize, a.dst_mac, a.src_mac, packet::kEthertypeIpv4);
      move_start(p, ip - kEthernetSize, kEthernetSize + meta.l3_size);
      p.out_port = Port::eni(a.out_id);
      break;
    case Verdict::encapsulate:
      return encapsulate_with(a, meta, program.host_underlay_v4, prebuilt, p);
    case Verdict::to_gateway:
      move_start(p, ip, meta.l3_size);
      p.out_port = Port{PortKind::gateway, a.out_id};
      p.gateway_kind = a.gateway_kind;
      break;
    default:
      return drop_packet(p, DropReason::malformed);  // unreachable: no other cached verdict
  }
  p.verdict = a.verdict;
}

}  // namespace openvpc::dataplane
