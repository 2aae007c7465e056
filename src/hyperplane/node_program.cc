#include "hyperplane/node_program.h"

#include <algorithm>

namespace openvpc::hyperplane {

namespace {

Error invalid(const std::string& message) {
  return Error{"hyperplane.invalid_program", message};
}

Result<std::pair<NodeLoadBalancer, int>> compile_load_balancer(const program::LoadBalancer& lb,
                                                               uint32_t underlay_v4, uint32_t now,
                                                               const NodePlan* previous) {
  const std::string name = lb.name.empty() ? std::to_string(lb.id) : lb.name;
  int slot = -1;
  for (size_t i = 0; i < lb.nodes.size(); ++i) {
    if (lb.nodes[i].is_v4() && lb.nodes[i].v4_host_order() == underlay_v4) slot = int(i);
  }
  if (slot < 0) return invalid(name + ": this node is not in its shard");
  NodeLoadBalancer out;
  out.number = lb.id;
  out.vni = lb.vpc;
  out.joined_at = now;
  if (previous != nullptr) {
    for (size_t i = 0; i < previous->lb.lbs.size() && i < previous->lb_slots.size(); ++i) {
      if (previous->lb.lbs[i].number == lb.id && previous->lb_slots[i] == slot) {
        out.joined_at = previous->lb.lbs[i].joined_at;
      }
    }
  }
  for (const program::LoadBalancerInterface& itf : lb.interfaces) {
    if (itf.address.is_v4()) out.interfaces.push_back({itf.eni, itf.address.v4_host_order()});
  }
  for (const program::LoadBalancerTargetGroup& g : lb.target_groups) {
    LbTargetGroup group;
    group.id = g.id;
    group.stickiness = g.stickiness;
    for (const program::LoadBalancerTarget& t : g.targets) {
      if (!t.address.is_v4()) continue;
      LbTarget target;
      target.address = t.address.v4_host_order();
      target.port = t.port;
      target.eni = t.eni;
      target.underlay = t.underlay.is_v4() ? t.underlay.v4_host_order() : 0;
      target.draining = t.draining;
      group.targets.push_back(target);
    }
    std::sort(group.targets.begin(), group.targets.end(), [](const LbTarget& a, const LbTarget& b) {
      return a.address != b.address ? a.address < b.address : a.port < b.port;
    });
    rebuild_selection(group);
    out.groups.push_back(std::move(group));
  }
  std::sort(out.groups.begin(), out.groups.end(),
            [](const LbTargetGroup& a, const LbTargetGroup& b) { return a.id < b.id; });
  for (const program::LoadBalancerListener& l : lb.listeners) {
    const auto group = std::find_if(out.groups.begin(), out.groups.end(),
                                    [&](const LbTargetGroup& g) { return g.id == l.target_group; });
    if (group == out.groups.end()) continue;
    LbListener listener;
    listener.port = l.port;
    listener.protocol = l.protocol == program::ListenerProtocol::tcp   ? LbProtocol::tcp
                        : l.protocol == program::ListenerProtocol::udp ? LbProtocol::udp
                                                                       : LbProtocol::tcp_udp;
    listener.group = uint16_t(group - out.groups.begin());
    out.listeners.push_back(listener);
  }
  return std::pair{std::move(out), slot};
}

// The gateway's subnet network ACL, compiled (none for a gateway without a subnet).
Result<GatewayAcl> compile_gateway_acl(const program::Program& program,
                                       const program::NatGateway& g, const std::string& name) {
  if (g.subnet == 0) return GatewayAcl{};
  const auto subnet = std::find_if(program.subnets.begin(), program.subnets.end(),
                                   [&](const program::Subnet& s) { return s.id == g.subnet; });
  if (subnet == program.subnets.end()) return invalid(name + ": its subnet is not in the program");
  const auto acl =
      std::find_if(program.network_acls.begin(), program.network_acls.end(),
                   [&](const program::NetworkAcl& a) { return a.id == subnet->network_acl; });
  if (acl == program.network_acls.end()) {
    return invalid(name + ": its subnet's network ACL is not in the program");
  }
  return GatewayAcl(subnet->cidr, *acl);
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
    auto acl = compile_gateway_acl(program, g, name);
    if (!acl) return acl.error();
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
    NodeGateway gateway{g.id, g.vpc, g.eni, g.is_public, now, config.addresses};
    if (previous != nullptr) {
      for (size_t i = 0; i < previous->gateways.size(); ++i) {
        if (previous->gateways[i].number == g.id && previous->slots[i] == slot) {
          gateway.joined_at = previous->config.gateways[i].joined_at;
        }
      }
    }
    plan.gateways.push_back(std::move(config));
    plan.config.gateways.push_back(gateway);
    plan.config.acls.push_back(std::move(*acl));
    plan.shards.push_back(std::move(shard));
    plan.names.push_back(name);
    plan.slots.push_back(slot);
  }
  // A private gateway's destinations: its VPC's interface addresses (the compiler sends them
  // only for those VPCs).
  for (const program::Mapping& m : program.mappings) {
    if (m.nat_gateway != 0 || m.load_balancer != 0 || !m.address.is_v4() || !m.underlay.is_v4()) {
      continue;
    }
    plan.config.destinations.push_back(
        NodeDestination{m.vpc, m.address.v4_host_order(), m.underlay.v4_host_order(), m.eni});
  }
  std::sort(plan.config.destinations.begin(), plan.config.destinations.end(),
            [](const auto& a, const auto& b) { return a.key() < b.key(); });
  plan.config.destinations.erase(
      std::unique(plan.config.destinations.begin(), plan.config.destinations.end(),
                  [](const auto& a, const auto& b) { return a.key() == b.key(); }),
      plan.config.destinations.end());
  plan.lb.underlay_v4 = underlay_v4;
  plan.lb.edge_nodes = plan.config.edge_nodes;
  for (const program::LoadBalancer& lb : program.load_balancers) {
    auto compiled = compile_load_balancer(lb, underlay_v4, now, previous);
    if (!compiled) return compiled.error();
    ShardPeers shard;
    shard.gateway_number = lb.id;
    shard.gateway_index = uint16_t(plan.lb.lbs.size());
    for (const packet::IpAddress& node : lb.nodes) {
      const uint32_t v4 = node.is_v4() ? node.v4_host_order() : 0;
      if (v4 != 0 && v4 != underlay_v4) shard.peers.push_back(v4);
    }
    plan.lb_slots.push_back(compiled->second);
    plan.lb.lbs.push_back(std::move(compiled->first));
    plan.lb_numbers.push_back(lb.id);
    plan.lb_shards.push_back(std::move(shard));
    plan.lb_names.push_back(lb.name.empty() ? std::to_string(lb.id) : lb.name);
    for (ProbeTarget& target : HealthProber::targets_of(lb, underlay_v4, plan.lb_slots.back())) {
      plan.probe_targets.push_back(std::move(target));
    }
    for (const program::LoadBalancerTargetGroup& group : lb.target_groups) {
      plan.group_names[group.id] = group.name;
    }
  }
  return plan;
}

}  // namespace openvpc::hyperplane
