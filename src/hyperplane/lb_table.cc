#include "hyperplane/lb_table.h"

#include <algorithm>
#include <bit>
#include <cctype>

#include "packet/parser.h"

namespace openvpc::hyperplane {

namespace {

constexpr std::array<std::string_view, kLbMetricCount> kMetricNames = {
    "ActiveFlowCount",    "NewFlowCount",           "ProcessedBytes",         "HealthyHostCount",
    "UnHealthyHostCount", "TCP_Client_Reset_Count", "TCP_Target_Reset_Count",
};

constexpr std::array<std::string_view, size_t(LbReplicaResult::count_)> kReplicaNames = {
    "inserted", "refreshed", "erased", "not_found", "unknown_lb", "conflict", "table_full",
};

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

uint64_t key_hash(uint16_t lb, uint8_t protocol, uint32_t a, uint16_t a_port, uint32_t b,
                  uint16_t b_port) {
  const uint64_t first = uint64_t(a) << 32 | b;
  const uint64_t second =
      uint64_t(lb) << 40 | uint64_t(protocol) << 32 | uint32_t(a_port) << 16 | b_port;
  return mix(first ^ mix(second));
}

}  // namespace

std::string_view to_string(LbMetric metric) {
  const size_t i = size_t(metric);
  return i < kMetricNames.size() ? kMetricNames[i] : "?";
}

bool is_gauge(LbMetric metric) {
  return metric == LbMetric::ActiveFlowCount || metric == LbMetric::HealthyHostCount ||
         metric == LbMetric::UnHealthyHostCount;
}

std::string metric_family(LbMetric metric) {
  // CamelCase (and TCP_ prefixes) to snake case: ActiveFlowCount -> active_flow_count,
  // UnHealthyHostCount -> un_healthy_host_count, TCP_Client_Reset_Count -> tcp_client_reset_count.
  std::string out = "openvpc_load_balancer_";
  const std::string_view name = to_string(metric);
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_') {
      out += '_';
      continue;
    }
    const bool upper = std::isupper(static_cast<unsigned char>(c)) != 0;
    if (upper && i > 0 && name[i - 1] != '_' &&
        !std::isupper(static_cast<unsigned char>(name[i - 1]))) {
      out += '_';
    }
    out += char(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!is_gauge(metric)) out += "_total";
  return out;
}

std::string_view to_string(LbReplicaResult result) {
  const size_t i = size_t(result);
  return i < kReplicaNames.size() ? kReplicaNames[i] : "?";
}

LbTable::LbTable(size_t max_flows, LbTimeouts timeouts, size_t journal_capacity)
    : timeouts_(timeouts),
      journal_capacity_(journal_capacity),
      by_client_(max_flows),
      by_target_(max_flows) {
  flows_.resize(max_flows);
  live_.assign(max_flows, 0);
  free_.reserve(max_flows);
  for (size_t i = max_flows; i > 0; --i) free_.push_back(uint32_t(i - 1));
  journal_.reserve(journal_capacity);
}

void LbTable::set_load_balancers(std::span<const uint32_t> numbers) {
  std::vector<Lb> next(numbers.size());
  std::vector<int32_t> remap(lbs_.size(), -1);
  for (size_t i = 0; i < numbers.size(); ++i) {
    next[i].number = numbers[i];
    for (size_t old = 0; old < lbs_.size(); ++old) {
      if (lbs_[old].number == numbers[i]) {
        next[i].counters = lbs_[old].counters;
        remap[old] = int32_t(i);
      }
    }
  }
  for (uint32_t id = 0; id < flows_.size(); ++id) {
    if (!live_[id]) continue;
    const int32_t to = flows_[id].lb < remap.size() ? remap[flows_[id].lb] : -1;
    if (to < 0) {
      // Not journaled: the peers drop their copies with their own programs.
      unindex(id);
      if (flows_[id].replica) --replicas_;
      live_[id] = 0;
      free_.push_back(id);
      --count_;
      continue;
    }
    // The key hashes include the index: re-index under the new one.
    unindex(id);
    flows_[id].lb = uint16_t(to);
    index(id);
  }
  lbs_ = std::move(next);
}

