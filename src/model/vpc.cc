// VPCs: creation with EC2's defaults (main route table with the local route, default network
// ACL allowing everything, default security group), deletion, attributes, secondary CIDRs.
#include <algorithm>

#include "model/cidr.h"
#include "model/operations.h"
#include "model/program_numbers.h"

namespace openvpc::model {

Error invalid_parameter(std::string_view message) {
  return make_error("InvalidParameterValue", std::string(message));
}

Error dependency_violation(std::string_view message) {
  return make_error("DependencyViolation", std::string(message));
}

namespace {

Result<Cidr> vpc_block(std::string_view cidr) {
  auto block = parse_ipv4_block(cidr);
  if (!block) return block.error();
  if (block->prefix_length < 16 || block->prefix_length > 28) {
    return make_error("InvalidVpc.Range",
                      "The CIDR '" + std::string(cidr) +
                          "' is invalid: the prefix length must be between /16 and /28.");
  }
  return block;
}

uint32_t unused_vni(const Region& region, IdSource& ids) {
  for (;;) {
    uint32_t vni = ids.random32() & 0xffffff;
    if (vni == 0) continue;
    bool used = std::any_of(region.vpcs.cbegin(), region.vpcs.cend(),
                            [&](const auto& entry) { return entry.second.vni == vni; });
    if (!used) return vni;
  }
}

NetworkAcl default_network_acl(const Caller& caller, const Vpc& vpc, bool allow_all) {
  NetworkAcl acl{.id = caller.ids->resource_id("acl"),
                 .owner = caller.account_id,
                 .vpc_id = vpc.id,
                 .is_default = allow_all,
                 .entries = {},
                 .associations = {},
                 .tags = {}};
  for (bool egress : {false, true}) {
    if (allow_all) acl.entries.push_back({100, egress, "-1", true, "0.0.0.0/0", -1, -1, -1, -1});
    acl.entries.push_back({32767, egress, "-1", false, "0.0.0.0/0", -1, -1, -1, -1});
  }
  return acl;
}

}  // namespace

// Also used by create_network_acl: a new non-default ACL denies everything.
NetworkAcl make_network_acl(const Caller& caller, const Vpc& vpc, bool is_default) {
  return default_network_acl(caller, vpc, is_default);
}

SecurityGroup make_security_group(const Caller& caller, const std::string& vpc_id,
                                  std::string_view name, std::string_view description) {
  SecurityGroup group{.id = caller.ids->resource_id("sg"),
                      .owner = caller.account_id,
                      .vpc_id = vpc_id,
                      .name = std::string(name),
                      .description = std::string(description),
                      .rules = {},
                      .tags = {}};
  SecurityGroupRule all_outbound;
  all_outbound.id = caller.ids->resource_id("sgr");
  all_outbound.egress = true;
  all_outbound.cidr = "0.0.0.0/0";
  group.rules.push_back(all_outbound);
  return group;
}

Result<std::string> create_vpc(Region& region, const Caller& caller, std::string_view cidr) {
  auto block = vpc_block(cidr);
  if (!block) return block.error();
  auto owned = std::count_if(region.vpcs.cbegin(), region.vpcs.cend(), [&](const auto& entry) {
    return entry.second.owner == caller.account_id;
  });
  if (owned >= caller.limits.vpcs_per_account) {
    return make_error("VpcLimitExceeded", "The maximum number of VPCs has been reached.");
  }
  Vpc vpc;
  vpc.id = caller.ids->resource_id("vpc");
  vpc.owner = caller.account_id;
  vpc.cidr = block->to_string();
  vpc.cidr_associations.push_back({caller.ids->resource_id("vpc-cidr-assoc"), vpc.cidr});
  vpc.vni = unused_vni(region, *caller.ids);
  vpc.dhcp_options_id = default_dhcp_options(region, caller);

  RouteTable main{.id = caller.ids->resource_id("rtb"),
                  .owner = caller.account_id,
                  .vpc_id = vpc.id,
                  .routes = {},
                  .associations = {},
                  .tags = {}};
  main.routes.push_back(Route{vpc.cidr, "local", "", "", "CreateRouteTable"});
  main.associations.push_back({caller.ids->resource_id("rtbassoc"), "", true});
  vpc.main_route_table_id = main.id;

  NetworkAcl acl = default_network_acl(caller, vpc, true);
  vpc.default_network_acl_id = acl.id;

  SecurityGroup group =
      make_security_group(caller, vpc.id, "default", "default VPC security group");
  SecurityGroupRule from_members;
  from_members.id = caller.ids->resource_id("sgr");
  from_members.referenced_group_id = group.id;
  group.rules.push_back(from_members);
  vpc.default_security_group_id = group.id;

  main.number = new_program_number(region, *caller.ids);
  region.route_tables[main.id] = std::move(main);
  acl.number = new_program_number(region, *caller.ids);
  region.network_acls[acl.id] = std::move(acl);
  group.number = new_program_number(region, *caller.ids);
  region.security_groups[group.id] = std::move(group);
  std::string id = vpc.id;
  region.vpcs[id] = std::move(vpc);
  return id;
}

Result<void> delete_vpc(Region& region, const Caller& caller, const std::string& vpc_id) {
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  const Vpc& v = **vpc;
  auto in_vpc = [&](const auto& map, auto&& is_default) {
    return std::any_of(map.begin(), map.end(), [&](const auto& entry) {
      return entry.second.vpc_id == vpc_id && !is_default(entry.second);
    });
  };
  auto never = [](const auto&) { return false; };
  bool busy = in_vpc(region.subnets, never) || in_vpc(region.network_interfaces, never) ||
              in_vpc(region.route_tables,
                     [&](const RouteTable& t) { return t.id == v.main_route_table_id; }) ||
              in_vpc(region.network_acls, [](const NetworkAcl& a) { return a.is_default; }) ||
              in_vpc(region.security_groups,
                     [&](const SecurityGroup& g) { return g.id == v.default_security_group_id; }) ||
              std::any_of(region.internet_gateways.cbegin(), region.internet_gateways.cend(),
                          [&](const auto& e) { return e.second.attached_vpc_id == vpc_id; });
  if (busy) {
    return dependency_violation("The vpc '" + vpc_id + "' has dependencies and cannot be deleted.");
  }
  region.route_tables.erase(v.main_route_table_id);
  region.network_acls.erase(v.default_network_acl_id);
  region.security_groups.erase(v.default_security_group_id);
  erase_if(region.flow_logs, [&](const auto& e) { return e.second.resource_id == vpc_id; });
  region.vpcs.erase(vpc_id);
  return {};
}

Result<void> modify_vpc_attribute(Region& region, const Caller& caller, const std::string& vpc_id,
                                  std::string_view attribute, bool value) {
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  if (attribute == "enableDnsSupport") {
    (*vpc)->enable_dns_support = value;
  } else if (attribute == "enableDnsHostnames") {
    (*vpc)->enable_dns_hostnames = value;
  } else if (attribute == "enableNetworkAddressUsageMetrics") {
    (*vpc)->enable_network_address_usage_metrics = value;
  } else {
    return invalid_parameter("Value (" + std::string(attribute) +
                             ") for parameter attribute is invalid.");
  }
  return {};
}

Result<std::string> associate_vpc_cidr_block(Region& region, const Caller& caller,
                                             const std::string& vpc_id, std::string_view cidr) {
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  auto block = vpc_block(cidr);
  if (!block) return block.error();
  auto& associations = (*vpc)->cidr_associations;
  if (static_cast<int>(associations.size()) >= caller.limits.cidr_blocks_per_vpc) {
    return make_error("CidrLimitExceeded",
                      "This network '" + vpc_id + "' has met its maximum number of allowed CIDRs");
  }
  for (const auto& existing : associations) {
    if (parse_ipv4_block(existing.cidr)->overlaps(*block)) {
      return make_error("InvalidVpc.Range", "The CIDR '" + block->to_string() +
                                                "' overlaps with CIDR '" + existing.cidr + "'.");
    }
  }
  std::string id = caller.ids->resource_id("vpc-cidr-assoc");
  associations.push_back({id, block->to_string()});
  for (auto& [table_id, table] : region.route_tables) {
    if (table.vpc_id != vpc_id) continue;
    table.routes.push_back(Route{block->to_string(), "local", "", "", "CreateRouteTable"});
  }
  return id;
}

}  // namespace openvpc::model
