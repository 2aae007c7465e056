#include "controller/hyperplane_acks.h"

namespace openvpc::controller {

namespace {

// Keeps the runs of the names still carried (starting a run at `version` for a new one) and
// drops the others.
void follow(std::map<std::string, uint64_t>& runs, const std::vector<std::string>& names,
            uint64_t version) {
  std::map<std::string, uint64_t> next;
  for (const auto& name : names) {
    auto it = runs.find(name);
    next[name] = it == runs.end() ? version : it->second;
  }
  runs = std::move(next);
}

std::set<std::string> running(const std::map<std::string, uint64_t>& runs, uint64_t acked) {
  std::set<std::string> out;
  for (const auto& [name, since] : runs) {
    if (acked >= since) out.insert(name);
  }
  return out;
}

}  // namespace

void HyperplaneAcks::published(const std::string& node_id, uint64_t version,
                               const program::Program& program) {
  std::vector<std::string> nats, balancers;
  for (const auto& nat : program.nat_gateways) nats.push_back(nat.name);
  for (const auto& lb : program.load_balancers) balancers.push_back(lb.name);
  std::lock_guard lock(mutex_);
  if (nats.empty() && balancers.empty()) {  // a router, or a node carrying nothing (any more)
    nodes_.erase(node_id);
    return;
  }
  Runs& runs = nodes_[node_id];
  follow(runs.nat_gateways, nats, version);
  follow(runs.load_balancers, balancers, version);
  news_.store(true);
}

std::map<std::string, NodeCarries> HyperplaneAcks::carried(
    const std::vector<std::string>& nodes) const {
  std::map<std::string, uint64_t> acked;  // read before the lock: acked_ takes the service's
  for (const auto& node : nodes) {
    if (auto version = acked_(node)) acked[node] = *version;
  }
  std::map<std::string, NodeCarries> out;
  std::lock_guard lock(mutex_);
  for (const auto& [node, version] : acked) {
    auto it = nodes_.find(node);
    if (it == nodes_.end()) {
      out[node];
      continue;
    }
    out[node] = {running(it->second.nat_gateways, version),
                 running(it->second.load_balancers, version)};
  }
  return out;
}

}  // namespace openvpc::controller
