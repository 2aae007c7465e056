#include "controller/fleet_membership.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "program/cidr.h"

namespace openvpc::controller {

std::string fleet_key(std::string_view node_id, std::string_view controller_id) {
  return std::string(kFleetPrefix) + std::string(node_id) + "/" + std::string(controller_id);
}

std::string encode_fleet_record(const FleetNode& node, uint64_t renewal) {
  return nlohmann::json{{"node_id", node.node_id},
                        {"role", mapping::to_string(node.role)},
                        {"underlay", node.underlay},
                        {"controller", node.controller},
                        {"renewal", renewal}}
      .dump();
}

std::optional<FleetNode> decode_fleet_record(const store::KeyValue& kv) {
  auto j = nlohmann::json::parse(kv.value, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto text = [&](const char* name) -> std::optional<std::string> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto node_id = text("node_id"), role = text("role"), underlay = text("underlay"),
       controller = text("controller");
  if (!node_id || !role || !underlay || !controller || node_id->empty() || controller->empty()) {
    return std::nullopt;
  }
  FleetNode node{*node_id, mapping::NodeRole::router, *underlay, *controller};
  if (!mapping::parse_node_role(*role, node.role) || node.role == mapping::NodeRole::router) {
    return std::nullopt;
  }
  auto address = program::parse_address(*underlay);
  if (!address || !address->is_v4()) return std::nullopt;
  // The key names the writer: a value copied under another key would let one controller
  // speak for another's node.
  if (kv.key != fleet_key(node.node_id, node.controller)) return std::nullopt;
  return node;
}

bool same_membership(const std::vector<FleetNode>& a, const std::vector<FleetNode>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const FleetNode& x, const FleetNode& y) {
                      return x.node_id == y.node_id && x.role == y.role && x.underlay == y.underlay;
                    });
}

void FleetMembership::set_local(const std::vector<mapping::NodeStatus>& nodes) {
  local_.clear();
  for (const auto& status : nodes) {
    if (status.role == mapping::NodeRole::router) continue;
    local_[status.node_id] = {status.node_id, status.role, program::format_address(status.underlay),
                              controller_id_};
  }
}

void FleetMembership::observe(const std::vector<store::KeyValue>& records, int64_t now_ms) {
  // Time this controller was blind (no read for over half a lease) ages nobody's records.
  const int64_t blind =
      last_observed_ms_ < 0 ? 0 : std::max<int64_t>(0, now_ms - last_observed_ms_ - lease_ms_ / 2);
  last_observed_ms_ = now_ms;
  std::map<std::string, Observed> next;
  for (const auto& kv : records) {
    if (kv.key.rfind(kFleetPrefix, 0) != 0) continue;
    auto seen = observed_.find(kv.key);
    if (seen != observed_.end() && seen->second.mod_revision == kv.mod_revision) {
      seen->second.renewed_at_ms += blind;  // not renewed since: keeps its age
      next.emplace(kv.key, std::move(seen->second));
      continue;
    }
    Observed observed{kv.mod_revision, now_ms, decode_fleet_record(kv)};
    if (!observed.node) ++invalid_records_;
    next.emplace(kv.key, std::move(observed));
  }
  observed_ = std::move(next);
}

std::vector<FleetNode> FleetMembership::live(int64_t now_ms) const {
  std::map<std::string, FleetNode> live = local_;
  std::map<std::string, int64_t> newest;  // node id -> mod_revision of the record chosen
  for (const auto& [key, observed] : observed_) {
    if (!observed.node || now_ms - observed.renewed_at_ms >= lease_ms_) continue;
    const FleetNode& node = *observed.node;
    // This controller's own records say what it held when it wrote them; set_local() is now.
    if (node.controller == controller_id_ || local_.contains(node.node_id)) continue;
    auto [it, first] = newest.emplace(node.node_id, observed.mod_revision);
    if (!first && it->second > observed.mod_revision) continue;
    it->second = observed.mod_revision;
    live[node.node_id] = node;
  }
  std::vector<FleetNode> out;
  out.reserve(live.size());
  for (auto& [id, node] : live) out.push_back(std::move(node));
  return out;
}

std::vector<store::Operation> FleetMembership::renewal() {
  ++renewal_count_;
  std::vector<store::Operation> ops;
  pending_.clear();
  for (const auto& [id, node] : local_) {
    pending_.push_back(fleet_key(id, controller_id_));
    ops.push_back(
        {store::Operation::Kind::put, pending_.back(), encode_fleet_record(node, renewal_count_)});
  }
  // Own keys to erase: the ones this process wrote, and any the store still shows (a
  // controller restarted under the same id left them; it holds no stream from then).
  std::set<std::string> own(written_.begin(), written_.end());
  for (const auto& [key, observed] : observed_) {
    if (observed.node && observed.node->controller == controller_id_) own.insert(key);
  }
  const std::set<std::string> keep(pending_.begin(), pending_.end());
  for (const auto& key : own) {
    if (!keep.contains(key)) ops.push_back({store::Operation::Kind::erase, key, ""});
  }
  return ops;
}

void FleetMembership::renewed() {
  written_ = pending_;
}

std::vector<store::Compare> FleetMembership::abandoned(int64_t now_ms) const {
  std::vector<store::Compare> out;
  for (const auto& [key, observed] : observed_) {
    if (observed.node && observed.node->controller == controller_id_) continue;
    if (now_ms - observed.renewed_at_ms >= 2 * lease_ms_) {
      out.push_back({key, observed.mod_revision});
    }
  }
  return out;
}

}  // namespace openvpc::controller
