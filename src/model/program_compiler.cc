#include "model/program_compiler.h"

#include "model/nat_gateway.h"
#include "model/operations.h"
#include "model/program_compiler_flow_logs.h"
#include "model/program_compiler_load_balancers.h"
#include "model/program_numbers.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace openvpc::model {

namespace {

using program::IpAddress;

// Protocol names as the model stores them (SG: "tcp"; NACL: "6") -> IANA number; -1 = all.
int protocol_number(const std::string& protocol) {
  static const std::map<std::string, int> kNames = {{"-1", program::kAllProtocols},
                                                    {"all", program::kAllProtocols},
                                                    {"tcp", 6},
                                                    {"udp", 17},
                                                    {"icmp", 1},
                                                    {"icmpv6", 58}};
  if (auto it = kNames.find(protocol); it != kNames.end()) return it->second;
  int number = program::kAllProtocols;
  std::from_chars(protocol.data(), protocol.data() + protocol.size(), number);
  return number;
}

// ports: TCP/UDP destination range (-1: any); icmp: type and code (-1: any).
program::TrafficMatch traffic_match(const std::string& protocol, int from_port, int to_port,
                                    int icmp_type, int icmp_code) {
  program::TrafficMatch traffic;
  traffic.protocol = protocol_number(protocol);
  if (traffic.protocol == 6 || traffic.protocol == 17) {
    if (from_port >= 0) traffic.ports.first = static_cast<uint16_t>(from_port);
    if (to_port >= 0) traffic.ports.last = static_cast<uint16_t>(to_port);
  } else if (traffic.protocol == 1 || traffic.protocol == 58) {
    traffic.icmp_type = icmp_type < 0 ? program::kAnyIcmpValue : icmp_type;
    traffic.icmp_code = icmp_code < 0 ? program::kAnyIcmpValue : icmp_code;
  }
  return traffic;
}

std::vector<IpAddress> interface_addresses(const NetworkInterface& eni) {
  std::vector<IpAddress> out;
  if (auto primary = program::parse_address(eni.private_ip)) out.push_back(*primary);
  for (const auto& text : eni.secondary_private_ips) {
    if (auto address = program::parse_address(text)) out.push_back(*address);
  }
  return out;
}

program::MacAddress interface_mac(const NetworkInterface& eni) {
  if (auto mac = program::parse_mac(eni.mac_address)) return *mac;
  // The model derives the MAC from the number the same way; this covers a missing one.
  uint32_t n = eni.number;
  return program::MacAddress{
      {0x02, uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n), 0x00}};
}

// The private name EC2 gives an address: 10.0.1.5 -> "ip-10-0-1-5"; empty for IPv6.
std::string private_hostname(const std::vector<IpAddress>& addresses) {
  if (addresses.empty() || !addresses.front().is_v4()) return {};
  std::string name = "ip-" + program::format_address(addresses.front());
  std::replace(name.begin(), name.end(), '.', '-');
  return name;
}

// One host's compilation; each step reads the Region and appends to the program.
class HostCompiler {
 public:
  HostCompiler(const Region& region, std::string_view host_id, const CompileOptions& options)
      : region_(region), host_id_(host_id), options_(options) {}

  program::Program compile() {
    if (auto underlay = host_underlay(options_, host_id_)) program_.host_underlay = *underlay;
    program_.router_mac = options_.router_mac;
    program_.region = options_.region;
    for (const auto& [id, eni] : region_.network_interfaces) {
      if (eni.host_id == host_id_) vpc_ids_.insert(eni.vpc_id);
    }
    add_vpcs_and_subnets();
    add_route_tables();
    add_network_acls();
    add_security_groups();
    add_enis_and_mappings();
    add_host_flow_logs(region_, host_id_, program_);
    add_edge_nodes();
    add_routed_nat_gateways();
    add_private_nat_gateway_addresses();
    add_router_load_balancers(region_, vpc_ids_, options_, program_);
    return std::move(program_);
  }

