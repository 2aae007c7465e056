// Tags on any resource, found by the prefix of its id; and flow logs, which name the VPC,
// subnet or interface whose traffic they record and a file path on the host.
#include <algorithm>

#include "model/operations.h"

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

namespace {

// A LogFormat is "${field} ${field} ...": field names are lower-case letters, digits and '-'.
// Whether a name is a known field is the router's business (a delivery error there).
bool log_format_syntax_ok(std::string_view format) {
  size_t at = 0;
  while ((at = format.find_first_not_of(' ', at)) != std::string_view::npos) {
    size_t end = std::min(format.find(' ', at), format.size());
    const std::string_view token = format.substr(at, end - at);
    at = end;
    if (token.size() < 4 || !token.starts_with("${") || !token.ends_with('}')) return false;
    for (char c : token.substr(2, token.size() - 3)) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<std::string>> create_flow_logs(Region& region, const Caller& caller,
                                                  const std::vector<std::string>& resource_ids,
                                                  std::string_view traffic_type,
                                                  std::string_view destination,
                                                  std::string_view log_format,
                                                  int max_aggregation_interval) {
  if (resource_ids.empty())
    return make_error("MissingParameter", "The request must contain ResourceId");
  if (traffic_type != "ACCEPT" && traffic_type != "REJECT" && traffic_type != "ALL") {
    return invalid_parameter("Value (" + std::string(traffic_type) +
                             ") for parameter TrafficType is invalid.");
  }
  if (destination.empty() || destination.front() != '/') {
    return invalid_parameter("LogDestination must be an absolute file path on the host");
  }
  if (max_aggregation_interval != 60 && max_aggregation_interval != 600) {
    return invalid_parameter("MaxAggregationInterval must be 60 or 600");
  }
  if (!log_format_syntax_ok(log_format)) {
    return invalid_parameter("LogFormat must be fields written ${field} separated by spaces");
  }
  std::vector<std::string> ids;
  for (const auto& resource_id : resource_ids) {
    bool known = resource_id.rfind("vpc-", 0) == 0 || resource_id.rfind("subnet-", 0) == 0 ||
                 resource_id.rfind("eni-", 0) == 0;
    if (!known) return invalid_parameter("Flow logs take VPC, subnet or interface ids");
    auto tags = find_tags(region, caller, resource_id);  // existence and ownership
    if (!tags) return tags.error();
    auto count = std::count_if(region.flow_logs.begin(), region.flow_logs.end(),
                               [&](const auto& e) { return e.second.resource_id == resource_id; });
    if (count >= caller.limits.flow_logs_per_resource) {
      return make_error("FlowLogsLimitExceeded",
                        "The maximum number of flow logs has been reached.");
    }
    FlowLog log;
    log.id = caller.ids->resource_id("fl");
    log.owner = caller.account_id;
    log.resource_id = resource_id;
    log.traffic_type = std::string(traffic_type);
    log.log_destination = std::string(destination);
    log.log_format = log_format.empty()
                         ? "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} "
                           "${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} "
                           "${action} ${log-status}"
                         : std::string(log_format);
    log.max_aggregation_interval = max_aggregation_interval;
    log.creation_time = iso8601(caller.now);
    ids.push_back(log.id);
    region.flow_logs[log.id] = std::move(log);
  }
  return ids;
}

Result<void> delete_flow_logs(Region& region, const Caller& caller,
                              const std::vector<std::string>& ids) {
  if (ids.empty()) return make_error("MissingParameter", "The request must contain FlowLogId");
  for (const auto& id : ids) {
    auto log = find_owned(region.flow_logs, caller, id, "InvalidFlowLogId.NotFound", "flow log");
    if (!log) return log.error();
  }
  for (const auto& id : ids) region.flow_logs.erase(id);
  return {};
}

}  // namespace openvpc::model
