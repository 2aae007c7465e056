// geneve.cc — the hot-path encapsulation writer and the flow hash for the UDP source port.
#include "packet/geneve.h"

#include "packet/checksum.h"

namespace openvpc::packet {
namespace {

constexpr uint8_t kGeneveOptionWords = (kGeneveOptionHeaderSize + kVpcOptionDataSize) / 4;

uint32_t mix(uint32_t hash, uint32_t word) {
  hash ^= word;
  hash *= 0x9e3779b1u;
  return (hash << 13) | (hash >> 19);
}

}  // namespace

void write_geneve_encap(uint8_t* out, const GeneveEncap& encap, uint16_t inner_size) {
  const uint16_t total = uint16_t(kGeneveEncapSize + inner_size);
  // IPv4: version 4, IHL 5, DF, protocol UDP.
  uint8_t* ip = out;
  ip[0] = 0x45;
  ip[1] = encap.tos;  // RFC 6040 normal mode: the inner packet's TOS byte (ecn.h)
  store_be16(ip + 2, total);
  store_be32(ip + 4, 0x00004000);  // id 0, DF (RFC 6864: atomic datagrams may use id 0)
  ip[8] = encap.ttl;
  ip[9] = kProtoUdp;
  store_be16(ip + 10, 0);
  store_be32(ip + 12, encap.outer_src_v4);
  store_be32(ip + 16, encap.outer_dst_v4);
  store_be16(ip + 10, ipv4_header_checksum(ip, 20));
  // UDP: checksum 0 over IPv4 (RFC 8926 §3.3).
  uint8_t* udp = out + 20;
  store_be16(udp, encap.src_port);
  store_be16(udp + 2, kGenevePort);
  store_be16(udp + 4, uint16_t(total - 20));
  store_be16(udp + 6, 0);
  // Geneve: version 0, options length in words, no O/C bits, protocol type, VNI.
  uint8_t* geneve = udp + 8;
  geneve[0] = kGeneveOptionWords;
  geneve[1] = 0;
  store_be16(geneve + 2, encap.protocol_type);
  store_be32(geneve + 4, (encap.vni & 0xffffff) << 8);
  // The VPC option: class, type, length in words, then the 12 data bytes.
  uint8_t* option = geneve + kGeneveHeaderSize;
  store_be16(option, kVpcOptionClass);
  option[2] = kVpcOptionType;
  option[3] = kVpcOptionDataSize / 4;
  store_be32(option + 4, encap.source_eni);
  store_be32(option + 8, encap.destination_eni);
  store_be16(option + 12, encap.vpc_flags);
  store_be16(option + 14, encap.gso_size);
}

uint16_t flow_source_port(const FiveTuple& tuple) {
  uint32_t hash = 0x811c9dc5u;
  for (size_t at = 0; at < 16; at += 4) hash = mix(hash, load_be32(&tuple.src.bytes[at]));
  for (size_t at = 0; at < 16; at += 4) hash = mix(hash, load_be32(&tuple.dst.bytes[at]));
  hash = mix(hash, (uint32_t(tuple.src_port) << 16) | tuple.dst_port);
  hash = mix(hash, tuple.protocol);
  hash ^= hash >> 16;
  hash *= 0x85ebca6bu;
  hash ^= hash >> 13;
  return uint16_t(49152 + (hash & 0x3fff));
}

}  // namespace openvpc::packet
