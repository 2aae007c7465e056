#include "hyperplane/lb_translator.h"

#include <algorithm>

#include "dataplane/actions.h"
#include "dataplane/nat_rewrite.h"
#include "hyperplane/nat_node_translator.h"
#include "hyperplane/node_packet.h"
#include "hyperplane/tcp_reset.h"

namespace openvpc::hyperplane {

namespace {

using dataplane::Packet;
using dataplane::Verdict;

constexpr std::array<std::string_view, kLbDropCount> kDropNames = {
    "none",        "malformed",   "unknown_lb",   "bad_direction", "no_listener",
    "unsupported", "no_target",   "sync_pending", "table_full",    "no_flow",
    "forged",      "target_gone", "no_prober",    "encapsulation",
};

constexpr std::array<std::string_view, kLbEventCount> kEventNames = {
    "to_target", "to_client", "reset_sent", "target_gone_reset", "probe_reply", "health_rebuild",
};

// Maglev tables: M >> N (the paper's advice); the large size past a few hundred targets.
constexpr size_t kLargeTableTargets = 256;

uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  x ^= x >> 33;
  return x;
}

bool listens(LbProtocol listener, uint8_t protocol) {
  switch (listener) {
    case LbProtocol::tcp:
      return protocol == packet::kProtoTcp;
    case LbProtocol::udp:
      return protocol == packet::kProtoUdp;
    case LbProtocol::tcp_udp:
      return protocol == packet::kProtoTcp || protocol == packet::kProtoUdp;
  }
  return false;
}

}  // namespace

std::string_view to_string(LbDrop drop) {
  const size_t i = size_t(drop);
  return i < kDropNames.size() ? kDropNames[i] : "?";
}

std::string_view to_string(LbEvent event) {
  const size_t i = size_t(event);
  return i < kEventNames.size() ? kEventNames[i] : "?";
}

bool rebuild_selection(LbTargetGroup& group) {
  std::vector<uint16_t> selectable;
  for (size_t i = 0; i < group.targets.size(); ++i) {
    if (group.targets[i].healthy && !group.targets[i].draining) selectable.push_back(uint16_t(i));
  }
  if (selectable.empty()) {  // fail open: every non-draining target
    for (size_t i = 0; i < group.targets.size(); ++i) {
      if (!group.targets[i].draining) selectable.push_back(uint16_t(i));
    }
  }
  const bool built = group.maglev.size() != 0 || group.selectable.empty();
  if (built && selectable == group.selectable) return false;
  std::vector<uint64_t> keys;
  keys.reserve(selectable.size());
  for (uint16_t i : selectable) {
    keys.push_back(maglev_key(group.targets[i].address, group.targets[i].port));
  }
  group.maglev =
      MaglevTable(keys, selectable.size() > kLargeTableTargets ? MaglevTable::kLargeSize
                                                               : MaglevTable::kDefaultSize);
  group.selectable = std::move(selectable);
  return true;
}

void LbTranslator::set_config(LbConfig config) {
  for (NodeLoadBalancer& lb : config.lbs) {
    const NodeLoadBalancer* old = nullptr;
    for (const NodeLoadBalancer& o : config_.lbs) {
      if (o.number == lb.number) old = &o;
    }
    for (LbTargetGroup& group : lb.groups) {
      bool unhealthy = false;
      for (LbTarget& t : group.targets) {
        const LbTarget* before = old != nullptr ? find_target(*old, t.address, t.port) : nullptr;
        // find_target searches every group; the health of a target is the group's, but a
        // target in two groups of one load balancer is probed alike.
        if (before != nullptr) t.healthy = before->healthy;
        unhealthy |= !t.healthy;
      }
      if (unhealthy || group.maglev.size() == 0) rebuild_selection(group);
    }
  }
  config_ = std::move(config);
  for (size_t i = 0; i < config_.lbs.size() && i < table_.lb_count(); ++i) {
    update_host_counts(uint16_t(i));
  }
}

