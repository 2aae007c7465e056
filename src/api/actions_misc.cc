// DHCP options and tag actions: Create/Associate/Delete/DescribeDhcpOptions,
// Create/Delete/DescribeTags (flow logs: actions_flow_log.cc).
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
  collect_tags(tags, r.nat_gateways, "natgateway");
  for (const auto& [group_id, group] : r.security_groups) {
    for (const auto& rule : group.rules) {
      for (const auto& [key, value] : rule.tags) {
        tags[rule.id + "|" + key] =
            TagView{group.owner, rule.id, "security-group-rule", key, value, {}};
      }
    }
  }
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
}

}  // namespace openvpc::api
