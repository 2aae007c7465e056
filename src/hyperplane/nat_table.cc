#include "hyperplane/nat_table.h"

#include <algorithm>
#include <utility>

#include "dataplane/flow_hash.h"
#include "dataplane/nat_rewrite.h"

namespace openvpc::hyperplane {

namespace {

constexpr std::array<std::string_view, kNatMetricCount> kNatMetricNames = {
    "ActiveConnectionCount", "ConnectionAttemptCount",  "ConnectionEstablishedCount",
    "ErrorPortAllocation",   "IdleTimeoutCount",        "PacketsDropCount",
    "BytesInFromSource",     "BytesInFromDestination",  "BytesOutToSource",
    "BytesOutToDestination", "PacketsInFromSource",     "PacketsInFromDestination",
    "PacketsOutToSource",    "PacketsOutToDestination",
};

constexpr std::array<std::string_view, 8> kVerdictNames = {
    "translated",  "reset",          "port_allocation", "table_full",
    "unsolicited", "untranslatable", "fragment",        "unknown_gateway",
};

constexpr std::array<std::string_view, kReplicaResultCount> kReplicaResultNames = {
    "inserted",        "refreshed",       "erased",        "not_found",
    "unknown_gateway", "foreign_address", "port_conflict", "table_full",
};

constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;

void add(NatGatewayCounters& counters, NatMetric metric, uint64_t value = 1) {
  counters[size_t(metric)] += value;
}

bool same_out(const NatFlow& a, const NatFlow& b) {
  return a.gateway == b.gateway && a.inside_address == b.inside_address &&
         a.inside_port == b.inside_port && a.remote_address == b.remote_address &&
         a.remote_port == b.remote_port && a.protocol == b.protocol;
}

bool same_in(const NatFlow& a, const NatFlow& b) {
  return a.gateway == b.gateway && a.nat_address == b.nat_address && a.nat_port == b.nat_port &&
         a.remote_address == b.remote_address && a.remote_port == b.remote_port &&
         a.protocol == b.protocol;
}

Destination destination_of(const NatFlow& flow) {
  return Destination{flow.nat_address, flow.remote_address, flow.remote_port, flow.protocol};
}

}  // namespace

std::string_view to_string(NatMetric metric) {
  const size_t i = size_t(metric);
  return i < kNatMetricNames.size() ? kNatMetricNames[i] : "?";
}

bool is_gauge(NatMetric metric) {
  return metric == NatMetric::ActiveConnectionCount;
}

std::string metric_family(NatMetric metric) {
  std::string out = "openvpc_nat_gateway";
  for (char c : to_string(metric)) {
    if (c >= 'A' && c <= 'Z') {
      out += '_';
      out += char(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  if (!is_gauge(metric)) out += "_total";
  return out;
}

std::string_view to_string(ReplicaResult result) {
  const size_t i = size_t(result);
  return i < kReplicaResultNames.size() ? kReplicaResultNames[i] : "?";
}

std::string_view to_string(NatVerdict verdict) {
  const size_t i = size_t(verdict);
  return i < kVerdictNames.size() ? kVerdictNames[i] : "?";
}

NatTable::NatTable(size_t max_flows, NatTimeouts timeouts, size_t journal_capacity)
    : timeouts_(timeouts),
      flows_(max_flows),
      live_flags_(max_flows, 0),
      journal_capacity_(journal_capacity),
      by_inside_(max_flows),
      by_outside_(max_flows) {
  journal_.reserve(journal_capacity);
  free_.reserve(max_flows);
  for (size_t i = max_flows; i-- > 0;) free_.push_back(uint32_t(i));
}

uint64_t NatTable::out_hash(const NatFlow& f) {
  const uint64_t words[3] = {
      uint64_t(f.inside_address) << 32 | f.remote_address,
      uint64_t(f.inside_port) << 32 | uint64_t(f.remote_port) << 16 | f.protocol, f.gateway};
  return dataplane::mix_words(words);
}

uint64_t NatTable::in_hash(const NatFlow& f) {
  const uint64_t words[3] = {
      uint64_t(f.nat_address) << 32 | f.remote_address,
      uint64_t(f.nat_port) << 32 | uint64_t(f.remote_port) << 16 | f.protocol, f.gateway};
  return dataplane::mix_words(words);
}

uint32_t NatTable::find(const NatFlow& probe, bool outside) const {
  if (outside) {
    return by_outside_.find(in_hash(probe),
                            [&](uint32_t id) { return same_in(flows_[id], probe); });
  }
  return by_inside_.find(out_hash(probe), [&](uint32_t id) { return same_out(flows_[id], probe); });
}

void NatTable::index(uint32_t flow) {
  by_inside_.insert(out_hash(flows_[flow]), flow);
  by_outside_.insert(in_hash(flows_[flow]), flow);
}

void NatTable::unindex(uint32_t flow) {
  by_inside_.erase(flow, out_hash(flows_[flow]),
                   [this](uint32_t other) { return out_hash(flows_[other]); });
  by_outside_.erase(flow, in_hash(flows_[flow]),
                    [this](uint32_t other) { return in_hash(flows_[other]); });
}

void NatTable::set_gateways(std::vector<NatGatewayConfig> configs) {
  std::vector<Gateway> next(configs.size());
  const size_t per_allocator = std::max<size_t>(flows_.size(), 1);
  for (size_t g = 0; g < configs.size(); ++g) {
    next[g].config = std::move(configs[g]);
    const NatGatewayConfig& config = next[g].config;
    for (const PortRange& range : config.ranges) {
      next[g].allocators.emplace_back(range, config.cap_per_range, per_allocator, per_allocator);
    }
    next[g].replica.emplace_back(PortRange{kFirstNatPort, kNatPorts}, kMaxConnectionsPerDestination,
                                 per_allocator, per_allocator);
    for (const Gateway& old : gateways_) {
      if (old.config.number == config.number) next[g].counters = old.counters;
    }
    next[g].counters[size_t(NatMetric::ActiveConnectionCount)] = 0;
  }
  // Re-home every flow; the indexes are rebuilt (the gateway index is part of the out key).
  by_inside_.clear();
  by_outside_.clear();
  for (uint32_t i = 0; i < flows_.size(); ++i) {
    if (!live_flags_[i]) continue;
    NatFlow& flow = flows_[i];
    const uint32_t number = gateways_[flow.gateway].config.number;
    const bool was_replica = flow.replica != 0;
    bool kept = false;
    for (size_t g = 0; g < next.size() && !kept; ++g) {
      const NatGatewayConfig& config = next[g].config;
      if (config.number != number || std::find(config.addresses.begin(), config.addresses.end(),
                                               flow.nat_address) == config.addresses.end()) {
        continue;
      }
      kept = claim_port(next[g], flow);
      if (kept) flow.gateway = uint16_t(g);
    }
    if (was_replica) --replicas_;
    if (!kept) {
      live_flags_[i] = 0;
      free_.push_back(i);
      --live_;
      continue;
    }
    if (flow.replica) ++replicas_;
    index(i);
  }
  gateways_ = std::move(next);
}

std::optional<uint16_t> NatTable::gateway_by_number(uint32_t number) const {
  for (size_t g = 0; g < gateways_.size(); ++g) {
    if (gateways_[g].config.number == number) return uint16_t(g);
  }
  return std::nullopt;
}

bool NatTable::claim_port(Gateway& gateway, NatFlow& flow) {
  for (PortAllocator& allocator : gateway.allocators) {
    if (!allocator.range().contains(flow.nat_port)) continue;
    if (!allocator.claim(destination_of(flow), flow.nat_port)) return false;
    flow.replica = 0;
    add(gateway.counters, NatMetric::ActiveConnectionCount);
    return true;
  }
  if (!gateway.replica[0].claim(destination_of(flow), flow.nat_port)) return false;
  flow.replica = 1;
  return true;
}

void NatTable::release_port(Gateway& gateway, const NatFlow& flow) {
  if (flow.replica) {
    gateway.replica[0].release(destination_of(flow), flow.nat_port);
    return;
  }
  for (PortAllocator& allocator : gateway.allocators) {
    if (allocator.range().contains(flow.nat_port)) {
      allocator.release(destination_of(flow), flow.nat_port);
      break;
    }
  }
  gateway.counters[size_t(NatMetric::ActiveConnectionCount)] -= 1;
}

uint32_t NatTable::insert(const NatFlow& flow) {
  const uint32_t slot = free_.back();
  free_.pop_back();
  flows_[slot] = flow;
  live_flags_[slot] = 1;
  ++live_;
  if (flow.replica) ++replicas_;
  index(slot);
  return slot;
}

void NatTable::record(const NatFlow& flow, bool retired) {
  if (journal_.size() >= journal_capacity_) {
    ++journal_overflows_;
    return;
  }
  journal_.push_back({flow, gateways_[flow.gateway].config.number, retired});
}

ReplicaResult NatTable::insert_replica(uint32_t gateway_number, const NatFlow& flow, uint32_t now) {
  const std::optional<uint16_t> g = gateway_by_number(gateway_number);
  if (!g) return ReplicaResult::unknown_gateway;
  Gateway& gateway = gateways_[*g];
  NatFlow probe = flow;
  probe.gateway = *g;
  const auto& addresses = gateway.config.addresses;
  if (std::find(addresses.begin(), addresses.end(), probe.nat_address) == addresses.end()) {
    return ReplicaResult::foreign_address;
  }
  const uint32_t existing = find(probe, true);
  if (existing != kNone) {
    NatFlow& held = flows_[existing];
    if (!same_out(held, probe)) return ReplicaResult::port_conflict;
    held.last_seen = now;
    held.tcp_state = flow.tcp_state;
    return ReplicaResult::refreshed;
  }
  // The instance's tuple already translated differently here (e.g. a stale flow): replace it.
  const uint32_t stale = find(probe, false);
  if (stale != kNone) retire(stale, false);
  if (free_.empty()) return ReplicaResult::table_full;
  if (!claim_port(gateway, probe)) return ReplicaResult::port_conflict;
  probe.last_seen = now;
  probe.replicated_at = now;
  insert(probe);
  return ReplicaResult::inserted;
}

ReplicaResult NatTable::erase_replica(uint32_t gateway_number, const NatFlow& flow) {
  const std::optional<uint16_t> g = gateway_by_number(gateway_number);
  if (!g) return ReplicaResult::unknown_gateway;
  NatFlow probe = flow;
  probe.gateway = *g;
  const uint32_t slot = find(probe, true);
  if (slot == kNone || !same_out(flows_[slot], probe)) return ReplicaResult::not_found;
  retire(slot, false);
  return ReplicaResult::erased;
}

std::optional<uint32_t> NatTable::new_flow(NatFlow& flow, Gateway& gateway, uint32_t hint) {
  const auto& addresses = gateway.config.addresses;
  if (free_.empty()) return std::nullopt;
  for (size_t a = 0; a < addresses.size(); ++a) {
    flow.nat_address = addresses[(hint + a) % addresses.size()];
    const size_t ranges = gateway.allocators.size();
    for (size_t r = 0; r < ranges; ++r) {
      PortAllocator& allocator = gateway.allocators[(hint + r) % ranges];
      const std::optional<uint16_t> port = allocator.allocate(destination_of(flow), hint);
      if (!port) continue;
      flow.nat_port = *port;
      flow.replica = 0;
      const uint32_t slot = insert(flow);
      add(gateway.counters, NatMetric::ActiveConnectionCount);
      return slot;
    }
  }
  return std::nullopt;
}

void NatTable::retire(uint32_t slot, bool idle) {
  NatFlow& flow = flows_[slot];
  unindex(slot);
  Gateway& gateway = gateways_[flow.gateway];
  release_port(gateway, flow);
  if (flow.replica) {
    --replicas_;
  } else {
    if (idle) add(gateway.counters, NatMetric::IdleTimeoutCount);
    record(flow, true);
  }
  live_flags_[slot] = 0;
  free_.push_back(slot);
  --live_;
}

bool NatTable::idle(const NatFlow& flow, uint32_t now) const {
  const bool closed = flow.protocol == packet::kProtoTcp &&
                      (flow.tcp_state & (kFinInside | kFinOutside)) == (kFinInside | kFinOutside);
  return now - flow.last_seen > (closed ? timeouts_.closed_seconds : timeouts_.idle_seconds);
}

void NatTable::track_tcp(NatFlow& flow, uint8_t flags, bool from_inside, Gateway& gateway) {
  if (!from_inside && (flags & packet::kTcpSyn) && (flags & packet::kTcpAck) &&
      flow.tcp_state == kSynSent) {
    flow.tcp_state = kEstablished;
    add(gateway.counters, NatMetric::ConnectionEstablishedCount);
  }
  if (flags & packet::kTcpFin) flow.tcp_state |= from_inside ? kFinInside : kFinOutside;
}

NatVerdict NatTable::drop(Gateway* gateway, NatVerdict verdict) {
  if (gateway != nullptr) add(gateway->counters, NatMetric::PacketsDropCount);
  return verdict;
}

bool NatTable::probe_out(const packet::PacketMeta& meta, uint16_t gateway, NatFlow& probe) {
  probe.gateway = gateway;
  probe.protocol = meta.tuple.protocol;
  probe.inside_address = meta.tuple.src.v4_host_order();
  probe.remote_address = meta.tuple.dst.v4_host_order();
  if (probe.protocol == packet::kProtoTcp || probe.protocol == packet::kProtoUdp) {
    probe.inside_port = meta.tuple.src_port;
    probe.remote_port = meta.tuple.dst_port;
  } else if (probe.protocol == packet::kProtoIcmp && meta.icmp.type == kIcmpEchoRequest) {
    probe.inside_port = meta.icmp.id;
  } else {
    return false;
  }
  // Port 0 (or echo id 0) cannot be written back on the reply (rewrite_ipv4: 0 = keep).
  return probe.inside_port != 0;
}

bool NatTable::probe_in(const packet::PacketMeta& meta, NatFlow& probe) {
  if (meta.tuple.protocol == packet::kProtoIcmp && meta.icmp.is_error) {
    // The quote is the packet as the gateway sent it: from (nat address, nat port).
    const packet::IcmpInner& quote = meta.icmp_inner;
    if (!quote.present || quote.l4_offset == 0 || !quote.tuple.src.is_v4() ||
        quote.tuple.src != meta.tuple.dst) {
      return false;
    }
    probe.protocol = quote.tuple.protocol;
    probe.nat_address = quote.tuple.src.v4_host_order();
    probe.nat_port = quote.tuple.src_port;
    probe.remote_address = quote.tuple.dst.v4_host_order();
    probe.remote_port = probe.protocol == packet::kProtoIcmp ? 0 : quote.tuple.dst_port;
    return true;
  }
  probe.protocol = meta.tuple.protocol;
  probe.nat_address = meta.tuple.dst.v4_host_order();
  probe.remote_address = meta.tuple.src.v4_host_order();
  if (probe.protocol == packet::kProtoTcp || probe.protocol == packet::kProtoUdp) {
    probe.nat_port = meta.tuple.dst_port;
    probe.remote_port = meta.tuple.src_port;
    return true;
  }
  if (probe.protocol == packet::kProtoIcmp && meta.icmp.type == kIcmpEchoReply) {
    probe.nat_port = meta.icmp.id;
    return true;
  }
  return false;
}

uint64_t NatTable::prefetch_index(const packet::PacketMeta& meta, bool outside,
                                  uint16_t gateway) const {
  NatFlow probe;
  probe.gateway = gateway;
  if (!meta.ok() || meta.ip_version != 4) return 0;
  if (outside ? !probe_in(meta, probe) : !probe_out(meta, gateway, probe)) return 0;
  const uint64_t hash = outside ? in_hash(probe) : out_hash(probe);
  (outside ? by_outside_ : by_inside_).prefetch(hash);
  return hash;
}

void NatTable::prefetch_flow(uint64_t hash, bool outside) const {
  const uint32_t flow = (outside ? by_outside_ : by_inside_).first(hash);
  if (flow != kNone) __builtin_prefetch(&flows_[flow]);
}

NatVerdict NatTable::translate_out(std::span<uint8_t> packet, const packet::PacketMeta& meta,
                                   uint16_t gateway_index, uint32_t now, uint32_t inside_underlay,
                                   uint32_t inside_eni, bool partial) {
  if (gateway_index >= gateways_.size()) return NatVerdict::unknown_gateway;
  Gateway& gateway = gateways_[gateway_index];
  add(gateway.counters, NatMetric::PacketsInFromSource);
  add(gateway.counters, NatMetric::BytesInFromSource, meta.l3_size);
  if (!meta.ok() || meta.ip_version != 4) return drop(&gateway, NatVerdict::untranslatable);
  if (meta.fragment.is_fragment && meta.l4_offset == 0) {
    return drop(&gateway, NatVerdict::fragment);
  }
  NatFlow probe;
  if (!probe_out(meta, gateway_index, probe)) return drop(&gateway, NatVerdict::untranslatable);
  const bool tcp = probe.protocol == packet::kProtoTcp;

  const uint8_t flags = tcp ? meta.tcp.flags : 0;
  const bool syn_only =
      (flags & (packet::kTcpSyn | packet::kTcpAck | packet::kTcpRst | packet::kTcpFin)) ==
      packet::kTcpSyn;
  uint32_t slot = find(probe, false);
  if (slot != kNone) {
    const NatFlow& flow = flows_[slot];
    if (idle(flow, now)) {
      retire(slot, true);
      slot = kNone;
    } else if (syn_only && (flow.tcp_state & (kFinInside | kFinOutside))) {
      retire(slot, false);  // the instance reuses its port for a new connection
      slot = kNone;
    }
  }
  if (slot == kNone) {
    if (tcp && !syn_only) {
      return drop(&gateway,
                  (flags & packet::kTcpRst) ? NatVerdict::unsolicited : NatVerdict::reset);
    }
    if (free_.empty()) return drop(&gateway, NatVerdict::table_full);
    const uint32_t hint =
        uint32_t(dataplane::mix64(uint64_t(probe.inside_address) << 16 | probe.inside_port));
    probe.inside_underlay = inside_underlay;
    probe.inside_eni = inside_eni;
    probe.last_seen = now;
    probe.replicated_at = now;
    const std::optional<uint32_t> created = new_flow(probe, gateway, hint);
    if (!created) {
      add(gateway.counters, NatMetric::ErrorPortAllocation);
      return drop(&gateway, NatVerdict::port_allocation);
    }
    slot = *created;
    add(gateway.counters, NatMetric::ConnectionAttemptCount);
    record(flows_[slot], false);
  }
  NatFlow& flow = flows_[slot];
  flow.last_seen = now;
  if (tcp) track_tcp(flow, flags, true, gateway);
  dataplane::rewrite_ipv4(packet, meta, dataplane::NatSide::source, flow.nat_address, flow.nat_port,
                          partial);
  add(gateway.counters, NatMetric::PacketsOutToDestination);
  add(gateway.counters, NatMetric::BytesOutToDestination, meta.l3_size);
  if (flags & packet::kTcpRst) retire(slot, false);
  return NatVerdict::translated;
}

NatVerdict NatTable::translate_in(std::span<uint8_t> packet, const packet::PacketMeta& meta,
                                  uint16_t gateway_index, uint32_t now, NatFlow* translated,
                                  bool partial) {
  if (gateway_index >= gateways_.size()) return NatVerdict::unknown_gateway;
  if (!meta.ok() || meta.ip_version != 4) return NatVerdict::untranslatable;
  if (meta.fragment.is_fragment && meta.l4_offset == 0) return NatVerdict::fragment;
  NatFlow probe;
  probe.gateway = gateway_index;
  const bool error = meta.tuple.protocol == packet::kProtoIcmp && meta.icmp.is_error;
  if (!probe_in(meta, probe)) return NatVerdict::untranslatable;
  const uint32_t slot = find(probe, true);
  if (slot == kNone) return NatVerdict::unsolicited;
  NatFlow& flow = flows_[slot];
  Gateway& gateway = gateways_[flow.gateway];
  if (idle(flow, now)) {
    retire(slot, true);
    return drop(&gateway, NatVerdict::unsolicited);
  }
  add(gateway.counters, NatMetric::PacketsInFromDestination);
  add(gateway.counters, NatMetric::BytesInFromDestination, meta.l3_size);
  const uint8_t flags = meta.tuple.protocol == packet::kProtoTcp ? meta.tcp.flags : 0;
  if (error) {
    dataplane::rewrite_icmp_quote(packet, meta, dataplane::NatSide::source, flow.inside_address,
                                  flow.inside_port);
    dataplane::rewrite_ipv4(packet, meta, dataplane::NatSide::destination, flow.inside_address);
  } else {
    flow.last_seen = now;
    if (flow.protocol == packet::kProtoTcp) {
      track_tcp(flow, flags, false, gateway);
    } else if (flow.tcp_state == kSynSent) {
      flow.tcp_state = kEstablished;  // the first reply establishes a UDP or ICMP flow
      add(gateway.counters, NatMetric::ConnectionEstablishedCount);
    }
    dataplane::rewrite_ipv4(packet, meta, dataplane::NatSide::destination, flow.inside_address,
                            flow.inside_port, partial);
  }
  add(gateway.counters, NatMetric::PacketsOutToSource);
  add(gateway.counters, NatMetric::BytesOutToSource, meta.l3_size);
  if (translated != nullptr) *translated = flow;
  if (flags & packet::kTcpRst) retire(slot, false);
  return NatVerdict::translated;
}

void NatTable::count_fragment(uint16_t gateway_index, bool from_outside, uint32_t size) {
  if (gateway_index >= gateways_.size()) return;
  NatGatewayCounters& counters = gateways_[gateway_index].counters;
  add(counters,
      from_outside ? NatMetric::PacketsInFromDestination : NatMetric::PacketsInFromSource);
  add(counters, from_outside ? NatMetric::BytesInFromDestination : NatMetric::BytesInFromSource,
      size);
  add(counters, from_outside ? NatMetric::PacketsOutToSource : NatMetric::PacketsOutToDestination);
  add(counters, from_outside ? NatMetric::BytesOutToSource : NatMetric::BytesOutToDestination,
      size);
}

size_t NatTable::expire(uint32_t now, size_t budget) {
  size_t retired = 0;
  for (size_t examined = 0; examined < budget && !flows_.empty(); ++examined) {
    if (sweep_ >= flows_.size()) sweep_ = 0;
    const uint32_t slot = uint32_t(sweep_++);
    if (!live_flags_[slot]) continue;
    NatFlow& flow = flows_[slot];
    if (idle(flow, now)) {
      retire(slot, true);
      ++retired;
    } else if (!flow.replica && flow.last_seen > flow.replicated_at &&
               now - flow.replicated_at >= std::max<uint32_t>(timeouts_.idle_seconds / 4, 1)) {
      flow.replicated_at = now;  // it saw traffic: refresh the replicas before they idle out
      record(flow, false);
    }
  }
  return retired;
}

std::optional<NatFlow> NatTable::find_out(uint16_t gateway, uint32_t inside_address,
                                          uint16_t inside_port, uint32_t remote_address,
                                          uint16_t remote_port, uint8_t protocol) const {
  NatFlow probe;
  probe.gateway = gateway;
  probe.inside_address = inside_address;
  probe.inside_port = inside_port;
  probe.remote_address = remote_address;
  probe.remote_port = remote_port;
  probe.protocol = protocol;
  const uint32_t slot = find(probe, false);
  if (slot == kNone) return std::nullopt;
  return flows_[slot];
}

}  // namespace openvpc::hyperplane