void LbTranslator::update_host_counts(uint16_t index) {
  if (index >= table_.lb_count() || index >= config_.lbs.size()) return;
  uint64_t healthy = 0, unhealthy = 0;
  for (const LbTargetGroup& group : config_.lbs[index].groups) {
    for (const LbTarget& t : group.targets) {
      if (t.draining) continue;
      ++(t.healthy ? healthy : unhealthy);
    }
  }
  LbCounters& c = table_.counters(index);
  c[size_t(LbMetric::HealthyHostCount)] = healthy;
  c[size_t(LbMetric::UnHealthyHostCount)] = unhealthy;
}

bool LbTranslator::on_health(uint32_t target_group_id, uint32_t address, uint16_t port,
                             bool healthy) {
  bool matched = false;
  for (size_t l = 0; l < config_.lbs.size(); ++l) {
    bool changed = false;
    for (LbTargetGroup& group : config_.lbs[l].groups) {
      if (group.id != target_group_id) continue;
      for (LbTarget& t : group.targets) {
        if (t.address != address || t.port != port) continue;
        matched = true;
        if (t.healthy == healthy) continue;
        t.healthy = healthy;
        changed = true;
        if (rebuild_selection(group)) ++counters_.events[size_t(LbEvent::health_rebuild)];
      }
    }
    if (changed) update_host_counts(uint16_t(l));
  }
  return matched;
}

const LbTarget* LbTranslator::find_target(const NodeLoadBalancer& lb, uint32_t address,
                                          uint16_t port) const {
  for (const LbTargetGroup& group : lb.groups) {
    const auto at = std::lower_bound(
        group.targets.begin(), group.targets.end(), std::pair{address, port},
        [](const LbTarget& t, const std::pair<uint32_t, uint16_t>& key) {
          return t.address != key.first ? t.address < key.first : t.port < key.second;
        });
    if (at != group.targets.end() && at->address == address && at->port == port) return &*at;
  }
  return nullptr;
}

const LbInterface* LbTranslator::find_interface(uint32_t vni, uint32_t eni, uint16_t* index) const {
  for (size_t l = 0; l < config_.lbs.size(); ++l) {
    if (config_.lbs[l].vni != vni) continue;
    for (const LbInterface& i : config_.lbs[l].interfaces) {
      if (i.eni == eni) {
        *index = uint16_t(l);
        return &i;
      }
    }
  }
  return nullptr;
}

uint64_t LbTranslator::prefetch_index(const packet::PacketMeta& meta, bool* target) const {
  uint16_t index = 0;
  const LbInterface* itf = find_interface(meta.geneve.vni, meta.geneve.destination_eni, &index);
  const packet::FiveTuple& t = meta.tuple;
  if (itf == nullptr || index >= table_.lb_count() ||
      (t.protocol != packet::kProtoTcp && t.protocol != packet::kProtoUdp)) {
    return 0;
  }
  const uint32_t dst = t.dst.v4_host_order();
  *target = dst != itf->address;
  const uint64_t hash =
      LbTable::hash_key(index, t.protocol, t.src.v4_host_order(), t.src_port, dst, t.dst_port);
  table_.prefetch_index(hash, *target);
  return hash;
}

bool LbTranslator::owns(uint32_t vni, uint32_t eni) const {
  for (const NodeLoadBalancer& lb : config_.lbs) {
    if (lb.vni != vni) continue;
    for (const LbInterface& itf : lb.interfaces) {
      if (itf.eni == eni) return true;
    }
  }
  return false;
}

void LbTranslator::drop(Packet& p, LbDrop reason) {
  p.verdict = Verdict::drop;
  p.out_port = dataplane::Port{};
  ++counters_.drops[size_t(reason)];
}

void LbTranslator::process(dataplane::PacketBatch batch, uint32_t now) {
  for (Packet& p : batch) {
    p.drop_reason = dataplane::DropReason::none;
    const packet::PacketMeta meta = packet::parse_ip({p.data, p.size});
    p.parse_error = meta.error;
    if (!meta.ok() || !meta.geneve.present || !meta.geneve.has_vpc_option || meta.ip_version != 4 ||
        !take_gso(p, meta)) {
      drop(p, LbDrop::malformed);
      continue;
    }
    if (!owns(meta.geneve.vni, meta.geneve.destination_eni)) {
      drop(p, LbDrop::unknown_lb);
      continue;
    }
    handle(p, meta, now);
  }
}

