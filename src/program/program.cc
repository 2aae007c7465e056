#include "program/program.h"

#include <algorithm>
#include <sstream>
#include <tuple>

namespace openvpc::program {
namespace {

std::string protocol_name(int protocol) {
  switch (protocol) {
    case kAllProtocols:
      return "all";
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "icmpv6";
    default:
      return "proto " + std::to_string(protocol);
  }
}

template <typename T, typename Less>
std::vector<T> sorted(std::vector<T> items, Less less) {
  std::stable_sort(items.begin(), items.end(), less);
  return items;
}

auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };

std::string join_addresses(std::vector<IpAddress> addresses) {
  std::sort(addresses.begin(), addresses.end());
  std::string out;
  for (const auto& a : addresses) out += (out.empty() ? "" : ",") + format_address(a);
  return out.empty() ? "-" : out;
}

std::string sg_rule_text(const SecurityGroupRule& rule) {
  std::string peer = rule.referenced_group != 0 ? "sg " + std::to_string(rule.referenced_group)
                                                : rule.peer.to_string();
  return std::string(to_string(rule.direction)) + " " + to_string(rule.traffic) +
         (rule.direction == Direction::ingress ? " from " : " to ") + peer;
}

void dump_route_table(std::ostream& out, const RouteTable& table) {
  out << "route-table " << table.id << " vpc=" << table.vpc << " name=" << table.name << "\n";
  auto routes = sorted(table.routes, [](const Route& a, const Route& b) {
    if (a.destination.mapped_prefix_length() != b.destination.mapped_prefix_length()) {
      return a.destination.mapped_prefix_length() > b.destination.mapped_prefix_length();
    }
    return a.destination.address < b.destination.address;
  });
  for (const auto& r : routes) {
    out << "  route " << r.destination.to_string() << " -> " << to_string(r.target);
    if (r.target_id != 0) out << " " << r.target_id;
    out << "\n";
  }
}

void dump_network_acl(std::ostream& out, const NetworkAcl& acl) {
  out << "network-acl " << acl.id << " vpc=" << acl.vpc << " name=" << acl.name << "\n";
  auto entries = sorted(acl.entries, [](const NetworkAclEntry& a, const NetworkAclEntry& b) {
    if (a.direction != b.direction) return a.direction < b.direction;
    return a.rule_number < b.rule_number;
  });
  for (const auto& e : entries) {
    out << "  " << to_string(e.direction) << " " << e.rule_number << " " << to_string(e.action)
        << " " << to_string(e.traffic) << " " << e.cidr.to_string() << "\n";
  }
  out << "  ingress * deny all\n  egress * deny all\n";
}

void dump_security_group(std::ostream& out, const SecurityGroup& group) {
  out << "security-group " << group.id << " vpc=" << group.vpc << " name=" << group.name
      << " members=" << join_addresses(group.member_addresses) << "\n";
  std::vector<std::string> rules;
  for (const auto& rule : group.rules) rules.push_back(sg_rule_text(rule));
  std::sort(rules.begin(), rules.end());
  for (const auto& rule : rules) out << "  " << rule << "\n";
}

void dump_eni(std::ostream& out, const Eni& eni) {
  auto groups = sorted(eni.security_groups, std::less<>());
  out << "eni " << eni.id << " subnet=" << eni.subnet << " mac=" << format_mac(eni.mac)
      << " addresses=" << join_addresses(eni.private_addresses) << " groups=";
  for (size_t i = 0; i < groups.size(); ++i) out << (i ? "," : "") << groups[i];
  if (groups.empty()) out << "-";
  out << " source-dest-check=" << (eni.source_dest_check ? "on" : "off") << " name=" << eni.name;
  if (!eni.instance_id.empty()) out << " instance=" << eni.instance_id;
  if (!eni.hostname.empty()) out << " hostname=" << eni.hostname;
  out << "\n";
}

void dump_flow_log(std::ostream& out, const FlowLog& log) {
  auto enis = sorted(log.enis, std::less<>());
  out << "flow-log " << log.id << " name=" << log.name << " account=" << log.account_id
      << " traffic=" << to_string(log.traffic) << " window=" << log.aggregation_seconds
      << " destination=" << log.destination << " enis=";
  for (size_t i = 0; i < enis.size(); ++i) out << (i ? "," : "") << enis[i];
  if (enis.empty()) out << "-";
  out << " format=" << (log.format.empty() ? "-" : log.format) << "\n";
}

std::string join_nodes(const std::vector<IpAddress>& nodes) {  // slot order: not sorted
  std::string out;
  for (const auto& n : nodes) out += (out.empty() ? "" : ",") + format_address(n);
  return out.empty() ? "-" : out;
}

void dump_target_group(std::ostream& out, const LoadBalancerTargetGroup& group) {
  const HealthCheck& hc = group.health_check;
  out << "  target-group " << group.id << " " << group.name
      << " health-check=" << (hc.enabled ? "on" : "off") << " " << to_string(hc.protocol)
      << " port=" << (hc.port == 0 ? std::string("traffic-port") : std::to_string(hc.port));
  if (hc.protocol == HealthCheckProtocol::http) {
    out << " path=" << hc.path << " matcher=" << hc.matcher;
  }
  out << " interval=" << hc.interval_seconds << " timeout=" << hc.timeout_seconds
      << " healthy=" << hc.healthy_threshold << " unhealthy=" << hc.unhealthy_threshold
      << " deregistration-delay=" << group.deregistration_delay_seconds
      << " preserve-client-ip=" << (group.preserve_client_ip ? "on" : "off")
      << " stickiness=" << (group.stickiness ? "on" : "off") << "\n";
  auto targets =
      sorted(group.targets, [](const LoadBalancerTarget& a, const LoadBalancerTarget& b) {
        return std::tie(a.address, a.port) < std::tie(b.address, b.port);
      });
  for (const auto& t : targets) {
    out << "    target " << format_address(t.address) << " port=" << t.port << " eni=" << t.eni
        << " underlay=" << format_address(t.underlay) << (t.draining ? " draining" : "") << "\n";
  }
}

void dump_load_balancer(std::ostream& out, const LoadBalancer& lb) {
  out << "load-balancer " << lb.id << " " << lb.name << " vpc=" << lb.vpc
      << " dns=" << (lb.dns_name.empty() ? "-" : lb.dns_name)
      << " cross-zone=" << (lb.cross_zone ? "on" : "off") << " nodes=" << join_nodes(lb.nodes)
      << "\n";
  auto interfaces = sorted(
      lb.interfaces,
      [](const LoadBalancerInterface& a, const LoadBalancerInterface& b) { return a.eni < b.eni; });
  for (const auto& i : interfaces) {
    out << "  interface eni=" << i.eni << " subnet=" << i.subnet
        << " address=" << format_address(i.address);
    if (i.public_address) out << " public=" << format_address(*i.public_address);
    out << "\n";
  }
  auto listeners =
      sorted(lb.listeners, [](const LoadBalancerListener& a, const LoadBalancerListener& b) {
        return std::tie(a.port, a.protocol) < std::tie(b.port, b.protocol);
      });
  for (const auto& l : listeners) {
    out << "  listener " << to_string(l.protocol) << " " << l.port << " -> target-group "
        << l.target_group << "\n";
  }
  for (const auto& g : sorted(lb.target_groups, by_id)) dump_target_group(out, g);
}

}  // namespace