  // What a hyperplane node needs: the NAT gateways and load balancers placed on it, where the
  // edge is, and each gateway's subnet with its network ACL (the node applies it, as a router
  // does for the subnets of its interfaces). A pending NAT gateway with a shard is in its nodes'
  // programs already: it becomes available only once they have acknowledged one (routers and
  // edges get it then).
  program::Program compile_hyperplane() {
    if (auto it = options_.hyperplane_nodes.find(host_id_); it != options_.hyperplane_nodes.end()) {
      if (auto underlay = program::parse_address(it->second)) program_.host_underlay = *underlay;
    }
    program_.router_mac = options_.router_mac;
    program_.region = options_.region;
    for (const auto& [id, nat] : region_.nat_gateways) {
      if (!nat_gateway_live(nat)) continue;
      if (std::find(nat.shard.begin(), nat.shard.end(), host_id_) == nat.shard.end()) continue;
      program_.nat_gateways.push_back(nat_gateway(nat));
      if (nat.connectivity_type == "private") add_vpc_destinations(nat.vpc_id);
      add_gateway_subnet(nat, program_.nat_gateways.back());
    }
    add_network_acls();
    for (const auto& [id, underlay] : options_.edge_nodes) {
      if (auto address = program::parse_address(underlay)) program_.edge_nodes.push_back(*address);
    }
    std::sort(program_.edge_nodes.begin(), program_.edge_nodes.end());
    sort_nat_gateways();
    add_node_load_balancers(region_, host_id_, options_, program_);
    return std::move(program_);
  }

  // What an edge node needs: the VPCs with an attached internet gateway, and their addresses
  // that have a public address.
  program::Program compile_edge() {
    if (auto underlay = host_underlay_of_edge()) program_.host_underlay = *underlay;
    program_.router_mac = options_.router_mac;
    program_.region = options_.region;
    for (const auto& [id, gateway] : region_.internet_gateways) {
      if (!gateway.attached_vpc_id.empty()) vpc_ids_.insert(gateway.attached_vpc_id);
    }
    for (const auto& vpc_id : vpc_ids_) {
      if (auto vpc = region_.vpcs.find(vpc_id); vpc != region_.vpcs.end()) {
        program::Vpc out;
        out.id = vpc->second.vni;
        out.name = vpc_id;
        program_.vpcs.push_back(std::move(out));
      }
    }
    for (const auto& [id, eni] : region_.network_interfaces) {
      if (!vpc_ids_.contains(eni.vpc_id)) continue;
      for (auto& mapping : mappings_of(eni)) {
        if (mapping.public_address) program_.mappings.push_back(std::move(mapping));
      }
    }
    add_nat_gateway_bindings();
    add_edge_load_balancers(region_, vpc_ids_, options_, program_);
    return std::move(program_);
  }

 private:
  void add_vpcs_and_subnets() {
    for (const auto& vpc_id : vpc_ids_) {
      auto vpc = region_.vpcs.find(vpc_id);
      if (vpc == region_.vpcs.end()) continue;
      program::Vpc out{.id = vpc->second.vni,
                       .name = vpc_id,
                       .cidrs = {},
                       .dns_support = vpc->second.enable_dns_support,
                       .dns_hostnames = vpc->second.enable_dns_hostnames};
      for (const auto& block : vpc->second.cidr_associations) {
        if (auto cidr = program::Cidr::parse(block.cidr)) out.cidrs.push_back(*cidr);
      }
      if (out.cidrs.empty()) {
        if (auto cidr = program::Cidr::parse(vpc->second.cidr)) out.cidrs.push_back(*cidr);
      }
      program_.vpcs.push_back(std::move(out));
    }
    for (const auto& [id, subnet] : region_.subnets) {
      auto vpc = region_.vpcs.find(subnet.vpc_id);
      if (!vpc_ids_.contains(subnet.vpc_id) || vpc == region_.vpcs.end()) continue;
      std::string table_id = vpc->second.main_route_table_id;
      for (const auto& [tid, table] : region_.route_tables) {
        for (const auto& association : table.associations) {
          if (association.subnet_id == id) table_id = tid;
        }
      }
      const std::string acl_id = network_acl_of(id, vpc->second);
      route_table_ids_.insert(table_id);
      network_acl_ids_.insert(acl_id);
      program_.subnets.push_back(
          program::Subnet{.id = subnet.number,
                          .name = id,
                          .vpc = vpc->second.vni,
                          .cidr = program::Cidr::parse(subnet.cidr).value_or(program::Cidr{}),
                          .network_acl = program_number_of(region_.network_acls, acl_id),
                          .route_table = program_number_of(region_.route_tables, table_id)});
    }
  }

