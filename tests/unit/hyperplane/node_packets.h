// node_packets.h — what the hyperplane translator tests share (nat_node_translator_test.cc,
// nat_fragments_test.cc, node_acl_test.cc, lb_translator_test.cc): a packet in a buffer with
// headroom as the node's receive hands it over, small TCP/UDP packets, and the Geneve
// encapsulation a router or an edge node puts around them toward the node.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "dataplane/packet_batch.h"
#include "packet/builder.h"
#include "packet/geneve.h"
#include "packet/parser.h"

namespace openvpc::hyperplane::testing {

struct NodeBuffer {
  static constexpr size_t kHeadroom = 128;
  std::vector<uint8_t> storage;
  dataplane::Packet packet;

  explicit NodeBuffer(std::span<const uint8_t> bytes) : storage(kHeadroom + bytes.size() + 64) {
    std::memcpy(storage.data() + kHeadroom, bytes.data(), bytes.size());
    packet.data = storage.data() + kHeadroom;
    packet.size = uint16_t(bytes.size());
    packet.headroom = kHeadroom;
    packet.capacity = uint16_t(storage.size() - kHeadroom);
    packet.in_port = dataplane::Port::underlay();
  }
  std::span<const uint8_t> bytes() const { return {packet.data, packet.size}; }
  packet::PacketMeta meta() const { return packet::parse_ip(bytes()); }
  // The inner IP packet as it now is.
  std::vector<uint8_t> inner() const {
    const packet::PacketMeta m = meta();
    return {packet.data + m.l3_offset, packet.data + m.l3_offset + m.l3_size};
  }
};

// A TCP segment carrying "hello".
inline std::vector<uint8_t> node_tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                                     uint8_t flags, uint32_t seq = 1000, uint32_t ack = 77) {
  packet::TcpSpec spec;
  spec.src_port = sport;
  spec.dst_port = dport;
  spec.flags = flags;
  spec.seq = seq;
  spec.ack = ack;
  const uint8_t payload[] = {'h', 'e', 'l', 'l', 'o'};
  return packet::build_tcp({.src = packet::IpAddress::v4(src), .dst = packet::IpAddress::v4(dst)},
                           spec, payload);
}

inline std::vector<uint8_t> node_udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport) {
  const uint8_t payload[] = {1, 2, 3, 4};
  return packet::build_udp({.src = packet::IpAddress::v4(src), .dst = packet::IpAddress::v4(dst)},
                           {sport, dport}, payload);
}

// `inner` encapsulated from underlay `from` to the node at `to` (outer UDP source port 50000).
inline std::vector<uint8_t> node_geneve(std::span<const uint8_t> inner, uint32_t from, uint32_t to,
                                        uint32_t vni, uint32_t source_eni, uint32_t destination_eni,
                                        uint16_t flags) {
  packet::GeneveEncap e;
  e.outer_src_v4 = from;
  e.outer_dst_v4 = to;
  e.src_port = 50000;
  e.vni = vni;
  e.source_eni = source_eni;
  e.destination_eni = destination_eni;
  e.vpc_flags = flags;
  return packet::build_geneve(e, inner);
}

}  // namespace openvpc::hyperplane::testing