void LbTranslator::handle(Packet& p, const packet::PacketMeta& meta, uint32_t now) {
  const packet::GeneveInfo& g = meta.geneve;
  uint16_t index = 0;
  const LbInterface* itf = find_interface(g.vni, g.destination_eni, &index);
  if (itf == nullptr || index >= table_.lb_count()) return drop(p, LbDrop::unknown_lb);
  // From an instance's router (its ENI, no flag), or for an internet-facing load balancer from
  // a live edge node (ENI 0, the flag): the client is then on the internet, its flow's "ENI" 0
  // and its "host" that edge node. Anything else has no business here.
  const bool flagged = (g.vpc_flags & packet::kVpcFlagFromHyperplane) != 0;
  const bool from_edge = flagged && g.source_eni == 0 &&
                         std::binary_search(config_.edge_nodes.begin(), config_.edge_nodes.end(),
                                            g.outer_src.v4_host_order());
  if (!from_edge && (flagged || g.source_eni == 0)) return drop(p, LbDrop::bad_direction);
  const uint8_t protocol = meta.tuple.protocol;
  if ((protocol != packet::kProtoTcp && protocol != packet::kProtoUdp) ||
      meta.fragment.is_fragment || meta.l4_offset == 0) {
    return drop(p, LbDrop::unsupported);
  }
  const NodeLoadBalancer& lb = config_.lbs[index];
  if (meta.tuple.dst.v4_host_order() == itf->address) {
    for (const LbListener& listener : lb.listeners) {
      if (listener.port == meta.tuple.dst_port && listens(listener.protocol, protocol)) {
        return to_target(p, meta, index, *itf, listener, now);
      }
    }
    if (from_edge) return drop(p, LbDrop::no_listener);
    if (probe_ == nullptr) return drop(p, LbDrop::no_prober);
    probe_->on_probe_reply(meta, {p.data + meta.l3_offset, size_t(meta.l3_size)}, lb.number,
                           itf->eni, now);
    ++counters_.events[size_t(LbEvent::probe_reply)];
    p.verdict = Verdict::drop;
    return;
  }
  if (from_edge) return drop(p, LbDrop::bad_direction);  // replies come from targets
  to_client(p, meta, index, *itf, now);
}

