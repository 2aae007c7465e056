// Network load balancers in the compiled programs (program_compiler_load_balancers.h).
#include "model/program_compiler_load_balancers.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <tuple>
#include <vector>

#include "model/load_balancer.h"
#include "model/program_numbers.h"

namespace openvpc::model {

namespace {

using program::IpAddress;

bool placed(const LoadBalancer& lb) {
  return lb.state == "active" && !lb.shard.empty();
}

uint32_t vni_of(const Region& region, const std::string& vpc_id) {
  auto vpc = region.vpcs.find(vpc_id);
  return vpc == region.vpcs.end() ? 0 : vpc->second.vni;
}

// The load balancer as routers see it: interfaces and nodes, no listeners or target groups.
program::LoadBalancer outline(const Region& region, const LoadBalancer& lb,
                              const CompileOptions& options) {
  program::LoadBalancer out;
  out.id = lb.number;
  out.name = load_balancer_name(lb);
  out.vpc = vni_of(region, lb.vpc_id);
  out.dns_name = lb.dns_name;
  out.cross_zone = lb.cross_zone;
  for (const auto& address : lb.addresses) {
    auto eni = region.network_interfaces.find(address.network_interface_id);
    auto private_ip = program::parse_address(address.private_ip);
    if (eni == region.network_interfaces.end() || !private_ip) continue;
    program::LoadBalancerInterface interface {
      .eni = eni->second.number, .subnet = program_number_of(region.subnets, address.subnet_id),
      .address = *private_ip, .public_address = std::nullopt
    };
    if (!address.public_ip.empty())
      interface.public_address = program::parse_address(address.public_ip);
    out.interfaces.push_back(interface);
  }
  for (const auto& node : lb.shard) {
    auto it = options.hyperplane_nodes.find(node);
    auto underlay =
        it == options.hyperplane_nodes.end() ? std::nullopt : program::parse_address(it->second);
    out.nodes.push_back(underlay.value_or(IpAddress::v4(0)));
  }
  return out;
}

program::Mapping interface_mapping(const program::LoadBalancer& lb,
                                   const program::LoadBalancerInterface& interface) {
  return program::Mapping{.vpc = lb.vpc,
                          .address = interface.address,
                          .underlay = IpAddress::v4(0),
                          .eni = interface.eni,
                          .source_dest_check = true,
                          .public_address = interface.public_address,
                          .nat_gateway = 0,
                          .load_balancer = lb.id};
}

void sort_load_balancers(program::Program& out) {
  std::sort(out.load_balancers.begin(), out.load_balancers.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
}

program::HealthCheck health_check(const TargetGroup& group) {
  program::HealthCheck out;
  out.enabled = group.health_check_enabled;
  out.protocol = group.health_check_protocol == "HTTP" ? program::HealthCheckProtocol::http
                                                       : program::HealthCheckProtocol::tcp;
  unsigned port = 0;  // "traffic-port" (or anything not a number): the target's own port
  const auto& text = group.health_check_port;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error == std::errc() && end == text.data() + text.size() && port <= 65535) {
    out.port = static_cast<uint16_t>(port);
  }
  if (out.protocol == program::HealthCheckProtocol::http) {
    out.path = group.health_check_path.empty() ? "/" : group.health_check_path;
    out.matcher = group.matcher.empty() ? "200-399" : group.matcher;
  }
  out.interval_seconds = static_cast<uint32_t>(std::max(group.health_check_interval, 1));
  out.timeout_seconds = static_cast<uint32_t>(std::max(group.health_check_timeout, 0));
  out.healthy_threshold = static_cast<uint32_t>(std::max(group.healthy_threshold, 0));
  out.unhealthy_threshold = static_cast<uint32_t>(std::max(group.unhealthy_threshold, 0));
  return out;
}

// The interface of `vpc_id` on a known host that holds `address`, with that host's underlay.
std::optional<std::pair<const NetworkInterface*, IpAddress>> holder(const Region& region,
                                                                    const CompileOptions& options,
                                                                    const std::string& vpc_id,
                                                                    const IpAddress& address) {
  for (const auto& [id, eni] : region.network_interfaces) {
    if (eni.vpc_id != vpc_id || eni.host_id.empty()) continue;
    bool holds = program::parse_address(eni.private_ip) == address;
    for (const auto& secondary : eni.secondary_private_ips) {
      holds = holds || program::parse_address(secondary) == address;
    }
    if (!holds) continue;
    auto underlay = host_underlay(options, eni.host_id);
    if (!underlay) return std::nullopt;
    return std::make_pair(&eni, *underlay);
  }
  return std::nullopt;
}

// A registered (or draining) target where the nodes send its flows; nullopt when it cannot be
// reached yet (an instance not running, an address on no known host).
std::optional<program::LoadBalancerTarget> resolve_target(const Region& region,
                                                          const CompileOptions& options,
                                                          const TargetGroup& group,
                                                          const LoadBalancerTarget& target) {
  if (target.port < 1 || target.port > 65535) return std::nullopt;
  std::optional<IpAddress> address;
  if (group.target_type == "instance") {
    auto instance = region.instances.find(target.id);
    if (instance == region.instances.end() || instance->second.state != "running") {
      return std::nullopt;
    }
    address = program::parse_address(instance->second.private_ip);
  } else {
    address = program::parse_address(target.id);
  }
  if (!address) return std::nullopt;
  auto eni = holder(region, options, group.vpc_id, *address);
  if (!eni) return std::nullopt;
  return program::LoadBalancerTarget{.address = *address,
                                     .port = static_cast<uint16_t>(target.port),
                                     .eni = eni->first->number,
                                     .underlay = eni->second,
                                     .draining = target.draining_until != 0};
}

program::LoadBalancerTargetGroup target_group(const Region& region, const CompileOptions& options,
                                              const TargetGroup& group) {
  program::LoadBalancerTargetGroup out;
  out.id = group.number;
  out.name = group.arn;
  out.health_check = health_check(group);
  out.deregistration_delay_seconds = static_cast<uint32_t>(std::max(group.deregistration_delay, 0));
  out.preserve_client_ip = group.preserve_client_ip;
  out.stickiness = group.stickiness;
  for (const auto& target : group.targets) {
    if (auto resolved = resolve_target(region, options, group, target)) {
      out.targets.push_back(*resolved);
    }
  }
  std::sort(out.targets.begin(), out.targets.end(), [](const auto& a, const auto& b) {
    return std::tie(a.address, a.port) < std::tie(b.address, b.port);
  });
  // The same address and port registered twice (an instance and its address): keep one.
  out.targets.erase(std::unique(out.targets.begin(), out.targets.end(),
                                [](const auto& a, const auto& b) {
                                  return a.address == b.address && a.port == b.port;
                                }),
                    out.targets.end());
  return out;
}

std::optional<program::ListenerProtocol> listener_protocol(const std::string& protocol) {
  if (protocol == "TCP") return program::ListenerProtocol::tcp;
  if (protocol == "UDP") return program::ListenerProtocol::udp;
  if (protocol == "TCP_UDP") return program::ListenerProtocol::tcp_udp;
  return std::nullopt;
}

}  // namespace

void add_router_load_balancers(const Region& region, const std::set<std::string>& vpc_ids,
                               const CompileOptions& options, program::Program& out) {
  for (const auto& [arn, lb] : region.load_balancers) {
    if (!placed(lb) || !vpc_ids.contains(lb.vpc_id)) continue;
    program::LoadBalancer balancer = outline(region, lb, options);
    for (const auto& interface : balancer.interfaces) {
      out.mappings.push_back(interface_mapping(balancer, interface));
    }
    out.load_balancers.push_back(std::move(balancer));
  }
  sort_load_balancers(out);
}

void add_edge_load_balancers(const Region& region, const std::set<std::string>& vpc_ids,
                             const CompileOptions& options, program::Program& out) {
  for (const auto& [arn, lb] : region.load_balancers) {
    if (!placed(lb) || lb.scheme != "internet-facing" || !vpc_ids.contains(lb.vpc_id)) continue;
    program::LoadBalancer balancer = outline(region, lb, options);
    bool bound = false;
    for (const auto& interface : balancer.interfaces) {
      if (!interface.public_address) continue;
      out.mappings.push_back(interface_mapping(balancer, interface));
      bound = true;
    }
    if (bound) out.load_balancers.push_back(std::move(balancer));
  }
  sort_load_balancers(out);
}

void add_node_load_balancers(const Region& region, std::string_view node_id,
                             const CompileOptions& options, program::Program& out) {
  for (const auto& [arn, lb] : region.load_balancers) {
    // Provisioning ones too: the load balancer becomes active once its nodes run it.
    if (std::find(lb.shard.begin(), lb.shard.end(), node_id) == lb.shard.end()) continue;
    program::LoadBalancer balancer = outline(region, lb, options);
    std::set<std::string> groups;
    for (const auto& [listener_arn, listener] : region.listeners) {
      if (listener.load_balancer_arn != arn) continue;
      auto group = region.target_groups.find(listener.target_group_arn);
      auto protocol = listener_protocol(listener.protocol);
      if (group == region.target_groups.end() || !protocol || listener.port < 1 ||
          listener.port > 65535) {
        continue;
      }
      balancer.listeners.push_back({.port = static_cast<uint16_t>(listener.port),
                                    .protocol = *protocol,
                                    .target_group = group->second.number});
      groups.insert(group->first);
    }
    std::sort(balancer.listeners.begin(), balancer.listeners.end(),
              [](const auto& a, const auto& b) {
                return std::tie(a.port, a.protocol) < std::tie(b.port, b.protocol);
              });
    for (const auto& group_arn : groups) {
      balancer.target_groups.push_back(
          target_group(region, options, region.target_groups.at(group_arn)));
    }
    std::sort(balancer.target_groups.begin(), balancer.target_groups.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    out.load_balancers.push_back(std::move(balancer));
  }
  sort_load_balancers(out);
}

}  // namespace openvpc::model