  // The network ACL associated with the subnet, else its VPC's default.
  std::string network_acl_of(const std::string& subnet_id, const Vpc& vpc) const {
    std::string acl_id = vpc.default_network_acl_id;
    for (const auto& [aid, acl] : region_.network_acls) {
      for (const auto& association : acl.associations) {
        if (association.subnet_id == subnet_id) acl_id = aid;
      }
    }
    return acl_id;
  }

  // A hyperplane node's copy of a NAT gateway's subnet (once, however many of its gateways are
  // in it; no route table: the node routes nothing) and the ACL add_network_acls() then emits.
  void add_gateway_subnet(const NatGateway& nat, program::NatGateway& gateway) {
    auto subnet = region_.subnets.find(nat.subnet_id);
    if (subnet == region_.subnets.end()) return;
    auto vpc = region_.vpcs.find(subnet->second.vpc_id);
    if (vpc == region_.vpcs.end()) return;
    gateway.subnet = subnet->second.number;
    const bool listed =
        std::any_of(program_.subnets.begin(), program_.subnets.end(),
                    [&](const program::Subnet& s) { return s.id == gateway.subnet; });
    if (listed) return;
    const std::string acl_id = network_acl_of(nat.subnet_id, vpc->second);
    network_acl_ids_.insert(acl_id);
    program_.subnets.push_back(
        program::Subnet{.id = subnet->second.number,
                        .name = nat.subnet_id,
                        .vpc = vpc->second.vni,
                        .cidr = program::Cidr::parse(subnet->second.cidr).value_or(program::Cidr{}),
                        .network_acl = program_number_of(region_.network_acls, acl_id),
                        .route_table = 0});
  }

  uint32_t vni_of(const std::string& vpc_id) const {
    auto vpc = region_.vpcs.find(vpc_id);
    return vpc == region_.vpcs.end() ? 0 : vpc->second.vni;
  }

  program::Route route(const RouteTable& table, const Route& route) const {
    const RouteReach reach = route_reach(region_, table, route);
    return program::Route{
        .destination = program::Cidr::parse(route.destination_cidr).value_or(program::Cidr{}),
        .target = reach.kind,
        .target_id = reach.number};
  }

  void add_route_tables() {
    for (const auto& table_id : route_table_ids_) {
      auto table = region_.route_tables.find(table_id);
      if (table == region_.route_tables.end()) continue;
      program::RouteTable out{.id = table->second.number,
                              .name = table_id,
                              .vpc = vni_of(table->second.vpc_id),
                              .routes = {}};
      for (const auto& r : table->second.routes) out.routes.push_back(route(table->second, r));
      program_.route_tables.push_back(std::move(out));
    }
  }

  void add_network_acls() {
    constexpr int kLastNumberedRule = 32766;  // 32767 is the implicit "*" deny
    for (const auto& acl_id : network_acl_ids_) {
      auto acl = region_.network_acls.find(acl_id);
      if (acl == region_.network_acls.end()) continue;
      program::NetworkAcl out{.id = acl->second.number,
                              .name = acl_id,
                              .vpc = vni_of(acl->second.vpc_id),
                              .entries = {}};
      for (const auto& entry : acl->second.entries) {
        auto cidr = program::Cidr::parse(entry.cidr);
        if (entry.rule_number < 1 || entry.rule_number > kLastNumberedRule || !cidr) continue;
        out.entries.push_back(program::NetworkAclEntry{
            .rule_number = static_cast<uint16_t>(entry.rule_number),
            .direction = entry.egress ? program::Direction::egress : program::Direction::ingress,
            .traffic = traffic_match(entry.protocol, entry.from_port, entry.to_port,
                                     entry.icmp_type, entry.icmp_code),
            .cidr = *cidr,
            .action = entry.allow ? program::AclAction::allow : program::AclAction::deny});
      }
      program_.network_acls.push_back(std::move(out));
    }
  }

