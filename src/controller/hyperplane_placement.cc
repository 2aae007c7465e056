#include "controller/hyperplane_placement.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "model/nat_gateway.h"
#include "model/placement.h"

namespace openvpc::controller {

Result<void> HyperplanePlacement::set_live_nodes(std::vector<std::string> nodes) {
  std::sort(nodes.begin(), nodes.end());
  {
    std::lock_guard lock(mutex_);
    nodes_ = std::move(nodes);
  }
  return reconcile();
}

std::vector<std::string> HyperplanePlacement::live_nodes() const {
  std::lock_guard lock(mutex_);
  return nodes_;
}

bool HyperplanePlacement::settle() {
  {
    std::lock_guard lock(mutex_);
    if (settled_ || in_grace()) return false;
    settled_ = true;
  }
  (void)reconcile();
  return true;
}

Result<void> HyperplanePlacement::reconcile() {
  const std::vector<std::string> live = live_nodes();
  const int64_t now = now_();
  const bool grace = now < grace_until_;
  auto changed = regions_.mutate([&](model::Region& region) -> Result<void> {
    model::NatPlacement placement;
    for (const auto& [id, nat] : region.nat_gateways) {
      if (!model::nat_gateway_live(nat)) continue;
      placement.shards[id] = grace && !nat.shard.empty()
                                 ? nat.shard
                                 : model::place_shard(id, nat.shard, live, shard_size_);
    }
    model::advance_nat_gateways(region, placement, now);
    return {};
  });
  if (!changed) return changed.error();
  return {};
}

Result<std::string> HyperplanePlacement::describe() {
  auto region = regions_.snapshot();
  if (!region) return region.error();
  const auto live = live_nodes();
  std::map<std::string, std::vector<std::string>> by_node;  // live nodes and shard members
  for (const auto& node : live) by_node[node];
  nlohmann::json nats = nlohmann::json::array();
  for (const auto& [id, nat] : (*region)->nat_gateways) {
    for (const auto& node : nat.shard) by_node[node].push_back(id);
    nats.push_back({{"id", id}, {"owner", nat.owner}, {"state", nat.state}, {"shard", nat.shard}});
  }
  const std::set<std::string> alive(live.begin(), live.end());
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& [node, ids] : by_node) {
    nodes.push_back({{"node_id", node}, {"live", alive.contains(node)}, {"nat_gateways", ids}});
  }
  return nlohmann::json{{"nodes", nodes}, {"nat_gateways", nats}, {"shard_size", shard_size_}}
      .dump();
}

}  // namespace openvpc::controller
