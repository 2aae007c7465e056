// The nodes' health reports folded into the model's targets (target_health.h).
#include "controller/target_health.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "model/load_balancer.h"

namespace openvpc::controller {

namespace {

using Endpoint = std::pair<program::IpAddress, uint16_t>;

// "target <address>:<port>" -> (address, port); nullopt for anything else.
std::optional<Endpoint> parse_report_name(std::string_view name) {
  constexpr std::string_view kPrefix = "target ";
  if (!name.starts_with(kPrefix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  const size_t colon = name.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = name.substr(0, colon);
  std::string_view port_text = name.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return std::nullopt;
  }
  auto address = program::parse_address(host);
  if (!address) return std::nullopt;
  return Endpoint{*address, static_cast<uint16_t>(port)};
}

// Where a registered target is checked: its instance's primary address, or its address.
std::optional<program::IpAddress> target_address(const model::Region& region,
                                                 const model::TargetGroup& group,
                                                 const model::LoadBalancerTarget& target) {
  if (group.target_type == "instance") {
    auto instance = region.instances.find(target.id);
    if (instance == region.instances.end()) return std::nullopt;
    return program::parse_address(instance->second.private_ip);
  }
  return program::parse_address(target.id);
}

// Target group ARN -> the nodes of the shards of the load balancers that forward to it.
std::map<std::string, std::set<std::string>> checking_nodes(const model::Region& region) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [arn, listener] : region.listeners) {
    auto lb = region.load_balancers.find(listener.load_balancer_arn);
    if (lb == region.load_balancers.end()) continue;
    out[listener.target_group_arn].insert(lb->second.shard.begin(), lb->second.shard.end());
  }
  return out;
}

}  // namespace

std::vector<TargetHealthChange> fold_target_health(const model::Region& region,
                                                   const std::vector<mapping::HostStatus>& hosts) {
  const auto nodes_of = checking_nodes(region);
  std::vector<TargetHealthChange> changes;
  for (const auto& [group_arn, group] : region.target_groups) {
    auto nodes = nodes_of.find(group_arn);
    if (nodes == nodes_of.end()) continue;
    std::map<Endpoint, std::pair<int, int>> votes;  // (healthy, unhealthy) nodes
    for (const auto& host : hosts) {
      if (!host.connected || !nodes->second.contains(host.host_id)) continue;
      for (const auto& report : host.resource_metrics) {
        if (report.resource != group_arn) continue;
        std::set<Endpoint> counted;  // one vote per node and target
        for (const auto& [name, value] : report.values) {
          auto endpoint = parse_report_name(name);
          if (!endpoint || !counted.insert(*endpoint).second) continue;
          auto& [healthy, unhealthy] = votes[*endpoint];
          ++(value != 0 ? healthy : unhealthy);
        }
      }
    }
    if (votes.empty()) continue;
    for (const auto& target : group.targets) {
      auto address = target_address(region, group, target);
      if (!address || target.port < 1 || target.port > 65535) continue;
      auto vote = votes.find({*address, static_cast<uint16_t>(target.port)});
      if (vote == votes.end()) continue;
      // Unhealthy only when every node that concluded says so: then no node sends the target a
      // new connection, which is what DescribeTargetHealth's "unhealthy" promises. One node
      // that still finds it healthy still routes to it.
      const std::string health = vote->second.first > 0 ? "healthy" : "unhealthy";
      if (health != target.health) {
        changes.push_back({group_arn, target.id, target.port, health});
      }
    }
  }
  return changes;
}

bool apply_target_health(model::Region& region, const std::vector<TargetHealthChange>& changes) {
  bool changed = false;
  for (const auto& c : changes) {
    changed |=
        model::record_target_health(region, c.target_group_arn, c.target_id, c.port, c.health);
  }
  return changed;
}

}  // namespace openvpc::controller