  void add_security_groups() {
    std::map<std::string, bool> groups;  // id -> with rules (a local ENI's group)
    for (const auto& [id, eni] : region_.network_interfaces) {
      if (eni.host_id != host_id_) continue;
      for (const auto& group_id : eni.group_ids) groups[group_id] = true;
    }
    for (const auto& [group_id, with_rules] : std::map(groups)) {
      auto group = region_.security_groups.find(group_id);
      if (group == region_.security_groups.end()) continue;
      for (const auto& rule : group->second.rules) {
        if (!rule.referenced_group_id.empty()) groups.emplace(rule.referenced_group_id, false);
      }
    }
    std::map<std::string, std::vector<IpAddress>> members;
    for (const auto& [id, eni] : region_.network_interfaces) {
      for (const auto& group_id : eni.group_ids) {
        if (!groups.contains(group_id)) continue;
        auto addresses = interface_addresses(eni);
        auto& list = members[group_id];
        list.insert(list.end(), addresses.begin(), addresses.end());
      }
    }
    for (const auto& [group_id, with_rules] : groups) {
      auto group = region_.security_groups.find(group_id);
      if (group == region_.security_groups.end()) continue;
      program::SecurityGroup out{.id = group->second.number,
                                 .name = group_id,
                                 .vpc = vni_of(group->second.vpc_id),
                                 .rules = {},
                                 .member_addresses = std::move(members[group_id])};
      std::sort(out.member_addresses.begin(), out.member_addresses.end());
      if (with_rules) {
        for (const auto& rule : group->second.rules) add_group_rule(rule, out);
      }
      program_.security_groups.push_back(std::move(out));
    }
  }

  void add_group_rule(const SecurityGroupRule& rule, program::SecurityGroup& out) const {
    program::SecurityGroupRule r;
    r.direction = rule.egress ? program::Direction::egress : program::Direction::ingress;
    r.traffic =
        traffic_match(rule.protocol, rule.from_port, rule.to_port, rule.from_port, rule.to_port);
    if (!rule.referenced_group_id.empty()) {
      r.referenced_group = program_number_of(region_.security_groups, rule.referenced_group_id);
      if (r.referenced_group == 0) return;
    } else {
      auto peer = program::Cidr::parse(rule.cidr);
      if (!peer) return;
      r.peer = *peer;
    }
    out.rules.push_back(r);
  }

  void add_enis_and_mappings() {
    for (const auto& [id, eni] : region_.network_interfaces) {
      if (!vpc_ids_.contains(eni.vpc_id)) continue;
      auto addresses = interface_addresses(eni);
      if (eni.host_id == host_id_) {
        program::Eni out{.id = eni.number,
                         .name = id,
                         .subnet = program_number_of(region_.subnets, eni.subnet_id),
                         .mac = interface_mac(eni),
                         .private_addresses = addresses,
                         .security_groups = {},
                         .source_dest_check = eni.source_dest_check,
                         .instance_id = local_instance(eni),
                         .hostname = private_hostname(addresses)};
        for (const auto& group_id : eni.group_ids) {
          if (uint32_t number = program_number_of(region_.security_groups, group_id)) {
            out.security_groups.push_back(number);
          }
        }
        std::sort(out.security_groups.begin(), out.security_groups.end());
        program_.enis.push_back(std::move(out));
      }
      for (auto& mapping : mappings_of(eni)) program_.mappings.push_back(std::move(mapping));
    }
  }

  // One mapping per private address of the interface; none when it lives on no known host.
  std::vector<program::Mapping> mappings_of(const NetworkInterface& eni) const {
    std::vector<program::Mapping> out;
    if (eni.host_id.empty()) return out;
    auto underlay = host_underlay(options_, eni.host_id);
    if (!underlay) return out;
    for (const auto& text : all_private_ips(eni)) {
      auto address = program::parse_address(text);
      if (!address) continue;
      program::Mapping mapping{.vpc = vni_of(eni.vpc_id),
                               .address = *address,
                               .underlay = *underlay,
                               .eni = eni.number,
                               .source_dest_check = eni.source_dest_check};
      if (auto public_address = public_address_of(region_, eni, text)) {
        mapping.public_address = program::parse_address(public_address->public_ip);
      }
      out.push_back(std::move(mapping));
    }
    return out;
  }

  static std::vector<std::string> all_private_ips(const NetworkInterface& eni) {
    std::vector<std::string> out{eni.private_ip};
    out.insert(out.end(), eni.secondary_private_ips.begin(), eni.secondary_private_ips.end());
    return out;
  }

