#include "dataplane/compiled_program.h"

#include <algorithm>
#include <map>
#include <set>

#include "dataplane/flow_hash.h"

namespace openvpc::dataplane {
namespace {

using program::Direction;

Error invalid(const std::string& message) {
  return make_error("program.invalid", message);
}

IpAddress offset_address(const program::Cidr& cidr, uint32_t offset) {
  IpAddress a = cidr.address;
  uint32_t low = packet::load_be32(&a.bytes[12]) + offset;
  packet::store_be32(&a.bytes[12], low);
  return a;
}

template <typename T>
Result<std::map<uint32_t, size_t>> index_by_id(const std::vector<T>& items, const char* kind) {
  std::map<uint32_t, size_t> index;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!index.emplace(items[i].id, i).second) {
      return invalid(std::string("duplicate ") + kind + " " + std::to_string(items[i].id));
    }
  }
  return index;
}

bool is_everywhere(const program::Cidr& cidr) {
  return cidr.prefix_length == 0;
}

struct Indices {
  std::map<uint32_t, size_t> vpcs, subnets, acls, tables, groups;
};

Result<void> add_group_rules(const program::Program& p, const Indices& ix, const program::Eni& eni,
                             std::map<uint32_t, int32_t>& member_set_of, CompiledProgram& out,
                             LocalEni& local) {
  for (uint32_t group_id : eni.security_groups) {
    auto g = ix.groups.find(group_id);
    if (g == ix.groups.end()) {
      return invalid("eni " + std::to_string(eni.id) + " names unknown security group " +
                     std::to_string(group_id));
    }
    const program::SecurityGroup& group = p.security_groups[g->second];
    for (size_t r = 0; r < group.rules.size(); ++r) {
      const auto& rule = group.rules[r];
      CompiledSecurityGroupRule compiled;
      compiled.traffic = CompiledTraffic::from(rule.traffic);
      compiled.peer = rule.peer;
      compiled.group = group.id;
      compiled.rule_index = uint16_t(r);
      std::string peer_text = rule.peer.to_string();
      if (rule.referenced_group != 0) {
        auto ref = ix.groups.find(rule.referenced_group);
        if (ref == ix.groups.end()) {
          return invalid("security group " + std::to_string(group.id) +
                         " references unknown group " + std::to_string(rule.referenced_group));
        }
        auto [it, added] = member_set_of.emplace(rule.referenced_group, -1);
        if (added) {
          MemberSet members = p.security_groups[ref->second].member_addresses;
          std::sort(members.begin(), members.end());
          it->second = int32_t(out.member_sets.size());
          out.member_sets.push_back(std::move(members));
        }
        compiled.member_set = it->second;
        peer_text = "security-group " + std::to_string(rule.referenced_group);
      } else {
        compiled.peer_everywhere = is_everywhere(rule.peer);
      }
      compiled.description = "security-group " + std::to_string(group.id) + " (" + group.name +
                             ") rule " + std::to_string(r) + ": " +
                             std::string(program::to_string(rule.direction)) + " " +
                             program::to_string(rule.traffic) +
                             (rule.direction == Direction::ingress ? " from " : " to ") + peer_text;
      local.security.add(rule.direction, std::move(compiled));
    }
  }
  local.security.finish();
  return {};
}

Result<void> compile_subnets(const program::Program& p, const Indices& ix, CompiledProgram& out) {
  for (const auto& s : p.subnets) {
    auto acl = ix.acls.find(s.network_acl);
    auto table = ix.tables.find(s.route_table);
    if (!ix.vpcs.count(s.vpc) || acl == ix.acls.end() || table == ix.tables.end()) {
      return invalid("subnet " + std::to_string(s.id) + " names an unknown VPC, ACL or table");
    }
    CompiledSubnet c;
    c.id = s.id;
    c.vpc = s.vpc;
    c.cidr = s.cidr;
    c.prefix = Prefix::from(s.cidr);
    c.network_acl = uint32_t(acl->second);
    c.route_table = uint32_t(table->second);
    c.router_address = offset_address(s.cidr, 1);
    c.dns_address = offset_address(s.cidr, 2);
    out.subnets.push_back(c);
  }
  return {};
}

