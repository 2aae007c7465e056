#include "controller/hyperplane_placement.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "model/load_balancer.h"
#include "model/nat_gateway.h"
#include "model/placement.h"

namespace openvpc::controller {

namespace {

// Whether the live nodes of `shard` (those in `carried`) all run `name`, and there is one.
bool run_by_shard(const std::vector<std::string>& shard,
                  const std::map<std::string, NodeCarries>& carried, const std::string& name,
                  std::set<std::string> NodeCarries::*kind) {
  bool any = false;
  for (const auto& node : shard) {
    auto it = carried.find(node);
    if (it == carried.end()) continue;  // not live: its slot waits, its successor serves
    if (!(it->second.*kind).contains(name)) return false;
    any = true;
  }
  return any;
}

}  // namespace

Result<void> HyperplanePlacement::set_live_nodes(std::vector<std::string> nodes) {
  std::sort(nodes.begin(), nodes.end());
  {
    std::lock_guard lock(mutex_);
    nodes_ = std::move(nodes);
  }
  return reconcile();
}

void HyperplanePlacement::set_controller_source(
    std::function<std::map<std::string, std::string>()> source) {
  std::lock_guard lock(mutex_);
  controllers_ = std::move(source);
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
  // What the live nodes run, read once: a shard decided below that names a node which has not
  // ACKed the gateway yet leaves it waiting, and the node's ACK brings the next reconcile.
  const std::map<std::string, NodeCarries> carried = acks_.carried(live);
  auto changed = regions_.mutate([&](model::Region& region) -> Result<void> {
    model::NatPlacement placement;
    for (const auto& [id, nat] : region.nat_gateways) {
      if (!model::nat_gateway_live(nat)) continue;
      const auto& shard = placement.shards[id] =
          grace && !nat.shard.empty() ? nat.shard
                                      : model::place_shard(id, nat.shard, live, shard_size_);
      if (run_by_shard(shard, carried, id, &NodeCarries::nat_gateways)) {
        placement.carried.insert(id);
      }
    }
    model::advance_nat_gateways(region, placement, now);
    // Load balancers share the fleet and the rule: placed by their ARN (every load balancer
    // in the region is live until deleted), run by their program name.
    model::LoadBalancerPlacement balancers;
    for (const auto& [arn, lb] : region.load_balancers) {
      const auto& shard = balancers.shards[arn] =
          grace && !lb.shard.empty() ? lb.shard
                                     : model::place_shard(arn, lb.shard, live, shard_size_);
      if (run_by_shard(shard, carried, model::load_balancer_name(lb),
                       &NodeCarries::load_balancers)) {
        balancers.carried.insert(arn);
      }
    }
    model::advance_load_balancers(region, balancers, now);
    return {};
  });
  if (!changed) return changed.error();
  {
    std::lock_guard lock(mutex_);
    next_deadline_ = model::next_draining_deadline(**changed, now);
  }
  return {};
}

bool HyperplanePlacement::due() const {
  std::lock_guard lock(mutex_);
  return next_deadline_ != 0 && now_() >= next_deadline_;
}

bool HyperplanePlacement::news() {
  if (!acks_.take_news()) return false;
  auto region = regions_.snapshot();
  if (!region) return true;  // let reconcile() report it
  for (const auto& [id, nat] : (*region)->nat_gateways) {
    if (nat.state == "pending" && !nat.shard.empty()) return true;
  }
  for (const auto& [arn, lb] : (*region)->load_balancers) {
    if (lb.state == "provisioning" && !lb.shard.empty()) return true;
  }
  return false;
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
  std::map<std::string, std::vector<std::string>> balancers_by_node;
  nlohmann::json balancers = nlohmann::json::array();
  for (const auto& [arn, lb] : (*region)->load_balancers) {
    const std::string name = model::load_balancer_name(lb);
    for (const auto& node : lb.shard) {
      by_node[node];
      balancers_by_node[node].push_back(name);
    }
    balancers.push_back({{"arn", arn},
                         {"name", name},
                         {"owner", lb.owner},
                         {"state", lb.state},
                         {"shard", lb.shard}});
  }
  const std::set<std::string> alive(live.begin(), live.end());
  std::function<std::map<std::string, std::string>()> source;
  {
    std::lock_guard lock(mutex_);
    source = controllers_;
  }
  const auto controllers = source ? source() : std::map<std::string, std::string>{};
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& [node, ids] : by_node) {
    nlohmann::json entry{{"node_id", node},
                         {"live", alive.contains(node)},
                         {"nat_gateways", ids},
                         {"load_balancers", balancers_by_node[node]}};
    if (auto holder = controllers.find(node); holder != controllers.end()) {
      entry["controller"] = holder->second;
    }
    nodes.push_back(std::move(entry));
  }
  return nlohmann::json{{"nodes", nodes},
                        {"nat_gateways", nats},
                        {"load_balancers", balancers},
                        {"shard_size", shard_size_}}
      .dump();
}

}  // namespace openvpc::controller
