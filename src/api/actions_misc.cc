// DHCP options, tag and flow log actions: Create/Associate/Delete/DescribeDhcpOptions,
// Create/Delete/DescribeTags, Create/Delete/DescribeFlowLogs.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "api/action.h"

namespace openvpc::api {

namespace {

using model::Region;

FilterFields dhcp_fields(const model::DhcpOptions& options) {
  FilterFields fields{
      {"dhcp-options-id", {options.id}}, {"key", {}}, {"value", {}}, {"owner-id", {options.owner}}};
  for (const auto& [key, values] : options.configurations) {
    fields["key"].push_back(key);
    for (const auto& value : values) fields["value"].push_back(value);
  }
  add_tag_fields(fields, options.tags);
  return fields;
}

void render_dhcp(XmlWriter& out, const model::DhcpOptions& options) {
  out.text("dhcpOptionsId", options.id).text("ownerId", options.owner);
  out.open("dhcpConfigurationSet");
  for (const auto& [key, values] : options.configurations) {
    out.open("item").text("key", key).open("valueSet");
    for (const auto& value : values) out.open("item").text("value", value).close();
    out.close().close();
  }
  out.close();
  render_tags(out, options.tags);
}

Result<std::string> create_dhcp(ActionContext& ctx) {
  std::map<std::string, std::vector<std::string>> configurations;
  int n = ctx.params.count("DhcpConfiguration");
  for (int i = 1; i <= n; ++i) {
    std::string prefix = "DhcpConfiguration." + std::to_string(i);
    auto key = ctx.params.required(prefix + ".Key");
    if (!key) return key.error();
    configurations[*key] = ctx.params.list(prefix + ".Value");
  }
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::create_dhcp_options(region, ctx.caller, configurations);
    if (!id) return id.error();
    if (auto tagged = tag_new_resource(ctx, region, *id, "dhcp-options"); !tagged) {
      return tagged.error();
    }
    out.open("dhcpOptions");
    render_dhcp(out, region.dhcp_options.at(*id));
    out.close();
    return {};
  });
}

Result<std::string> describe_dhcp(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  return describe<model::DhcpOptions>(
      ctx, (*region)->dhcp_options,
      {"DhcpOptionsId", "dhcpOptionsSet", "InvalidDhcpOptionID.NotFound", "dhcp options",
       dhcp_fields, render_dhcp});
}

// One tag of one resource, as DescribeTags lists it.
struct TagView {
  std::string owner, resource_id, resource_type, key, value;
  model::Tags tags;
};

template <typename Map>
void collect_tags(std::map<std::string, TagView>& out, const Map& map, const char* type) {
  for (const auto& [id, resource] : map) {
    for (const auto& [key, value] : resource.tags) {
      out[id + "|" + key] = TagView{resource.owner, id, type, key, value, {}};
    }
  }
}

Result<std::string> describe_tags(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  const Region& r = **region;
  std::map<std::string, TagView> tags;
  collect_tags(tags, r.vpcs, "vpc");
  collect_tags(tags, r.subnets, "subnet");
  collect_tags(tags, r.route_tables, "route-table");
  collect_tags(tags, r.internet_gateways, "internet-gateway");
  collect_tags(tags, r.security_groups, "security-group");
  collect_tags(tags, r.network_acls, "network-acl");
  collect_tags(tags, r.network_interfaces, "network-interface");
  collect_tags(tags, r.instances, "instance");
  collect_tags(tags, r.addresses, "elastic-ip");
  collect_tags(tags, r.dhcp_options, "dhcp-options");
  collect_tags(tags, r.flow_logs, "vpc-flow-log");
  return describe<TagView>(
      ctx, tags,
      {"", "tagSet", "InvalidID", "resource",
       [](const TagView& t) {
         return FilterFields{{"key", {t.key}},
                             {"value", {t.value}},
                             {"resource-id", {t.resource_id}},
                             {"resource-type", {t.resource_type}}};
       },
       [](XmlWriter& out, const TagView& t) {
         out.text("resourceId", t.resource_id).text("resourceType", t.resource_type);
         out.text("key", t.key).text("value", t.value);
       }});
}

Result<void> change_tags(ActionContext& ctx, Region& region, bool create) {
  auto ids = ctx.params.list("ResourceId");
  if (create) return model::create_tags(region, ctx.caller, ids, ctx.params.tags("Tag"));
  std::map<std::string, std::optional<std::string>> tags;
  int n = ctx.params.count("Tag");
  for (int i = 1; i <= n; ++i) {
    std::string prefix = "Tag." + std::to_string(i);
    auto key = ctx.params.get(prefix + ".Key");
    if (key) tags[*key] = ctx.params.get(prefix + ".Value");
  }
  return model::delete_tags(region, ctx.caller, ids, tags);
}

