// node_packet.h — small packet helpers both of a hyperplane node's translators use (NAT:
// nat_node_translator.h, load balancers: lb_translator.h).
//
// take_gso(): the packet's GSO as its VPC option announces it (as the edge reads it), copied
//   into Packet::gso_type / gso_size; false for a super-frame that is not TCP over IPv4.
// current_tuple(): the inner packet's 5-tuple as it now is in the buffer (after a rewrite), for
//   the outer UDP source port (flow hash) of what the node sends.
// Header-only, no allocation.
#pragma once

#include "dataplane/packet_batch.h"
#include "packet/bytes.h"
#include "packet/geneve.h"
#include "packet/parser.h"

namespace openvpc::hyperplane {

inline bool take_gso(dataplane::Packet& p, const packet::PacketMeta& meta) {
  const uint16_t flag = meta.geneve.vpc_flags & packet::kVpcFlagsGso;
  p.gso_type = dataplane::kGsoNone;
  p.gso_size = 0;
  if (flag == 0) return true;
  if (flag != packet::kVpcFlagGsoTcpv4 || meta.tuple.protocol != packet::kProtoTcp ||
      meta.geneve.gso_size == 0 || meta.fragment.is_fragment) {
    return false;
  }
  p.gso_type = dataplane::kGsoTcpv4;
  p.gso_size = meta.geneve.gso_size;
  return true;
}

inline packet::FiveTuple current_tuple(const dataplane::Packet& p, const packet::PacketMeta& meta) {
  packet::FiveTuple t = meta.tuple;
  const uint8_t* ip = p.data + meta.l3_offset;
  t.src = packet::IpAddress::v4_from_wire(ip + 12);
  t.dst = packet::IpAddress::v4_from_wire(ip + 16);
  if ((t.protocol == packet::kProtoTcp || t.protocol == packet::kProtoUdp) && meta.l4_offset != 0) {
    t.src_port = packet::load_be16(p.data + meta.l4_offset);
    t.dst_port = packet::load_be16(p.data + meta.l4_offset + 2);
  }
  return t;
}

}  // namespace openvpc::hyperplane
