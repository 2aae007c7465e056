// Flow log actions: CreateFlowLogs, DeleteFlowLogs, DescribeFlowLogs.
//
// LogDestinationType is "file" (or left out): LogDestination is a path relative to the
// account's flow-log directory on every host (program/flow_log_destination.h; the model refuses
// anything else). DeliverLogsStatus is what the routers reported in their Acks
// (ActionContext::flow_log_errors): FAILED with a router's error when any host reports one for
// the flow log, SUCCESS otherwise. The controller never looks at a file system for a tenant.
#include "api/action.h"

namespace openvpc::api {

namespace {

using model::Region;

struct DeliveryStatus {
  std::string status = "SUCCESS";
  std::string error;  // DeliverLogsErrorMessage; empty with SUCCESS
};

DeliveryStatus delivery_status(const FlowLogErrors& errors, const model::FlowLog& log) {
  auto it = errors.find(log.id);
  if (it == errors.end()) return {};
  return {"FAILED", it->second};
}

Result<std::string> create_flow_logs(ActionContext& ctx) {
  auto ids = ctx.params.list("ResourceId");
  auto traffic = ctx.params.get_or("TrafficType", "ALL");
  auto destination = ctx.params.required("LogDestination");
  if (!destination) return destination.error();
  // Only files on the hosts: "file" (the CLI passes any value through), or left out.
  const auto destination_type = ctx.params.get_or("LogDestinationType", "file");
  if (destination_type != "file") {
    return make_error("InvalidParameter",
                      "LogDestinationType " + destination_type +
                          " is not supported; use file (a path in the account's directory)");
  }
  auto interval = ctx.params.integer("MaxAggregationInterval", 1, 100000);
  if (!interval) return interval.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto created = model::create_flow_logs(region, ctx.caller, ids, traffic, *destination,
                                           ctx.params.get_or("LogFormat", ""),
                                           static_cast<int>(interval->value_or(600)));
    if (!created) return created.error();
    for (const auto& id : *created) {
      if (auto tagged = tag_new_resource(ctx, region, id, "vpc-flow-log"); !tagged) {
        return tagged.error();
      }
    }
    out.optional("clientToken", ctx.params.get_or("ClientToken", ""));
    out.open("flowLogIdSet");
    for (const auto& id : *created) out.text("item", id);
    out.close().open("unsuccessful").close();
    return {};
  });
}

Result<std::string> delete_flow_logs(ActionContext& ctx) {
  auto ids = ctx.params.list("FlowLogId");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto deleted = model::delete_flow_logs(region, ctx.caller, ids);
    if (!deleted) return deleted.error();
    out.open("unsuccessful").close();
    return {};
  });
}

Result<std::string> describe_flow_logs(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  const FlowLogErrors errors = ctx.flow_log_errors ? ctx.flow_log_errors() : FlowLogErrors{};
  const auto fields = [&errors](const model::FlowLog& log) {
    FilterFields fields{{"deliver-log-status", {delivery_status(errors, log).status}},
                        {"log-destination-type", {"file"}},
                        {"flow-log-id", {log.id}},
                        {"log-group-name", {}},
                        {"resource-id", {log.resource_id}},
                        {"traffic-type", {log.traffic_type}}};
    add_tag_fields(fields, log.tags);
    return fields;
  };
  const auto render = [&errors](XmlWriter& out, const model::FlowLog& log) {
    const DeliveryStatus delivery = delivery_status(errors, log);
    out.text("creationTime", log.creation_time).text("deliverLogsStatus", delivery.status);
    out.optional("deliverLogsErrorMessage", delivery.error);
    out.text("flowLogId", log.id).text("flowLogStatus", "ACTIVE");
    out.text("resourceId", log.resource_id).text("trafficType", log.traffic_type);
    out.text("logDestinationType", "file").text("logDestination", log.log_destination);
    out.text("logFormat", log.log_format);
    out.number("maxAggregationInterval", log.max_aggregation_interval);
    render_tags(out, log.tags);
  };
  // DescribeFlowLogs names its filter list "Filter" like the others (Filter.N.Name).
  return describe<model::FlowLog>(
      ctx, (*region)->flow_logs,
      {"FlowLogId", "flowLogSet", "InvalidFlowLogId.NotFound", "flow log", fields, render});
}

}  // namespace

void register_flow_log_actions(ActionTable& table) {
  table["CreateFlowLogs"] = create_flow_logs;
  table["DeleteFlowLogs"] = delete_flow_logs;
  table["DescribeFlowLogs"] = describe_flow_logs;
}

}  // namespace openvpc::api