Result<void> compile_enis(const program::Program& p, const Indices& ix, CompiledProgram& out) {
  std::map<uint32_t, int32_t> member_set_of;
  std::set<uint32_t> seen;
  for (const auto& eni : p.enis) {
    if (!seen.insert(eni.id).second) return invalid("duplicate eni " + std::to_string(eni.id));
    auto subnet = ix.subnets.find(eni.subnet);
    if (subnet == ix.subnets.end()) {
      return invalid("eni " + std::to_string(eni.id) + " names unknown subnet " +
                     std::to_string(eni.subnet));
    }
    LocalEni local;
    local.id = eni.id;
    local.name = eni.name;
    local.subnet = uint32_t(subnet->second);
    local.vpc = out.subnets[subnet->second].vpc;
    local.mac = eni.mac;
    local.addresses = eni.private_addresses;
    local.source_dest_check = eni.source_dest_check;
    if (auto r = add_group_rules(p, ix, eni, member_set_of, out, local); !r) return r.error();
    out.local_enis.push_back(std::move(local));
  }
  return {};
}

Result<void> compile_flow_logs(const program::Program& p, CompiledProgram& out) {
  for (const auto& log : p.flow_logs) {
    if (log.aggregation_seconds == 0) {
      return invalid("flow log " + std::to_string(log.id) + " has no aggregation window");
    }
    for (uint32_t eni : log.enis) {
      const int32_t local = out.find_local_eni(eni);
      if (local < 0) {
        return invalid("flow log " + std::to_string(log.id) + " names unknown eni " +
                       std::to_string(eni));
      }
      uint32_t& window = out.local_enis[size_t(local)].flow_log_window_seconds;
      window = window == 0 ? log.aggregation_seconds : std::min(window, log.aggregation_seconds);
    }
  }
  return {};
}

// NAT gateways: unique ids, a non-zero ENI, IPv4 nodes (0.0.0.0: the slot's node is down), a
// known VPC when a route targets the gateway. A route naming a gateway the program does not
// list is no error: the classifier drops its packets (gateway_unavailable).
Result<void> compile_nat_gateways(const program::Program& p, const Indices& ix,
                                  CompiledProgram& out) {
  if (auto ids = index_by_id(p.nat_gateways, "nat gateway"); !ids) return ids.error();
  std::set<uint32_t> targeted;
  for (const auto& table : p.route_tables) {
    for (const auto& route : table.routes) {
      if (route.target == program::RouteTargetKind::nat_gateway) targeted.insert(route.target_id);
    }
  }
  for (const auto& g : p.nat_gateways) {
    const std::string name = "nat gateway " + std::to_string(g.id);
    if (g.eni == 0) return invalid(name + " has no eni");
    if (targeted.count(g.id) && !ix.vpcs.count(g.vpc)) {
      return invalid(name + " is a route target but names unknown vpc " + std::to_string(g.vpc));
    }
    CompiledNatGateway c{g.id, g.vpc, g.eni, g.is_public, {}};
    for (const auto& node : g.nodes) {
      if (!node.is_v4()) {
        return invalid(name + " node " + program::format_address(node) + " is not IPv4");
      }
      c.nodes_v4.push_back(node.v4_host_order());
    }
    out.nat_gateways.push_back(std::move(c));
  }
  return {};
}

// Network load balancers: unique ids, IPv4 nodes, interfaces with a unique non-zero ENI (an
// interface ENI is no instance's: no mapping may give it an underlay).
Result<void> compile_load_balancers(const program::Program& p, CompiledProgram& out,
                                    std::vector<uint32_t>& interface_enis,
                                    std::vector<uint32_t>& interface_lbs) {
  if (auto ids = index_by_id(p.load_balancers, "load balancer"); !ids) return ids.error();
  std::set<uint32_t> enis;
  for (const auto& lb : p.load_balancers) {
    const std::string name = "load balancer " + std::to_string(lb.id);
    CompiledLoadBalancer c{lb.id, lb.vpc, {}};
    for (const auto& node : lb.nodes) {
      if (!node.is_v4()) {
        return invalid(name + " node " + program::format_address(node) + " is not IPv4");
      }
      c.nodes_v4.push_back(node.v4_host_order());
    }
    for (const auto& i : lb.interfaces) {
      if (i.eni == 0 || !enis.insert(i.eni).second) {
        return invalid(name + " has a zero or duplicate interface eni " + std::to_string(i.eni));
      }
      interface_enis.push_back(i.eni);
      interface_lbs.push_back(uint32_t(out.load_balancers.size()));
    }
    out.load_balancers.push_back(std::move(c));
  }
  return {};
}

}  // namespace

void IdIndex::build(const std::vector<uint32_t>& ids) {
  size_t size = 8;
  while (size < ids.size() * 2) size <<= 1;
  slots_.assign(size, Slot{});
  mask_ = size - 1;
  for (size_t n = 0; n < ids.size(); ++n) {
    size_t i = hash(ids[n]) & mask_;
    while (slots_[i].index >= 0 && slots_[i].id != ids[n]) i = (i + 1) & mask_;
    slots_[i] = Slot{ids[n], int32_t(n)};
  }
}

