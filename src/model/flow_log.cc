// Flow logs: each names the VPC, subnet or interface whose traffic it records, and a file
// path relative to the account's flow-log directory on every host (ROOT/ACCOUNT/ on each router;
// program/flow_log_destination.h says which paths are valid: never absolute, never '..').
#include <algorithm>

#include "model/operations.h"
#include "model/program_numbers.h"
#include "program/flow_log_destination.h"

namespace openvpc::model {

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
  if (auto why = program::destination_error(destination)) {
    return invalid_parameter("LogDestination " + *why +
                             "; it is a file path relative to the account's flow-log directory "
                             "(for example web/flows.log)");
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
    auto count = std::count_if(region.flow_logs.cbegin(), region.flow_logs.cend(),
                               [&](const auto& e) { return e.second.resource_id == resource_id; });
    if (count >= caller.limits.flow_logs_per_resource) {
      return make_error("FlowLogsLimitExceeded",
                        "The maximum number of flow logs has been reached.");
    }
    FlowLog log;
    log.id = caller.ids->resource_id("fl");
    log.owner = caller.account_id;
    log.number = new_program_number(region, *caller.ids);
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