std::string_view to_string(Direction direction) {
  return direction == Direction::ingress ? "ingress" : "egress";
}

std::string_view to_string(RouteTargetKind kind) {
  switch (kind) {
    case RouteTargetKind::local:
      return "local";
    case RouteTargetKind::eni:
      return "eni";
    case RouteTargetKind::internet_gateway:
      return "internet-gateway";
    case RouteTargetKind::nat_gateway:
      return "nat-gateway";
    case RouteTargetKind::peering:
      return "peering";
    case RouteTargetKind::vpn_gateway:
      return "vpn-gateway";
    case RouteTargetKind::blackhole:
      return "blackhole";
  }
  return "?";
}

std::string_view to_string(AclAction action) {
  return action == AclAction::allow ? "allow" : "deny";
}

std::string_view to_string(ListenerProtocol protocol) {
  switch (protocol) {
    case ListenerProtocol::tcp:
      return "TCP";
    case ListenerProtocol::udp:
      return "UDP";
    case ListenerProtocol::tcp_udp:
      return "TCP_UDP";
  }
  return "?";
}

std::string_view to_string(HealthCheckProtocol protocol) {
  return protocol == HealthCheckProtocol::http ? "HTTP" : "TCP";
}

std::string_view to_string(FlowLogTraffic traffic) {
  switch (traffic) {
    case FlowLogTraffic::accept:
      return "ACCEPT";
    case FlowLogTraffic::reject:
      return "REJECT";
    case FlowLogTraffic::all:
      return "ALL";
  }
  return "?";
}

