#include "hyperplane/nat_node_translator.h"

#include <algorithm>

#include "dataplane/actions.h"
#include "hyperplane/node_packet.h"
#include "hyperplane/tcp_reset.h"
#include "packet/bytes.h"
#include "packet/geneve.h"

namespace openvpc::hyperplane {

namespace {

using dataplane::Packet;
using dataplane::Verdict;
using AclDirection = program::Direction;

const GatewayAcl kNoAcl{};

constexpr std::array<std::string_view, kNodeDropCount> kDropNames = {
    "none",
    "malformed",
    "not_geneve",
    "unsupported",
    "unknown_gateway",
    "bad_direction",
    "not_from_edge",
    "private_gateway",
    "no_edge_node",
    "sync_pending",
    "port_allocation",
    "table_full",
    "unsolicited",
    "untranslatable",
    "fragment",
    "no_inside",
    "encapsulation",
    "nacl_ingress_denied",
    "nacl_egress_denied",
};

constexpr std::array<std::string_view, kNodeEventCount> kEventNames = {
    "translated_out",
    "translated_in",
    "reset_sent",
};

}  // namespace

std::string_view to_string(NodeDrop drop) {
  const size_t i = size_t(drop);
  return i < kDropNames.size() ? kDropNames[i] : "?";
}

std::string_view to_string(NodeEvent event) {
  const size_t i = size_t(event);
  return i < kEventNames.size() ? kEventNames[i] : "?";
}

void NatNodeTranslator::process(dataplane::PacketBatch batch, uint32_t now) {
  // In chunks: classify every packet, prefetch the index slots, then the flows (the table's
  // batch prefetching, nat_table.h), then translate.
  for (size_t first = 0; first < batch.size(); first += kChunk) {
    const size_t n = std::min(kChunk, batch.size() - first);
    for (size_t i = 0; i < n; ++i) {
      work_[i].direction = classify(batch[first + i], metas_[i], work_[i].gateway);
    }
    for (size_t i = 0; i < n; ++i) {
      Work& w = work_[i];
      if (w.direction == Direction::lb) {
        w.hash = lb_->prefetch_index(metas_[i], &w.lb_target);
      } else {
        w.hash = w.direction == Direction::none
                     ? 0
                     : table_.prefetch_index(metas_[i], w.direction == Direction::in, w.gateway);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      const Work& w = work_[i];
      if (w.hash == 0) continue;
      if (w.direction == Direction::lb) {
        lb_->prefetch_flow(w.hash, w.lb_target);
      } else {
        table_.prefetch_flow(w.hash, w.direction == Direction::in);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (work_[i].direction == Direction::lb) {
        lb_->handle(batch[first + i], metas_[i], now);
      } else if (work_[i].direction == Direction::out) {
        outbound(batch[first + i], metas_[i], work_[i].gateway, now);
      } else if (work_[i].direction == Direction::in) {
        inbound(batch[first + i], metas_[i], work_[i].gateway, now);
      }
    }
  }
}

void NatNodeTranslator::drop(Packet& p, NodeDrop reason) {
  p.verdict = Verdict::drop;
  p.out_port = dataplane::Port{};
  ++counters_.drops[size_t(reason)];
}

void NatNodeTranslator::drop(Packet& p, NatVerdict verdict) {
  switch (verdict) {
    case NatVerdict::port_allocation:
      return drop(p, NodeDrop::port_allocation);
    case NatVerdict::table_full:
      return drop(p, NodeDrop::table_full);
    case NatVerdict::unsolicited:
      return drop(p, NodeDrop::unsolicited);
    case NatVerdict::fragment:
      return drop(p, NodeDrop::fragment);
    case NatVerdict::unknown_gateway:
      return drop(p, NodeDrop::unknown_gateway);
    default:
      return drop(p, NodeDrop::untranslatable);
  }
}

NatNodeTranslator::Direction NatNodeTranslator::classify(Packet& p, packet::PacketMeta& meta,
                                                         uint16_t& gateway) {
  p.drop_reason = dataplane::DropReason::none;
  meta = packet::parse_ip({p.data, p.size});
  p.parse_error = meta.error;
  const packet::GeneveInfo& g = meta.geneve;
  if (!meta.ok()) return dropped(p, NodeDrop::malformed);
  if (!g.present || !g.has_vpc_option) return dropped(p, NodeDrop::not_geneve);
  if (meta.ip_version != 4 || !take_gso(p, meta)) {
    return dropped(p, NodeDrop::unsupported);
  }
  gateway = 0;
  while (gateway < config_.gateways.size() &&
         (config_.gateways[gateway].vni != g.vni ||
          config_.gateways[gateway].eni != g.destination_eni)) {
    ++gateway;
  }
  if (gateway == config_.gateways.size() || gateway >= table_.gateway_count()) {
    if (lb_ != nullptr && lb_->owns(g.vni, g.destination_eni)) return Direction::lb;
    return dropped(p, NodeDrop::unknown_gateway);
  }
  const bool from_hyperplane = (g.vpc_flags & packet::kVpcFlagFromHyperplane) != 0;
  if (g.source_eni != 0 && !from_hyperplane) return Direction::out;
  if (g.source_eni == 0 && from_hyperplane) return Direction::in;
  return dropped(p, NodeDrop::bad_direction);
}

NatNodeTranslator::Direction NatNodeTranslator::dropped(Packet& p, NodeDrop reason) {
  drop(p, reason);
  return Direction::none;
}

void NatNodeTranslator::outbound(Packet& p, const packet::PacketMeta& meta, uint16_t index,
                                 uint32_t now) {
  const NodeGateway& gateway = config_.gateways[index];
  if (const NodeDrop denied = acl_outbound(index, meta); denied != NodeDrop::none) {
    return drop(p, denied);
  }
  if (!gateway.is_public) return drop(p, NodeDrop::private_gateway);
  if (config_.edge_nodes.empty()) return drop(p, NodeDrop::no_edge_node);
  const packet::GeneveInfo& g = meta.geneve;
  const NatVerdict verdict =
      table_.translate_out({p.data, p.size}, meta, index, now, g.outer_src.v4_host_order(),
                           g.source_eni, p.gso_type != dataplane::kGsoNone);
  if (verdict == NatVerdict::reset) {
    if (int64_t(now) - int64_t(gateway.joined_at) < kSyncSeconds) {
      return drop(p, NodeDrop::sync_pending);
    }
    return reset(p, meta, gateway);
  }
  if (verdict != NatVerdict::translated) return drop(p, verdict);
  const uint16_t port = packet::flow_source_port(current_tuple(p, meta));
  const uint32_t edge = config_.edge_nodes[port % config_.edge_nodes.size()];
  ++counters_.events[size_t(NodeEvent::translated_out)];
  send(p, meta, edge, gateway.vni, gateway.eni, 0);
}

void NatNodeTranslator::inbound(Packet& p, const packet::PacketMeta& meta, uint16_t index,
                                uint32_t now) {
  const uint32_t from = meta.geneve.outer_src.v4_host_order();
  if (!std::binary_search(config_.edge_nodes.begin(), config_.edge_nodes.end(), from)) {
    return drop(p, NodeDrop::not_from_edge);
  }
  if (!acl_of(index).allows(AclDirection::ingress, meta)) {
    return drop(p, NodeDrop::nacl_ingress_denied);
  }
  NatFlow flow;
  const NatVerdict verdict = table_.translate_in({p.data, p.size}, meta, index, now, &flow,
                                                 p.gso_type != dataplane::kGsoNone);
  if (verdict != NatVerdict::translated) return drop(p, verdict);
  if (flow.inside_underlay == 0) return drop(p, NodeDrop::no_inside);
  if (!acl_allows_to_instance(index, p, meta)) return drop(p, NodeDrop::nacl_egress_denied);
  ++counters_.events[size_t(NodeEvent::translated_in)];
  send(p, meta, flow.inside_underlay, config_.gateways[index].vni, 0, flow.inside_eni);
}

const GatewayAcl& NatNodeTranslator::acl_of(uint16_t gateway) const {
  return gateway < config_.acls.size() ? config_.acls[gateway] : kNoAcl;
}

// The ACL's checks of a packet from an instance: ingress as it arrives, then egress as it will
// leave toward the internet. Egress is judged on the packet before translate_out: egress rules
// match the destination, its port, the protocol and the ICMP type and code, which translation
// keeps (it rewrites the source only), so the verdict is the translated packet's — and a
// denied packet takes no port and leaves no flow behind.
NodeDrop NatNodeTranslator::acl_outbound(uint16_t gateway, const packet::PacketMeta& meta) const {
  const GatewayAcl& acl = acl_of(gateway);
  if (!acl.allows(AclDirection::ingress, meta)) return NodeDrop::nacl_ingress_denied;
  if (!acl.allows(AclDirection::egress, meta)) return NodeDrop::nacl_egress_denied;
  return NodeDrop::none;
}

// Egress toward the instance, on the packet as translate_in left it (its destination is now
// the instance's address and port). The reply has already refreshed its flow; the flow was made
// by an allowed packet and the ACL keeps no state, so it stays.
bool NatNodeTranslator::acl_allows_to_instance(uint16_t gateway, const Packet& p,
                                               const packet::PacketMeta& meta) const {
  const GatewayAcl& acl = acl_of(gateway);
  if (acl.allows_all(AclDirection::egress)) return true;
  packet::PacketMeta translated = meta;  // on the stack: no allocation
  translated.tuple = current_tuple(p, meta);
  return acl.allows(AclDirection::egress, translated);
}

void NatNodeTranslator::reset(Packet& p, const packet::PacketMeta& meta,
                              const NodeGateway& gateway) {
  packet::PacketMeta rst;
  if (!reset_in_place(p, meta, rst)) return drop(p, NodeDrop::untranslatable);
  ++counters_.events[size_t(NodeEvent::reset_sent)];
  send(p, rst, meta.geneve.outer_src.v4_host_order(), gateway.vni, 0, meta.geneve.source_eni);
}

void NatNodeTranslator::send(Packet& p, const packet::PacketMeta& meta, uint32_t to, uint32_t vni,
                             uint32_t source_eni, uint32_t destination_eni) {
  if (!send_from_node(p, meta, config_.underlay_v4, to, vni, source_eni, destination_eni)) {
    drop(p, NodeDrop::encapsulation);
  }
}

}  // namespace openvpc::hyperplane