const CompiledVpc* CompiledProgram::find_vpc(uint32_t vni) const {
  const int32_t i = vpc_index_.find(vni);
  return i < 0 ? nullptr : &vpcs[size_t(i)];
}

const EniLocation* CompiledProgram::find_eni(uint32_t id) const {
  const int32_t i = eni_location_index_.find(id);
  return i < 0 ? nullptr : &eni_locations_[size_t(i)];
}

uint64_t CompiledProgram::mapping_hash(uint32_t vpc, const IpAddress& address) {
  uint64_t words[3];
  std::memcpy(&words[0], address.bytes.data(), 16);
  words[2] = vpc;
  return mix_words(words);
}

const CompiledNatGateway* CompiledProgram::find_nat_gateway(uint32_t id) const {
  const int32_t i = nat_gateway_index_.find(id);
  return i < 0 ? nullptr : &nat_gateways[size_t(i)];
}

const CompiledNatGateway* CompiledProgram::find_nat_gateway_interface(uint32_t eni) const {
  for (const CompiledNatGateway& gateway : nat_gateways) {
    if (gateway.eni == eni) return &gateway;
  }
  return nullptr;
}

bool CompiledProgram::is_nat_gateway_node(const CompiledNatGateway& gateway,
                                          const IpAddress& underlay) {
  if (!underlay.is_v4()) return false;
  const uint32_t v4 = underlay.v4_host_order();
  return v4 != 0 &&
         std::find(gateway.nodes_v4.begin(), gateway.nodes_v4.end(), v4) != gateway.nodes_v4.end();
}

const CompiledLoadBalancer* CompiledProgram::find_load_balancer_interface(uint32_t eni) const {
  const int32_t i = load_balancer_interface_index_.find(eni);
  return i < 0 ? nullptr : &load_balancers[load_balancer_interface_lbs_[size_t(i)]];
}

bool CompiledProgram::is_load_balancer_node(const CompiledLoadBalancer& lb,
                                            const IpAddress& underlay) {
  if (!underlay.is_v4()) return false;
  const uint32_t v4 = underlay.v4_host_order();
  if (v4 == 0) return false;
  return std::find(lb.nodes_v4.begin(), lb.nodes_v4.end(), v4) != lb.nodes_v4.end();
}

bool CompiledProgram::is_fleet_node(uint32_t vni, const IpAddress& underlay) const {
  if (!underlay.is_v4()) return false;
  const uint32_t v4 = underlay.v4_host_order();
  if (v4 == 0) return false;
  for (uint32_t edge : edge_nodes_v4) {
    if (edge == v4) return true;
  }
  return std::binary_search(nat_nodes_.begin(), nat_nodes_.end(), uint64_t{vni} << 32 | v4);
}

const program::Mapping* CompiledProgram::find_mapping(uint32_t vpc,
                                                      const IpAddress& address) const {
  if (mapping_slots_.empty()) return nullptr;
  for (size_t i = mapping_hash(vpc, address) & mapping_mask_;; i = (i + 1) & mapping_mask_) {
    const MappingSlot& slot = mapping_slots_[i];
    if (slot.index < 0) return nullptr;
    if (slot.vpc == vpc && same_address(slot.address, address)) {
      return &mappings[size_t(slot.index)];
    }
  }
}

void CompiledProgram::build_mapping_index() {
  size_t size = 16;
  while (size < mappings.size() * 2) size <<= 1;
  mapping_slots_.assign(size, MappingSlot{});
  mapping_mask_ = size - 1;
  for (size_t n = 0; n < mappings.size(); ++n) {
    const auto& m = mappings[n];
    size_t i = mapping_hash(m.vpc, m.address) & mapping_mask_;
    while (mapping_slots_[i].index >= 0 &&
           !(mapping_slots_[i].vpc == m.vpc && mapping_slots_[i].address == m.address)) {
      i = (i + 1) & mapping_mask_;
    }
    mapping_slots_[i] = MappingSlot{m.vpc, int32_t(n), m.address};
  }
}

bool CompiledProgram::is_local_service(const LocalEni& eni, const IpAddress& destination) const {
  static const IpAddress kResolver = IpAddress::v4(0xa9fea9fd);  // 169.254.169.253
  static const IpAddress kBroadcast = IpAddress::v4(0xffffffff);
  const CompiledSubnet& subnet = subnets[eni.subnet];
  if (same_address(destination, subnet.router_address) ||
      same_address(destination, subnet.dns_address) || same_address(destination, kResolver) ||
      same_address(destination, kBroadcast)) {
    return true;
  }
  const CompiledVpc* vpc = find_vpc(eni.vpc);
  return vpc != nullptr && same_address(destination, vpc->dns_address);
}

