// Tags on any resource, found by the prefix of its id.
#include <algorithm>
#include <utility>

#include "model/operations.h"
#include "model/region_index.h"

namespace openvpc::model {

namespace {

constexpr size_t kTagsPerResource = 50;

template <typename Map>
Result<Tags*> tags_in(Map& map, const Caller& caller, const std::string& id, const char* code,
                      const char* noun) {
  auto resource = find_owned(map, caller, id, code, noun);
  if (!resource) return resource.error();
  return &(*resource)->tags;
}

}  // namespace

Result<Tags*> find_tags(Region& region, const Caller& caller, const std::string& id) {
  auto starts = [&](std::string_view prefix) { return id.rfind(prefix, 0) == 0; };
  if (starts("vpc-")) return tags_in(region.vpcs, caller, id, "InvalidVpcID.NotFound", "vpc");
  if (starts("subnet-"))
    return tags_in(region.subnets, caller, id, "InvalidSubnetID.NotFound", "subnet");
  if (starts("rtb-"))
    return tags_in(region.route_tables, caller, id, "InvalidRouteTableID.NotFound", "route table");
  if (starts("igw-"))
    return tags_in(region.internet_gateways, caller, id, "InvalidInternetGatewayID.NotFound",
                   "internet gateway");
  if (starts("sg-"))
    return tags_in(region.security_groups, caller, id, "InvalidGroup.NotFound", "security group");
  if (starts("acl-"))
    return tags_in(region.network_acls, caller, id, "InvalidNetworkAclID.NotFound", "network ACL");
  if (starts("eni-"))
    return tags_in(region.network_interfaces, caller, id, "InvalidNetworkInterfaceID.NotFound",
                   "network interface");
  if (starts("i-"))
    return tags_in(region.instances, caller, id, "InvalidInstanceID.NotFound", "instance");
  if (starts("eipalloc-"))
    return tags_in(region.addresses, caller, id, "InvalidAllocationID.NotFound", "allocation");
  if (starts("dopt-"))
    return tags_in(region.dhcp_options, caller, id, "InvalidDhcpOptionID.NotFound", "dhcp options");
  if (starts("nat-"))
    return tags_in(region.nat_gateways, caller, id, "NatGatewayNotFound", "NAT gateway");
  if (starts("sgr-")) {
    // The group holding the rule from the index (region_index.h), not a scan of every group;
    // then write only that group (a non-const walk would copy every chunk of groups this Region
    // shares with the snapshot it was copied from).
    sync_indexes(region);
    const Region& read = region;
    std::string holder;
    for_each_indexed(read, kSecurityGroupRuleKind, "security-group-rule-id", id,
                     [&](std::string_view group_id) { holder = group_id; });
    auto group = read.security_groups.find(holder);
    if (group != read.security_groups.end() && group->second.owner == caller.account_id) {
      const auto& rules = group->second.rules;
      for (size_t i = 0; i < rules.size(); ++i) {
        if (rules[i].id == id) return &region.security_groups.at(holder).rules[i].tags;
      }
    }
    return make_error("InvalidSecurityGroupRuleId.NotFound",
                      "The security group rule ID '" + id + "' does not exist");
  }
  if (starts("fl-"))
    return tags_in(region.flow_logs, caller, id, "InvalidFlowLogId.NotFound", "flow log");
  return make_error("InvalidID", "The ID '" + id + "' is not valid");
}

Result<void> create_tags(Region& region, const Caller& caller, const std::vector<std::string>& ids,
                         const Tags& tags) {
  if (ids.empty()) return make_error("MissingParameter", "The request must contain ResourceId");
  for (const auto& [key, value] : tags) {
    if (key.empty() || key.size() > 128 || value.size() > 256 || key.rfind("aws:", 0) == 0) {
      return invalid_parameter("Tag key '" + key + "' is invalid");
    }
  }
  for (const auto& id : ids) {
    auto target = find_tags(region, caller, id);
    if (!target) return target.error();
    for (const auto& [key, value] : tags) (**target)[key] = value;
    if ((*target)->size() > kTagsPerResource) {
      return make_error("TagLimitExceeded", "The maximum number of tags has been reached.");
    }
  }
  return {};
}

Result<void> delete_tags(Region& region, const Caller& caller, const std::vector<std::string>& ids,
                         const std::map<std::string, std::optional<std::string>>& tags) {
  if (ids.empty()) return make_error("MissingParameter", "The request must contain ResourceId");
  for (const auto& id : ids) {
    auto target = find_tags(region, caller, id);
    if (!target) return target.error();
    if (tags.empty()) {
      (*target)->clear();
      continue;
    }
    for (const auto& [key, value] : tags) {
      auto it = (*target)->find(key);
      if (it != (*target)->end() && (!value || *value == it->second)) (*target)->erase(it);
    }
  }
  return {};
}

}  // namespace openvpc::model