// DeliverLogsStatus as the controller sees it: the destination's directory must exist and be
// writable (and the file, when it exists, a writable regular file). The controller and the
// routers share a file system on one machine; routers count their own write errors
// (counters.json, flow_logs).
struct DeliveryStatus {
  std::string status = "SUCCESS";
  std::string error;  // DeliverLogsErrorMessage; empty with SUCCESS
};

DeliveryStatus delivery_status(const std::string& destination) {
  const size_t slash = destination.rfind('/');
  const std::string directory = slash == 0 ? "/" : destination.substr(0, slash);
  const auto failed = [](const std::string& path, int error) {
    return DeliveryStatus{"FAILED", "Access error: " + path + ": " + std::strerror(error)};
  };
  struct stat st {};
  if (::stat(directory.c_str(), &st) != 0) return failed(directory, errno);
  if (!S_ISDIR(st.st_mode)) return failed(directory, ENOTDIR);
  if (::access(directory.c_str(), W_OK | X_OK) != 0) return failed(directory, errno);
  if (::stat(destination.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) return failed(destination, EISDIR);
    if (::access(destination.c_str(), W_OK) != 0) return failed(destination, errno);
  }
  return {};
}

FilterFields flow_log_fields(const model::FlowLog& log) {
  FilterFields fields{{"deliver-log-status", {delivery_status(log.log_destination).status}},
                      {"log-destination-type", {"file"}},
                      {"flow-log-id", {log.id}},
                      {"log-group-name", {}},
                      {"resource-id", {log.resource_id}},
                      {"traffic-type", {log.traffic_type}}};
  add_tag_fields(fields, log.tags);
  return fields;
}

void render_flow_log(XmlWriter& out, const model::FlowLog& log) {
  const DeliveryStatus delivery = delivery_status(log.log_destination);
  out.text("creationTime", log.creation_time).text("deliverLogsStatus", delivery.status);
  out.optional("deliverLogsErrorMessage", delivery.error);
  out.text("flowLogId", log.id).text("flowLogStatus", "ACTIVE");
  out.text("resourceId", log.resource_id).text("trafficType", log.traffic_type);
  out.text("logDestinationType", "file").text("logDestination", log.log_destination);
  out.text("logFormat", log.log_format);
  out.number("maxAggregationInterval", log.max_aggregation_interval);
  render_tags(out, log.tags);
}

Result<std::string> create_flow_logs(ActionContext& ctx) {
  auto ids = ctx.params.list("ResourceId");
  auto traffic = ctx.params.get_or("TrafficType", "ALL");
  auto destination = ctx.params.required("LogDestination");
  if (!destination) return destination.error();
  // Only files on the hosts: "file" (the CLI passes any value through), or left out.
  const auto destination_type = ctx.params.get_or("LogDestinationType", "file");
  if (destination_type != "file") {
    return make_error("InvalidParameter", "LogDestinationType " + destination_type +
                                              " is not supported; use file (a path on the host)");
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
  // DescribeFlowLogs names its filter list "Filter" like the others (Filter.N.Name).
  return describe<model::FlowLog>(ctx, (*region)->flow_logs,
                                  {"FlowLogId", "flowLogSet", "InvalidFlowLogId.NotFound",
                                   "flow log", flow_log_fields, render_flow_log});
}

}  // namespace

void register_misc_actions(ActionTable& table) {
  table["CreateDhcpOptions"] = create_dhcp;
  table["DescribeDhcpOptions"] = describe_dhcp;
  table["AssociateDhcpOptions"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto id = ctx.params.required("DhcpOptionsId");
        if (!id) return id.error();
        auto vpc = ctx.params.required("VpcId");
        if (!vpc) return vpc.error();
        return model::associate_dhcp_options(region, ctx.caller, *id, *vpc);
      });
  table["DeleteDhcpOptions"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto id = ctx.params.required("DhcpOptionsId");
        if (!id) return id.error();
        return model::delete_dhcp_options(region, ctx.caller, *id);
      });
  table["CreateTags"] = returning_true(
      [](ActionContext& ctx, Region& region) { return change_tags(ctx, region, true); });
  table["DeleteTags"] = returning_true(
      [](ActionContext& ctx, Region& region) { return change_tags(ctx, region, false); });
  table["DescribeTags"] = describe_tags;
  table["CreateFlowLogs"] = create_flow_logs;
  table["DeleteFlowLogs"] = delete_flow_logs;
  table["DescribeFlowLogs"] = describe_flow_logs;
}

}  // namespace openvpc::api
