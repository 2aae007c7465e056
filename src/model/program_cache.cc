#include "model/program_cache.h"

namespace openvpc::model {

namespace {

// Calls changed(old or null, new or null) for every key whose value differs between the maps.
template <typename Map, typename Changed>
void for_each_change(const Map& before, const Map& after, Changed changed) {
  using Value = typename Map::mapped_type;
  const Value* none = nullptr;
  for (const auto& [id, value] : before) {
    auto it = after.find(id);
    if (it == after.end()) {
      changed(&value, none);
    } else if (!(it->second == value)) {
      changed(&value, &it->second);
    }
  }
  for (const auto& [id, value] : after) {
    if (!before.contains(id)) changed(none, &value);
  }
}

// The VPC a VPC, subnet or interface id is in; empty when unknown.
std::string vpc_of_resource(const Region& region, const std::string& id) {
  if (region.vpcs.contains(id)) return id;
  if (auto subnet = region.subnets.find(id); subnet != region.subnets.end()) {
    return subnet->second.vpc_id;
  }
  auto eni = region.network_interfaces.find(id);
  return eni == region.network_interfaces.end() ? std::string() : eni->second.vpc_id;
}

// VPCs whose per-VPC resources differ (see the header's case a).
std::set<std::string> changed_vpcs(const Region& before, const Region& after) {
  std::set<std::string> vpcs;
  auto by_vpc_id = [&](const auto* old_value, const auto* new_value) {
    if (old_value) vpcs.insert(old_value->vpc_id);
    if (new_value) vpcs.insert(new_value->vpc_id);
  };
  for_each_change(before.vpcs, after.vpcs, [&](const Vpc* old_value, const Vpc* new_value) {
    vpcs.insert(old_value ? old_value->id : new_value->id);
  });
  for_each_change(before.subnets, after.subnets, by_vpc_id);
  for_each_change(before.route_tables, after.route_tables, by_vpc_id);
  for_each_change(before.network_acls, after.network_acls, by_vpc_id);
  for_each_change(before.network_interfaces, after.network_interfaces, by_vpc_id);
  for_each_change(before.instances, after.instances, by_vpc_id);
  for_each_change(before.nat_gateways, after.nat_gateways, by_vpc_id);      // states and shards
  for_each_change(before.load_balancers, after.load_balancers, by_vpc_id);  // likewise
  for_each_change(before.internet_gateways, after.internet_gateways,
                  [&](const InternetGateway* old_value, const InternetGateway* new_value) {
                    if (old_value) vpcs.insert(old_value->attached_vpc_id);
                    if (new_value) vpcs.insert(new_value->attached_vpc_id);
                  });
  // An elastic IP changes the mappings of its interface's VPC (before and after a move).
  for_each_change(before.addresses, after.addresses,
                  [&](const ElasticAddress* old_value, const ElasticAddress* new_value) {
                    for (const Region* region : {&before, &after}) {
                      for (const ElasticAddress* address : {old_value, new_value}) {
                        if (address) {
                          vpcs.insert(vpc_of_resource(*region, address->network_interface_id));
                        }
                      }
                    }
                  });
  // A flow log changes the programs of the hosts with ENIs in its resource's VPC.
  for_each_change(before.flow_logs, after.flow_logs,
                  [&](const FlowLog* old_value, const FlowLog* new_value) {
                    for (const Region* region : {&before, &after}) {
                      for (const FlowLog* log : {old_value, new_value}) {
                        if (log) vpcs.insert(vpc_of_resource(*region, log->resource_id));
                      }
                    }
                  });
  vpcs.erase("");
  return vpcs;
}

std::set<std::string> changed_groups(const Region& before, const Region& after) {
  std::set<std::string> groups;
  for_each_change(before.security_groups, after.security_groups,
                  [&](const SecurityGroup* old_value, const SecurityGroup* new_value) {
                    groups.insert(old_value ? old_value->id : new_value->id);
                  });
  // An interface's addresses are members of its groups, which other VPCs' groups may name.
  for_each_change(before.network_interfaces, after.network_interfaces,
                  [&](const NetworkInterface* old_value, const NetworkInterface* new_value) {
                    for (const auto* eni : {old_value, new_value}) {
                      if (eni) groups.insert(eni->group_ids.begin(), eni->group_ids.end());
                    }
                  });
  return groups;
}

std::map<std::string, std::set<std::string>> vpcs_by_host(const Region& region) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [id, eni] : region.network_interfaces) {
    if (!eni.host_id.empty()) out[eni.host_id].insert(eni.vpc_id);
  }
  return out;
}

bool intersects(const std::set<std::string>& a, const std::set<std::string>& b) {
  for (const auto& item : a) {
    if (b.contains(item)) return true;
  }
  return false;
}

}  // namespace

std::set<std::string> affected_hosts(const Region& before, const Region& after,
                                     const HostPrograms& programs, const CompileOptions& options) {
  const auto vpcs = changed_vpcs(before, after);
  const auto groups = changed_groups(before, after);
  const auto vpcs_before = vpcs_by_host(before);
  const auto vpcs_after = vpcs_by_host(after);
  std::set<std::string> affected;
  for (const auto& host : program_hosts(after, options)) {
    if (!programs.contains(host)) affected.insert(host);
  }
  for (const auto& [host, program] : programs) {
    if (is_edge_node(options, host) || is_hyperplane_node(options, host)) {
      // an edge's or hyperplane node's program spans the region: always recompiled
      affected.insert(host);
    } else if (auto it = vpcs_before.find(host);
               it != vpcs_before.end() && intersects(it->second, vpcs)) {
      affected.insert(host);
    } else if (auto it = vpcs_after.find(host);
               it != vpcs_after.end() && intersects(it->second, vpcs)) {
      affected.insert(host);
    } else {
      for (const auto& group : program.security_groups) {
        if (groups.contains(group.name)) affected.insert(host);
      }
    }
  }
  return affected;
}

std::vector<std::string> ProgramCache::set_options(CompileOptions options) {
  if (options == options_) return {};
  options_ = std::move(options);
  if (!region_) return {};
  std::set<std::string> hosts = program_hosts(*region_, options_);
  for (const auto& [host, program] : programs_) hosts.insert(host);
  for (const auto& host : hosts) programs_[host] = compile_host_program(*region_, host, options_);
  return {hosts.begin(), hosts.end()};
}

std::vector<std::string> ProgramCache::update(std::shared_ptr<const Region> next) {
  std::set<std::string> hosts;
  if (region_) {
    hosts = affected_hosts(*region_, *next, programs_, options_);
  } else {
    hosts = program_hosts(*next, options_);
  }
  for (const auto& host : hosts) programs_[host] = compile_host_program(*next, host, options_);
  region_ = std::move(next);
  return {hosts.begin(), hosts.end()};
}

}  // namespace openvpc::model