void LbTranslator::to_target(Packet& p, const packet::PacketMeta& meta, uint16_t index,
                             const LbInterface& itf, const LbListener& listener, uint32_t now) {
  const NodeLoadBalancer& lb = config_.lbs[index];
  const packet::FiveTuple& t = meta.tuple;
  const uint32_t client = t.src.v4_host_order();
  const uint8_t flags = t.protocol == packet::kProtoTcp ? meta.tcp.flags : 0;
  uint32_t id = table_.find_client(index, t.protocol, client, t.src_port, itf.address, t.dst_port);
  if (id != LbTable::kNone) {
    if (table_.flow(id).client_eni != meta.geneve.source_eni) return drop(p, LbDrop::forged);
    const bool closed = table_.flow(id).tcp_state == (LbTable::kFinClient | LbTable::kFinTarget);
    if (closed && (flags & (packet::kTcpSyn | packet::kTcpAck)) == packet::kTcpSyn) {
      // A new connection from the port of one that closed (both FINs) while its flow lingers:
      // a new flow, whose target is chosen again (the old one may be unhealthy by now).
      table_.erase(id);
      id = LbTable::kNone;
    } else if (!table_.touch(id, now, meta.l3_size, flags, true)) {
      id = LbTable::kNone;
    }
  }
  const LbTarget* target = nullptr;
  if (id == LbTable::kNone) {
    if (t.protocol == packet::kProtoTcp &&
        ((flags & (packet::kTcpSyn | packet::kTcpAck | packet::kTcpRst)) != packet::kTcpSyn)) {
      if ((flags & packet::kTcpRst) != 0) return drop(p, LbDrop::no_flow);
      if (int64_t(now) - int64_t(lb.joined_at) < kSyncSeconds) {
        return drop(p, LbDrop::sync_pending);
      }
      return reset_client(p, meta, lb);
    }
    const LbTargetGroup& group = lb.groups[listener.group];
    if (group.selectable.empty()) return drop(p, LbDrop::no_target);
    const uint64_t hash = group.stickiness
                              ? mix(client)
                              : mix(uint64_t(client) << 32 ^ uint64_t(t.src_port) << 16 ^
                                    t.dst_port ^ mix(uint64_t(itf.address) << 8 | t.protocol));
    const int32_t slot = group.maglev.lookup(hash);
    if (slot < 0) return drop(p, LbDrop::no_target);
    target = &group.targets[group.selectable[size_t(slot)]];
    LbFlow flow;
    flow.lb = index;
    flow.protocol = t.protocol;
    flow.client_address = client;
    flow.client_port = t.src_port;
    flow.listener_address = itf.address;
    flow.listener_port = t.dst_port;
    flow.target_address = target->address;
    flow.target_port = target->port;
    flow.client_underlay = meta.geneve.outer_src.v4_host_order();
    flow.client_eni = meta.geneve.source_eni;
    if (t.protocol == packet::kProtoTcp) {
      // The target sees the client's own address and port whatever listener address it chose,
      // so a SYN from a port the client used a moment ago toward another address of this load
      // balancer (its old connection closed on the client's side) meets that flow's target-side
      // key: the client has moved on, the old flow goes.
      const uint32_t stale =
          table_.find_target(index, t.protocol, target->address, target->port, client, t.src_port);
      if (stale != LbTable::kNone) table_.erase(stale);
    }
    id = table_.create(flow, now);
    if (id == LbTable::kNone) return drop(p, LbDrop::table_full);
    table_.counters(index)[size_t(LbMetric::ProcessedBytes)] += meta.l3_size;
  } else {
    const LbFlow& f = table_.flow(id);
    target = find_target(lb, f.target_address, f.target_port);
    if (target == nullptr) {
      // Its target left the program (deregistered, the delay over): the connection is reset
      // now rather than left to time out while reap() gets to it.
      if (t.protocol != packet::kProtoTcp || (flags & packet::kTcpRst) != 0) {
        return drop(p, LbDrop::target_gone);
      }
      table_.erase(id);
      ++counters_.events[size_t(LbEvent::target_gone_reset)];
      return reset_client(p, meta, lb);
    }
  }
  LbFlow& f = table_.flow(id);
  f.target_underlay = target->underlay;
  f.target_eni = target->eni;
  if (flags & packet::kTcpAck) f.client_ack = meta.tcp.ack;
  dataplane::rewrite_ipv4({p.data, p.size}, meta, dataplane::NatSide::destination, target->address,
                          target->port, p.gso_type != dataplane::kGsoNone);
  if (flags & packet::kTcpRst) table_.erase(id);
  ++counters_.events[size_t(LbEvent::to_target)];
  send(p, meta, target->underlay, lb.vni, itf.eni, target->eni);
}