  // A NAT gateway as hosts see it: its shard's node addresses by slot, 0.0.0.0 where the
  // slot's node is not live.
  program::NatGateway nat_gateway(const NatGateway& nat) const {
    program::NatGateway out{.id = nat.number,
                            .name = nat.id,
                            .vpc = vni_of(nat.vpc_id),
                            .eni = 0,
                            .is_public = nat.connectivity_type != "private",
                            .addresses = {},
                            .nodes = {}};
    if (auto eni = region_.network_interfaces.find(nat.network_interface_id);
        eni != region_.network_interfaces.end()) {
      out.eni = eni->second.number;
    }
    for (const auto& address : nat.addresses) {
      if (auto parsed = program::parse_address(address.private_ip)) {
        out.addresses.push_back(*parsed);
      }
    }
    for (const auto& node : nat.shard) {
      auto it = options_.hyperplane_nodes.find(node);
      auto underlay =
          it == options_.hyperplane_nodes.end() ? std::nullopt : program::parse_address(it->second);
      out.nodes.push_back(underlay.value_or(program::IpAddress::v4(0)));
    }
    return out;
  }

  void sort_nat_gateways() {
    std::sort(program_.nat_gateways.begin(), program_.nat_gateways.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
  }

  // The NAT gateways the program's route tables send to (routes to them are programmed only
  // while they are available, route_reach()).
  void add_routed_nat_gateways() {
    std::set<uint32_t> numbers;
    for (const auto& table : program_.route_tables) {
      for (const auto& route : table.routes) {
        if (route.target == program::RouteTargetKind::nat_gateway) numbers.insert(route.target_id);
      }
    }
    for (const auto& [id, nat] : region_.nat_gateways) {
      if (numbers.contains(nat.number) && nat.state == "available") {
        program_.nat_gateways.push_back(nat_gateway(nat));
      }
    }
    sort_nat_gateways();
  }

  // The addresses of the private NAT gateways of this host's VPCs (Mapping::nat_gateway, no
  // underlay: the shard serves them), and those gateways: a destination's replies to a flow a
  // private gateway translated go to the node owning the port (Classifier::to_nat_address).
  void add_private_nat_gateway_addresses() {
    for (const auto& [id, nat] : region_.nat_gateways) {
      if (nat.state != "available" || nat.connectivity_type != "private" ||
          !vpc_ids_.contains(nat.vpc_id)) {
        continue;
      }
      auto gateway = nat_gateway(nat);
      for (const auto& address : gateway.addresses) {
        program_.mappings.push_back(program::Mapping{.vpc = gateway.vpc,
                                                     .address = address,
                                                     .underlay = program::IpAddress::v4(0),
                                                     .eni = gateway.eni,
                                                     .source_dest_check = true,
                                                     .nat_gateway = gateway.id});
      }
      const bool listed = std::any_of(program_.nat_gateways.begin(), program_.nat_gateways.end(),
                                      [&](const auto& g) { return g.id == gateway.id; });
      if (!listed) program_.nat_gateways.push_back(std::move(gateway));
    }
    sort_nat_gateways();
  }

  // A node's private NAT gateway sends what it translated straight to the destination's host
  // (its subnet's local route): the node gets its VPC's interface addresses, once per VPC.
  void add_vpc_destinations(const std::string& vpc_id) {
    if (!vpc_ids_.insert(vpc_id).second) return;
    for (const auto& [id, eni] : region_.network_interfaces) {
      if (eni.vpc_id != vpc_id) continue;
      for (auto& mapping : mappings_of(eni)) program_.mappings.push_back(std::move(mapping));
    }
  }

  // An edge's bindings for the public NAT gateways of its VPCs: each address with an elastic
  // IP, served by the gateway's shard (Mapping::nat_gateway).
  void add_nat_gateway_bindings() {
    for (const auto& [id, nat] : region_.nat_gateways) {
      if (nat.state != "available" || !vpc_ids_.contains(nat.vpc_id)) continue;
      auto gateway = nat_gateway(nat);
      bool bound = false;
      for (const auto& address : nat.addresses) {
        auto private_ip = program::parse_address(address.private_ip);
        auto public_ip = program::parse_address(address.public_ip);
        if (!private_ip || !public_ip) continue;
        program_.mappings.push_back(program::Mapping{.vpc = gateway.vpc,
                                                     .address = *private_ip,
                                                     .underlay = program::IpAddress::v4(0),
                                                     .eni = gateway.eni,
                                                     .source_dest_check = true,
                                                     .public_address = *public_ip,
                                                     .nat_gateway = gateway.id});
        bound = true;
      }
      if (bound) program_.nat_gateways.push_back(std::move(gateway));
    }
    sort_nat_gateways();
  }

  // The live edge nodes, for programs in which a VPC has an attached internet gateway.
  void add_edge_nodes() {
    const bool needed =
        std::any_of(region_.internet_gateways.begin(), region_.internet_gateways.end(),
                    [&](const auto& e) { return vpc_ids_.contains(e.second.attached_vpc_id); });
    if (!needed) return;
    for (const auto& [id, underlay] : options_.edge_nodes) {
      if (auto address = program::parse_address(underlay)) program_.edge_nodes.push_back(*address);
    }
    std::sort(program_.edge_nodes.begin(), program_.edge_nodes.end());
  }

  std::optional<program::IpAddress> host_underlay_of_edge() const {
    auto it = options_.edge_nodes.find(host_id_);
    return it == options_.edge_nodes.end() ? std::nullopt : program::parse_address(it->second);
  }

  // The running instance on this host the interface is attached to; empty when none.
  std::string local_instance(const NetworkInterface& eni) const {
    if (!eni.attached || eni.attachment.instance_id.empty()) return {};
    auto instance = region_.instances.find(eni.attachment.instance_id);
    if (instance == region_.instances.end() || instance->second.state != "running" ||
        instance->second.host_id != host_id_) {
      return {};
    }
    return instance->first;
  }

  const Region& region_;
  const std::string host_id_;
  const CompileOptions& options_;
  std::set<std::string> vpc_ids_, route_table_ids_, network_acl_ids_;
  program::Program program_;
};

}  // namespace

