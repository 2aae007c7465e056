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
    "none",           "malformed",           "not_geneve",
    "unsupported",    "unknown_gateway",     "bad_direction",
    "not_from_edge",  "no_destination",      "untrusted_sender",
    "no_edge_node",   "sync_pending",        "port_allocation",
    "table_full",     "unsolicited",         "untranslatable",
    "fragment",       "no_inside",           "encapsulation",
    "ecn_ce_not_ect", "nacl_ingress_denied", "nacl_egress_denied",
};

constexpr std::array<std::string_view, kNodeEventCount> kEventNames = {
    "translated_out",
    "translated_in",
    "reset_sent",
    "fragments_translated",
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

const NodeDestination* NodeConfig::find_destination(uint32_t vni, uint32_t address) const {
  const uint64_t key = uint64_t{vni} << 32 | address;
  auto it = std::lower_bound(destinations.begin(), destinations.end(), key,
                             [](const NodeDestination& d, uint64_t k) { return d.key() < k; });
  return it != destinations.end() && it->key() == key ? &*it : nullptr;
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
  if (!dataplane::decapsulate_ecn(p, meta)) return dropped(p, NodeDrop::ecn_ce_not_ect);
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
  if (g.source_eni != 0 && !from_hyperplane) {
    const NodeGateway& nat = config_.gateways[gateway];
    const uint32_t to = meta.tuple.dst.v4_host_order();
    const bool reply = !nat.is_public && std::find(nat.addresses.begin(), nat.addresses.end(),
                                                   to) != nat.addresses.end();
    return reply ? Direction::in : Direction::out;
  }
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
  const NodeDestination* destination = nullptr;
  if (!gateway.is_public) {
    destination = config_.find_destination(gateway.vni, meta.tuple.dst.v4_host_order());
    if (destination == nullptr) return drop(p, NodeDrop::no_destination);
  } else if (config_.edge_nodes.empty()) {
    return drop(p, NodeDrop::no_edge_node);
  }
  if (NatFragments::is_later_fragment(meta)) {
    return later_fragment(p, meta, index, NatFragments::Direction::out, now);
  }
  if (const NodeDrop denied = acl_outbound(index, meta); denied != NodeDrop::none) {
    return drop(p, denied);
  }
  const packet::GeneveInfo& g = meta.geneve;
  const NatVerdict verdict =
      table_.translate_out({p.data, p.size}, meta, index, now, g.outer_src.v4_host_order(),
                           g.source_eni, p.gso_type != dataplane::kGsoNone);
  if (verdict == NatVerdict::reset) {
    if (int64_t(now) - int64_t(gateway.joined_at) < kSyncSeconds) {
      return drop(p, NodeDrop::sync_pending);
    }
    return reset(p, meta, index);
  }
  if (verdict != NatVerdict::translated) return drop(p, verdict);
  ++counters_.events[size_t(NodeEvent::translated_out)];
  if (destination != nullptr) {
    if (NatFragments::is_first_fragment(meta)) {
      remember_first(p, meta, index, NatFragments::Direction::out, destination->underlay,
                     destination->eni, now);
    }
    return send(p, meta, destination->underlay, gateway.vni, gateway.eni, destination->eni);
  }
  const uint16_t port = packet::flow_source_port(current_tuple(p, meta));
  const uint32_t edge = config_.edge_nodes[port % config_.edge_nodes.size()];
  if (NatFragments::is_first_fragment(meta)) {
    remember_first(p, meta, index, NatFragments::Direction::out, edge, 0, now);
  }
  send(p, meta, edge, gateway.vni, gateway.eni, 0);
}

// A private gateway's reply comes from a router as its instance's interface: the outer source
// and source ENI must be those of the inner source's mapping (a router checks its instances'
// inner sources; this checks the router).
bool NatNodeTranslator::trusted_reply(const packet::PacketMeta& meta,
                                      const NodeGateway& gateway) const {
  if (gateway.is_public) {
    return std::binary_search(config_.edge_nodes.begin(), config_.edge_nodes.end(),
                              meta.geneve.outer_src.v4_host_order());
  }
  const NodeDestination* sender =
      config_.find_destination(gateway.vni, meta.tuple.src.v4_host_order());
  return sender != nullptr && sender->eni == meta.geneve.source_eni &&
         sender->underlay == meta.geneve.outer_src.v4_host_order();
}

void NatNodeTranslator::inbound(Packet& p, const packet::PacketMeta& meta, uint16_t index,
                                uint32_t now) {
  const NodeGateway& gateway = config_.gateways[index];
  if (!trusted_reply(meta, gateway)) {
    return drop(p, gateway.is_public ? NodeDrop::not_from_edge : NodeDrop::untrusted_sender);
  }
  if (NatFragments::is_later_fragment(meta)) {
    return later_fragment(p, meta, index, NatFragments::Direction::in, now);
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
  if (NatFragments::is_first_fragment(meta)) {
    remember_first(p, meta, index, NatFragments::Direction::in, flow.inside_underlay,
                   flow.inside_eni, now);
  }
  send(p, meta, flow.inside_underlay, gateway.vni, 0, flow.inside_eni);
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

void NatNodeTranslator::reset(Packet& p, const packet::PacketMeta& meta, uint16_t index) {
  const NodeGateway& gateway = config_.gateways[index];
  packet::PacketMeta rst;
  if (!reset_in_place(p, meta, rst)) return drop(p, NodeDrop::untranslatable);
  // The RST goes to the instance as every packet toward it does: through the subnet ACL's egress.
  if (!acl_allows_to_instance(index, p, rst)) return drop(p, NodeDrop::nacl_egress_denied);
  ++counters_.events[size_t(NodeEvent::reset_sent)];
  send(p, rst, meta.geneve.outer_src.v4_host_order(), gateway.vni, 0, meta.geneve.source_eni);
}

void NatNodeTranslator::remember_first(const Packet& p, const packet::PacketMeta& meta,
                                       uint16_t index, NatFragments::Direction direction,
                                       uint32_t to, uint32_t eni, uint32_t now) {
  // `meta` is the fragment as it came (the key its later fragments carry); the buffer holds it
  // translated (the address they get, and the flow hash send() puts in the outer header).
  const packet::FiveTuple translated = current_tuple(p, meta);
  NatFragmentRoute route;
  route.address =
      (direction == NatFragments::Direction::out ? translated.src : translated.dst).v4_host_order();
  route.to = to;
  route.eni = eni;
  route.outer_port = packet::flow_source_port(translated);
  fragments_.remember(direction, config_.gateways[index].number, meta, route, now);
}

void NatNodeTranslator::later_fragment(Packet& p, const packet::PacketMeta& meta, uint16_t index,
                                       NatFragments::Direction direction, uint32_t now) {
  const NodeGateway& gateway = config_.gateways[index];
  const bool out = direction == NatFragments::Direction::out;
  const NatFragmentRoute* route =
      fragments_.translate(direction, gateway.number, {p.data, p.size}, meta, now);
  if (route == nullptr) {
    // Its first fragment was not translated here: the table refuses it (and counts it so).
    return drop(p, out ? table_.translate_out({p.data, p.size}, meta, index, now)
                       : table_.translate_in({p.data, p.size}, meta, index, now));
  }
  table_.count_fragment(index, !out, meta.l3_size);
  ++counters_.events[size_t(out ? NodeEvent::translated_out : NodeEvent::translated_in)];
  ++counters_.events[size_t(NodeEvent::fragments_translated)];
  if (!send_from_node(p, meta, config_.underlay_v4, route->to, route->outer_port, gateway.vni,
                      out ? gateway.eni : 0, route->eni)) {
    drop(p, NodeDrop::encapsulation);
  }
}

void NatNodeTranslator::send(Packet& p, const packet::PacketMeta& meta, uint32_t to, uint32_t vni,
                             uint32_t source_eni, uint32_t destination_eni) {
  if (!send_from_node(p, meta, config_.underlay_v4, to, vni, source_eni, destination_eni)) {
    drop(p, NodeDrop::encapsulation);
  }
}

}  // namespace openvpc::hyperplane