void LbTranslator::to_client(Packet& p, const packet::PacketMeta& meta, uint16_t index,
                             const LbInterface& itf, uint32_t now) {
  const NodeLoadBalancer& lb = config_.lbs[index];
  const packet::FiveTuple& t = meta.tuple;
  const uint8_t flags = t.protocol == packet::kProtoTcp ? meta.tcp.flags : 0;
  const uint32_t id = table_.find_target(index, t.protocol, t.src.v4_host_order(), t.src_port,
                                         t.dst.v4_host_order(), t.dst_port);
  if (id == LbTable::kNone) return drop(p, LbDrop::no_flow);
  const LbTarget* target = find_target(lb, t.src.v4_host_order(), t.src_port);
  if (target == nullptr) return drop(p, LbDrop::target_gone);
  if (target->eni != meta.geneve.source_eni) return drop(p, LbDrop::forged);
  if (!table_.touch(id, now, meta.l3_size, flags, false)) return drop(p, LbDrop::no_flow);
  LbFlow& f = table_.flow(id);
  if (flags & packet::kTcpAck) f.target_ack = meta.tcp.ack;
  const uint32_t client_underlay = f.client_underlay;
  const uint32_t client_eni = f.client_eni;
  dataplane::rewrite_ipv4({p.data, p.size}, meta, dataplane::NatSide::source, f.listener_address,
                          f.listener_port, p.gso_type != dataplane::kGsoNone);
  if (flags & packet::kTcpRst) table_.erase(id);
  ++counters_.events[size_t(LbEvent::to_client)];
  send(p, meta, client_underlay, lb.vni, itf.eni, client_eni);
}

void LbTranslator::reset_client(Packet& p, const packet::PacketMeta& meta,
                                const NodeLoadBalancer& lb) {
  packet::PacketMeta rst;
  if (!reset_in_place(p, meta, rst)) return drop(p, LbDrop::unsupported);
  ++counters_.events[size_t(LbEvent::reset_sent)];
  send(p, rst, meta.geneve.outer_src.v4_host_order(), lb.vni, meta.geneve.destination_eni,
       meta.geneve.source_eni);
}

void LbTranslator::send(Packet& p, const packet::PacketMeta& meta, uint32_t to, uint32_t vni,
                        uint32_t source_eni, uint32_t destination_eni) {
  if (!send_from_node(p, meta, config_.underlay_v4, to, vni, source_eni, destination_eni)) {
    drop(p, LbDrop::encapsulation);
  }
}

bool LbTranslator::write_reset(Packet& p, uint32_t src, uint16_t sport, uint32_t dst,
                               uint16_t dport, uint32_t seq, uint32_t to, uint32_t vni,
                               uint32_t source_eni, uint32_t destination_eni) {
  if (p.data == nullptr || p.capacity < 40) return false;
  p.size = uint16_t(write_tcp_rst(p.data, src, sport, dst, dport, seq));
  p.gso_type = dataplane::kGsoNone;
  p.gso_size = 0;
  const packet::PacketMeta meta = packet::parse_ip({p.data, p.size});
  if (!meta.ok()) return false;
  send(p, meta, to, vni, source_eni, destination_eni);
  return p.verdict == Verdict::encapsulate;
}

size_t LbTranslator::reap(uint32_t now, size_t budget, std::span<Packet> out) {
  size_t written = 0;
  table_.expire(now, budget, [&](uint32_t id, const LbFlow& f) {
    if (f.lb >= config_.lbs.size()) return;
    const NodeLoadBalancer& lb = config_.lbs[f.lb];
    if (find_target(lb, f.target_address, f.target_port) != nullptr) return;
    if (f.replica || f.protocol != packet::kProtoTcp) {  // the owner resets; UDP just ends
      table_.erase(id);
      return;
    }
    if (written + 2 > out.size()) return;  // no room this turn: the next sweep gets it
    uint32_t interface_eni = lb.interfaces.empty() ? 0 : lb.interfaces[0].eni;
    for (const LbInterface& itf : lb.interfaces) {
      if (itf.address == f.listener_address) interface_eni = itf.eni;
    }
    if (write_reset(out[written], f.listener_address, f.listener_port, f.client_address,
                    f.client_port, f.client_ack, f.client_underlay, lb.vni, interface_eni,
                    f.client_eni)) {
      ++written;
    }
    if (f.target_underlay != 0 &&
        write_reset(out[written], f.client_address, f.client_port, f.target_address, f.target_port,
                    f.target_ack, f.target_underlay, lb.vni, interface_eni, f.target_eni)) {
      ++written;
    }
    ++counters_.events[size_t(LbEvent::target_gone_reset)];
    table_.erase(id);
  });
  return written;
}

}  // namespace openvpc::hyperplane