std::optional<program::IpAddress> host_underlay(const CompileOptions& options,
                                                std::string_view host_id) {
  if (auto it = options.host_underlays.find(std::string(host_id));
      it != options.host_underlays.end()) {
    return program::parse_address(it->second);
  }
  return program::parse_address(host_id);
}

std::set<std::string> program_hosts(const Region& region, const CompileOptions& options) {
  std::set<std::string> hosts;
  for (const auto& [id, underlay] : options.host_underlays) hosts.insert(id);
  for (const auto& [id, underlay] : options.edge_nodes) hosts.insert(id);
  for (const auto& [id, underlay] : options.hyperplane_nodes) hosts.insert(id);
  for (const auto& [id, eni] : region.network_interfaces) {
    if (!eni.host_id.empty()) hosts.insert(eni.host_id);
  }
  return hosts;
}

program::Program compile_host_program(const Region& region, std::string_view host_id,
                                      const CompileOptions& options) {
  if (is_edge_node(options, host_id)) return HostCompiler(region, host_id, options).compile_edge();
  if (is_hyperplane_node(options, host_id)) {
    return HostCompiler(region, host_id, options).compile_hyperplane();
  }
  return HostCompiler(region, host_id, options).compile();
}

bool is_edge_node(const CompileOptions& options, std::string_view host_id) {
  return options.edge_nodes.contains(std::string(host_id));
}

bool is_hyperplane_node(const CompileOptions& options, std::string_view host_id) {
  return options.hyperplane_nodes.contains(std::string(host_id));
}

std::optional<program::Mapping> lookup_mapping(const Region& region, const CompileOptions& options,
                                               uint32_t vni, const program::IpAddress& address) {
  for (const auto& [id, eni] : region.network_interfaces) {
    auto vpc = region.vpcs.find(eni.vpc_id);
    if (vpc == region.vpcs.end() || vpc->second.vni != vni || eni.host_id.empty()) continue;
    auto addresses = interface_addresses(eni);
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) continue;
    auto underlay = host_underlay(options, eni.host_id);
    if (!underlay) return std::nullopt;
    program::Mapping mapping{.vpc = vni,
                             .address = address,
                             .underlay = *underlay,
                             .eni = eni.number,
                             .source_dest_check = eni.source_dest_check};
    if (auto public_address = public_address_of(region, eni, program::format_address(address))) {
      mapping.public_address = program::parse_address(public_address->public_ip);
    }
    return mapping;
  }
  return std::nullopt;
}

}  // namespace openvpc::model