Result<std::shared_ptr<const CompiledProgram>> compile(const program::Program& p) {
  auto out = std::make_shared<CompiledProgram>();
  out->generation = p.generation;
  out->host_underlay = p.host_underlay;
  out->host_underlay_v4 = p.host_underlay.v4_host_order();
  out->router_mac = p.router_mac;
  Indices ix;
  auto vpcs = index_by_id(p.vpcs, "vpc");
  auto subnets = index_by_id(p.subnets, "subnet");
  auto acls = index_by_id(p.network_acls, "network acl");
  auto tables = index_by_id(p.route_tables, "route table");
  auto groups = index_by_id(p.security_groups, "security group");
  for (auto* r : {&vpcs, &subnets, &acls, &tables, &groups}) {
    if (!*r) return r->error();
  }
  ix = Indices{*vpcs, *subnets, *acls, *tables, *groups};
  std::vector<uint32_t> ids;
  for (const auto& v : p.vpcs) {
    if (v.id > 0xffffff) return invalid("vpc " + std::to_string(v.id) + " is not a 24-bit VNI");
    CompiledVpc c{v.id, {}};
    if (!v.cidrs.empty()) c.dns_address = offset_address(v.cidrs.front(), 2);
    out->vpcs.push_back(c);
    ids.push_back(v.id);
  }
  out->vpc_index_.build(ids);
  for (const auto& acl : p.network_acls) out->network_acls.emplace_back(acl);
  for (const auto& table : p.route_tables) out->route_tables.emplace_back(table);
  if (auto r = compile_subnets(p, ix, *out); !r) return r.error();
  if (auto r = compile_enis(p, ix, *out); !r) return r.error();

  ids.clear();
  for (const auto& eni : out->local_enis) ids.push_back(eni.id);
  out->local_eni_index_.build(ids);
  if (auto r = compile_flow_logs(p, *out); !r) return r.error();

  if (auto r = compile_nat_gateways(p, ix, *out); !r) return r.error();
  ids.clear();
  for (const auto& g : out->nat_gateways) {
    ids.push_back(g.id);
    for (uint32_t node : g.nodes_v4) {
      if (node != 0) out->nat_nodes_.push_back(uint64_t{g.vpc} << 32 | node);
    }
  }
  out->nat_gateway_index_.build(ids);
  std::sort(out->nat_nodes_.begin(), out->nat_nodes_.end());
  out->nat_nodes_.erase(std::unique(out->nat_nodes_.begin(), out->nat_nodes_.end()),
                        out->nat_nodes_.end());

  {
    std::vector<uint32_t> enis, indexes;
    if (auto r = compile_load_balancers(p, *out, enis, indexes); !r) return r.error();
    out->load_balancer_interface_index_.build(enis);
    // IdIndex maps an id to its position in the list it was built from: translate positions
    // (interfaces) to load balancer indexes.
    out->load_balancer_interface_lbs_ = std::move(indexes);
  }

  // ENI locations: remote ENIs from the mappings (not a NAT gateway's or a load balancer's:
  // its interface lives on no one host, its shard serves it), then this host's own ENIs.
  std::map<uint32_t, EniLocation> locations;
  for (const auto& m : p.mappings) {
    if (m.nat_gateway != 0 || m.load_balancer != 0) continue;
    locations.emplace(m.eni, EniLocation{m.vpc, m.underlay, m.source_dest_check, -1});
  }
  for (size_t i = 0; i < out->local_enis.size(); ++i) {
    const auto& eni = out->local_enis[i];
    locations[eni.id] = EniLocation{eni.vpc, p.host_underlay, eni.source_dest_check, int32_t(i)};
  }
  ids.clear();
  for (const auto& [id, location] : locations) {
    ids.push_back(id);
    out->eni_locations_.push_back(location);
  }
  out->eni_location_index_.build(ids);
  out->mappings = p.mappings;
  out->build_mapping_index();
  for (const auto& edge : p.edge_nodes) {
    if (!edge.is_v4())
      return invalid("edge node " + program::format_address(edge) + " is not IPv4");
    out->edge_nodes_v4.push_back(edge.v4_host_order());
  }
  return std::shared_ptr<const CompiledProgram>(std::move(out));
}

}  // namespace openvpc::dataplane