uint32_t LbTable::timeout(const LbFlow& flow) const {
  if (flow.protocol == packet::kProtoUdp) return timeouts_.udp_seconds;
  if ((flow.tcp_state & (kFinClient | kFinTarget)) == (kFinClient | kFinTarget)) {
    return timeouts_.closed_seconds;
  }
  return timeouts_.tcp_seconds;
}

uint64_t LbTable::hash_key(uint16_t lb, uint8_t protocol, uint32_t a, uint16_t a_port, uint32_t b,
                           uint16_t b_port) {
  return key_hash(lb, protocol, a, a_port, b, b_port);
}

uint64_t LbTable::client_hash(const LbFlow& f) {
  return key_hash(f.lb, f.protocol, f.client_address, f.client_port, f.listener_address,
                  f.listener_port);
}

uint64_t LbTable::target_hash(const LbFlow& f) {
  return key_hash(f.lb, f.protocol, f.target_address, f.target_port, f.client_address,
                  f.client_port);
}

bool LbTable::same_client(const LbFlow& a, const LbFlow& b) {
  return a.lb == b.lb && a.protocol == b.protocol && a.client_address == b.client_address &&
         a.client_port == b.client_port && a.listener_address == b.listener_address &&
         a.listener_port == b.listener_port;
}

bool LbTable::same_target(const LbFlow& a, const LbFlow& b) {
  return a.lb == b.lb && a.protocol == b.protocol && a.target_address == b.target_address &&
         a.target_port == b.target_port && a.client_address == b.client_address &&
         a.client_port == b.client_port;
}

uint32_t LbTable::find(const LbFlow& probe, bool target) const {
  if (target) {
    return by_target_.find(target_hash(probe),
                           [&](uint32_t id) { return same_target(flows_[id], probe); });
  }
  return by_client_.find(client_hash(probe),
                         [&](uint32_t id) { return same_client(flows_[id], probe); });
}

void LbTable::index(uint32_t id) {
  by_client_.insert(client_hash(flows_[id]), id);
  by_target_.insert(target_hash(flows_[id]), id);
}

void LbTable::unindex(uint32_t id) {
  by_client_.erase(id, client_hash(flows_[id]),
                   [this](uint32_t other) { return client_hash(flows_[other]); });
  by_target_.erase(id, target_hash(flows_[id]),
                   [this](uint32_t other) { return target_hash(flows_[other]); });
}

uint32_t LbTable::find_client(uint16_t lb, uint8_t protocol, uint32_t client_address,
                              uint16_t client_port, uint32_t listener_address,
                              uint16_t listener_port) const {
  LbFlow probe;
  probe.lb = lb;
  probe.protocol = protocol;
  probe.client_address = client_address;
  probe.client_port = client_port;
  probe.listener_address = listener_address;
  probe.listener_port = listener_port;
  return find(probe, false);
}

uint32_t LbTable::find_target(uint16_t lb, uint8_t protocol, uint32_t target_address,
                              uint16_t target_port, uint32_t client_address,
                              uint16_t client_port) const {
  LbFlow probe;
  probe.lb = lb;
  probe.protocol = protocol;
  probe.target_address = target_address;
  probe.target_port = target_port;
  probe.client_address = client_address;
  probe.client_port = client_port;
  return find(probe, true);
}

uint32_t LbTable::insert(const LbFlow& flow) {
  if (free_.empty() || flow.lb >= lbs_.size()) return kNone;
  if (find(flow, false) != kNone || find(flow, true) != kNone) {
    return kNone;
  }
  const uint32_t id = free_.back();
  free_.pop_back();
  flows_[id] = flow;
  live_[id] = 1;
  ++count_;
  index(id);
  return id;
}

void LbTable::record(const LbFlow& flow, bool retired) {
  if (journal_.size() >= journal_capacity_) {
    ++journal_overflows_;
    return;
  }
  journal_.push_back({flow, lbs_[flow.lb].number, retired});
}

uint32_t LbTable::create(const LbFlow& flow, uint32_t now) {
  LbFlow f = flow;
  f.replica = 0;
  f.last_seen = now;
  f.replicated_at = now;
  const uint32_t id = insert(f);
  if (id == kNone) return kNone;
  Lb& lb = lbs_[f.lb];
  ++lb.counters[size_t(LbMetric::ActiveFlowCount)];
  ++lb.counters[size_t(LbMetric::NewFlowCount)];
  record(f, false);
  return id;
}

