#include "hyperplane/node_program.h"

#include <algorithm>

namespace openvpc::hyperplane {

namespace {

Error invalid(const std::string& message) {
  return Error{"hyperplane.invalid_program", message};
}

}  // namespace

Result<NodePlan> compile_node_program(const program::Program& program, uint32_t underlay_v4,
                                      uint32_t now, const NodePlan* previous,
                                      uint32_t max_per_destination) {
  // A program without a host underlay (one with nothing placed on the node yet) is taken as
  // this node's; its gateways would then not find the node in their shards.
  const bool unset = program.host_underlay == packet::IpAddress{} ||
                     (program.host_underlay.is_v4() && program.host_underlay.v4_host_order() == 0);
  if (!unset &&
      (!program.host_underlay.is_v4() || program.host_underlay.v4_host_order() != underlay_v4)) {
    return invalid("the program is for another underlay address");
  }
  NodePlan plan;
  plan.config.underlay_v4 = underlay_v4;
  for (const packet::IpAddress& edge : program.edge_nodes) {
    if (edge.is_v4()) plan.config.edge_nodes.push_back(edge.v4_host_order());
  }
  std::sort(plan.config.edge_nodes.begin(), plan.config.edge_nodes.end());
  for (const program::NatGateway& g : program.nat_gateways) {
    const std::string name = g.name.empty() ? std::to_string(g.id) : g.name;
    const int slots = int(g.nodes.size());
    std::vector<uint32_t> nodes;
    for (const packet::IpAddress& node : g.nodes) {
      nodes.push_back(node.is_v4() ? node.v4_host_order() : 0);
    }
    const auto self = std::find(nodes.begin(), nodes.end(), underlay_v4);
    if (self == nodes.end()) return invalid(name + ": this node is not in its shard");
    const int slot = int(self - nodes.begin());
    NatGatewayConfig config;
    config.number = g.id;
    for (const packet::IpAddress& a : g.addresses) {
      if (a.is_v4()) config.addresses.push_back(a.v4_host_order());
    }
    if (config.addresses.empty()) return invalid(name + ": no IPv4 address");
    config.ranges.push_back(slot_range(slot, slots));
    config.cap_per_range = slot_cap(slot, slots, max_per_destination);
    // Down slots whose next live slot is this one.
    for (int down = 0; down < slots; ++down) {
      if (nodes[size_t(down)] != 0) continue;
      int next = (down + 1) % slots;
      while (nodes[size_t(next)] == 0 && next != down) next = (next + 1) % slots;
      if (next == slot) config.ranges.push_back(slot_range(down, slots));
    }
    ShardPeers shard;
    shard.gateway_number = g.id;
    shard.gateway_index = uint16_t(plan.gateways.size());
    for (uint32_t node : nodes) {
      if (node != 0 && node != underlay_v4) shard.peers.push_back(node);
    }
    NodeGateway gateway{g.id, g.vpc, g.eni, g.is_public, now};
    if (previous != nullptr) {
      for (size_t i = 0; i < previous->gateways.size(); ++i) {
        if (previous->gateways[i].number == g.id && previous->slots[i] == slot) {
          gateway.joined_at = previous->config.gateways[i].joined_at;
        }
      }
    }
    plan.gateways.push_back(std::move(config));
    plan.config.gateways.push_back(gateway);
    plan.shards.push_back(std::move(shard));
    plan.names.push_back(name);
    plan.slots.push_back(slot);
  }
  return plan;
}

}  // namespace openvpc::hyperplane