std::string to_string(const TrafficMatch& traffic) {
  std::string text = protocol_name(traffic.protocol);
  if (traffic.protocol == 6 || traffic.protocol == 17) {
    if (!traffic.ports.is_all()) {
      text += " " + std::to_string(traffic.ports.first);
      if (traffic.ports.last != traffic.ports.first) {
        text += "-" + std::to_string(traffic.ports.last);
      }
    }
  } else if (traffic.protocol == 1 || traffic.protocol == 58) {
    if (traffic.icmp_type != kAnyIcmpValue) text += " type " + std::to_string(traffic.icmp_type);
    if (traffic.icmp_code != kAnyIcmpValue) text += " code " + std::to_string(traffic.icmp_code);
  }
  return text;
}

std::string to_text(const Program& program) {
  std::ostringstream out;
  out << "generation " << program.generation << "\n";
  out << "host underlay=" << format_address(program.host_underlay)
      << " router-mac=" << format_mac(program.router_mac);
  if (!program.region.empty()) out << " region=" << program.region;
  out << "\n";
  for (const auto& vpc : sorted(program.vpcs, by_id)) {
    out << "vpc " << vpc.id << " name=" << vpc.name << " cidrs=";
    for (size_t i = 0; i < vpc.cidrs.size(); ++i) {
      out << (i ? "," : "") << vpc.cidrs[i].to_string();
    }
    out << " dns-support=" << (vpc.dns_support ? "on" : "off")
        << " dns-hostnames=" << (vpc.dns_hostnames ? "on" : "off") << "\n";
  }
  for (const auto& s : sorted(program.subnets, by_id)) {
    out << "subnet " << s.id << " vpc=" << s.vpc << " cidr=" << s.cidr.to_string()
        << " network-acl=" << s.network_acl << " route-table=" << s.route_table
        << " name=" << s.name << "\n";
  }
  for (const auto& t : sorted(program.route_tables, by_id)) dump_route_table(out, t);
  for (const auto& a : sorted(program.network_acls, by_id)) dump_network_acl(out, a);
  for (const auto& g : sorted(program.security_groups, by_id)) dump_security_group(out, g);
  for (const auto& e : sorted(program.enis, by_id)) dump_eni(out, e);
  auto mappings = sorted(program.mappings, [](const Mapping& a, const Mapping& b) {
    return std::tie(a.vpc, a.address) < std::tie(b.vpc, b.address);
  });
  for (const auto& m : mappings) {
    out << "mapping vpc=" << m.vpc << " " << format_address(m.address) << " -> "
        << format_address(m.underlay) << " eni=" << m.eni
        << " source-dest-check=" << (m.source_dest_check ? "on" : "off");
    if (m.public_address) out << " public=" << format_address(*m.public_address);
    if (m.nat_gateway != 0) out << " nat-gateway=" << m.nat_gateway;
    if (m.load_balancer != 0) out << " load-balancer=" << m.load_balancer;
    out << "\n";
  }
  for (const auto& log : sorted(program.flow_logs, by_id)) dump_flow_log(out, log);
  for (const auto& edge : program.edge_nodes) out << "edge-node " << format_address(edge) << "\n";
  for (const auto& g : sorted(program.nat_gateways, by_id)) {
    out << "nat-gateway " << g.id << " " << g.name << " vpc=" << g.vpc << " eni=" << g.eni
        << (g.is_public ? " public" : " private") << " addresses=";
    for (size_t i = 0; i < g.addresses.size(); ++i) {
      out << (i ? "," : "") << format_address(g.addresses[i]);
    }
    out << " nodes=";
    for (size_t i = 0; i < g.nodes.size(); ++i) out << (i ? "," : "") << format_address(g.nodes[i]);
    if (g.subnet != 0) out << " subnet=" << g.subnet;
    out << "\n";
  }
  for (const auto& lb : sorted(program.load_balancers, by_id)) dump_load_balancer(out, lb);
  return out.str();
}

}  // namespace openvpc::program