bool LbTable::touch(uint32_t id, uint32_t now, uint32_t bytes, uint8_t tcp_flags,
                    bool from_client) {
  LbFlow& f = flows_[id];
  if (idle(f, now)) {
    retire(id);
    return false;
  }
  f.last_seen = now;
  Lb& lb = lbs_[f.lb];
  lb.counters[size_t(LbMetric::ProcessedBytes)] += bytes;
  if (f.replica) {  // the client's slot moved here: the flow is this node's now
    f.replica = 0;
    --replicas_;
    ++lb.counters[size_t(LbMetric::ActiveFlowCount)];
    f.replicated_at = now;
    record(f, false);
  }
  if (f.protocol == packet::kProtoTcp) {
    if (tcp_flags & packet::kTcpFin) f.tcp_state |= from_client ? kFinClient : kFinTarget;
    if (tcp_flags & packet::kTcpRst) {
      ++lb.counters[size_t(from_client ? LbMetric::TCP_Client_Reset_Count
                                       : LbMetric::TCP_Target_Reset_Count)];
    }
  }
  return true;
}

void LbTable::retire(uint32_t id) {
  LbFlow& f = flows_[id];
  if (f.replica) {
    --replicas_;
  } else {
    --lbs_[f.lb].counters[size_t(LbMetric::ActiveFlowCount)];
    record(f, true);
  }
  unindex(id);
  live_[id] = 0;
  free_.push_back(id);
  --count_;
}

void LbTable::erase(uint32_t id) {
  if (id < flows_.size() && live_[id]) retire(id);
}

void LbTable::refresh(uint32_t id, uint32_t now) {
  LbFlow& f = flows_[id];
  if (f.replica || f.last_seen <= f.replicated_at) return;
  if (now - f.replicated_at < timeout(f) / 4) return;
  f.replicated_at = now;
  record(f, false);
}

std::optional<uint16_t> LbTable::lb_by_number(uint32_t number) const {
  for (size_t i = 0; i < lbs_.size(); ++i) {
    if (lbs_[i].number == number) return uint16_t(i);
  }
  return std::nullopt;
}

LbReplicaResult LbTable::insert_replica(uint32_t lb_number, const LbFlow& flow, uint32_t now) {
  const auto lb = lb_by_number(lb_number);
  if (!lb) return LbReplicaResult::unknown_lb;
  LbFlow f = flow;
  f.lb = *lb;
  f.last_seen = now;
  f.replicated_at = now;
  f.client_ack = 0;
  f.target_ack = 0;
  f.target_underlay = 0;
  f.target_eni = 0;
  const uint32_t by_client = find(f, false);
  const uint32_t by_target = find(f, true);
  if (by_client != kNone || by_target != kNone) {
    if (by_client != by_target) return LbReplicaResult::conflict;
    LbFlow& held = flows_[by_client];
    if (held.target_address != f.target_address || held.target_port != f.target_port ||
        held.listener_address != f.listener_address || held.listener_port != f.listener_port) {
      return LbReplicaResult::conflict;
    }
    held.last_seen = now;
    held.tcp_state |= f.tcp_state;
    return LbReplicaResult::refreshed;
  }
  f.replica = 1;
  const uint32_t id = insert(f);
  if (id == kNone) return LbReplicaResult::table_full;
  ++replicas_;
  return LbReplicaResult::inserted;
}

LbReplicaResult LbTable::erase_replica(uint32_t lb_number, const LbFlow& flow) {
  const auto lb = lb_by_number(lb_number);
  if (!lb) return LbReplicaResult::unknown_lb;
  LbFlow f = flow;
  f.lb = *lb;
  const uint32_t id = find(f, false);
  if (id == kNone || flows_[id].target_address != f.target_address ||
      flows_[id].target_port != f.target_port) {
    return LbReplicaResult::not_found;
  }
  // Our own flow (this node serves the client's slot now) is this node's to retire.
  if (!flows_[id].replica) return LbReplicaResult::not_found;
  retire(id);
  return LbReplicaResult::erased;
}

}  // namespace openvpc::hyperplane
