// node_packet.h — small packet helpers both of a hyperplane node's translators use (NAT:
// nat_node_translator.h, load balancers: lb_translator.h).
//
// take_gso(): the packet's GSO as its VPC option announces it (as the edge reads it), copied
//   into Packet::gso_type / gso_size; false for a super-frame that is not TCP over IPv4.
// current_tuple(): the inner packet's 5-tuple as it now is in the buffer (after a rewrite), for
//   the outer UDP source port (flow hash) of what the node sends.
// send_from_node(): re-encapsulates the inner packet toward `to` as a node sends everything
//   (the from-hyperplane flag, the flow hash of the packet as it now is); false when it did
//   not fit (the packet is then dropped). With an explicit outer_src_port: a later fragment
//   (no ports) keeps its first fragment's flow hash (nat_fragments.h).
// reset_in_place(): turns a TCP packet into the RST answering it (tcp_reset.h), its meta into
//   `rst`; false when there is nothing to answer.
// Header-only, no allocation.
#pragma once

#include "dataplane/actions.h"
#include "dataplane/packet_batch.h"
#include "hyperplane/tcp_reset.h"
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

inline bool send_from_node(dataplane::Packet& p, const packet::PacketMeta& meta,
                           uint32_t underlay_v4, uint32_t to, uint16_t outer_src_port, uint32_t vni,
                           uint32_t source_eni, uint32_t destination_eni) {
  dataplane::FlowAction a;
  a.verdict = dataplane::Verdict::encapsulate;
  a.outer_dst_v4 = to;
  a.outer_src_port = outer_src_port;
  a.outer_checksum_base = dataplane::outer_checksum_base(underlay_v4, to);
  a.vni = vni;
  a.source_eni = source_eni;
  a.destination_eni = destination_eni;
  a.vpc_flags = packet::kVpcFlagFromHyperplane;
  dataplane::encapsulate(a, meta, underlay_v4, p);
  return p.verdict != dataplane::Verdict::drop;
}

inline bool send_from_node(dataplane::Packet& p, const packet::PacketMeta& meta,
                           uint32_t underlay_v4, uint32_t to, uint32_t vni, uint32_t source_eni,
                           uint32_t destination_eni) {
  return send_from_node(p, meta, underlay_v4, to, packet::flow_source_port(current_tuple(p, meta)),
                        vni, source_eni, destination_eni);
}

inline bool reset_in_place(dataplane::Packet& p, const packet::PacketMeta& meta,
                           packet::PacketMeta& rst) {
  const size_t size = write_tcp_reset({p.data, p.size}, meta);
  if (size == 0) return false;
  rst = meta;
  rst.l3_size = uint16_t(size);
  rst.l4_offset = uint16_t(meta.l3_offset + 20);  // the RST has no IP options
  p.size = uint16_t(meta.l3_offset + size);
  p.gso_type = dataplane::kGsoNone;
  p.gso_size = 0;
  return true;
}

}  // namespace openvpc::hyperplane
