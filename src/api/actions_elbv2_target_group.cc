// ELBv2 actions on target groups: CreateTargetGroup, DescribeTargetGroups, ModifyTargetGroup,
// DeleteTargetGroup,
// RegisterTargets, DeregisterTargets, DescribeTargetHealth and
// Describe/ModifyTargetGroupAttributes (model in model/load_balancer.h).
#include <algorithm>
#include <utility>

#include "api/elbv2.h"
#include "model/load_balancer.h"

namespace openvpc::api {

namespace {

using model::Region;

Error validation(std::string message) {
  return make_error("ValidationError", std::move(message));
}

// The load balancers whose listeners forward to the group.
std::vector<std::string> load_balancers_of(const Region& region, const std::string& group_arn) {
  std::vector<std::string> arns;
  for (const auto& [arn, listener] : std::as_const(region.listeners)) {
    if (listener.target_group_arn == group_arn &&
        std::find(arns.begin(), arns.end(), listener.load_balancer_arn) == arns.end()) {
      arns.push_back(listener.load_balancer_arn);
    }
  }
  return arns;
}

void render_target_group(XmlWriter& out, const Region& region, const model::TargetGroup& tg) {
  out.open("member");
  out.text("TargetGroupArn", tg.arn).text("TargetGroupName", tg.name);
  out.text("Protocol", tg.protocol).number("Port", tg.port).text("VpcId", tg.vpc_id);
  out.text("HealthCheckProtocol", tg.health_check_protocol);
  out.text("HealthCheckPort", tg.health_check_port);
  out.boolean("HealthCheckEnabled", tg.health_check_enabled);
  out.number("HealthCheckIntervalSeconds", tg.health_check_interval);
  out.number("HealthCheckTimeoutSeconds", tg.health_check_timeout);
  out.number("HealthyThresholdCount", tg.healthy_threshold);
  out.number("UnhealthyThresholdCount", tg.unhealthy_threshold);
  out.optional("HealthCheckPath", tg.health_check_path);
  if (!tg.matcher.empty()) out.open("Matcher").text("HttpCode", tg.matcher).close();
  out.open("LoadBalancerArns");
  for (const auto& arn : load_balancers_of(region, tg.arn)) out.text("member", arn);
  out.close();
  out.text("TargetType", tg.target_type).text("IpAddressType", "ipv4");
  out.close();
}

Result<const model::TargetGroup*> find_group(const Region& region, const model::Caller& caller,
                                             const std::string& arn) {
  auto it = region.target_groups.find(arn);
  if (it == region.target_groups.end() || it->second.owner != caller.account_id) {
    return make_error("TargetGroupNotFound", "Target group '" + arn + "' not found");
  }
  return &it->second;
}

Result<std::vector<model::TargetSpec>> target_specs(const Params& params) {
  std::vector<model::TargetSpec> specs;
  const int n = params.count("Targets.member");
  for (int i = 1; i <= n; ++i) {
    const std::string member = "Targets.member." + std::to_string(i);
    auto id = params.required(member + ".Id");
    if (!id) return id.error();
    auto port = elbv2_integer(params, member + ".Port", 1, 65535);
    if (!port) return port.error();
    if (params.has(member + ".AvailabilityZone")) {
      return validation(
          "AvailabilityZone is taken only for IP targets outside the VPC, which "
          "are not available here");
    }
    specs.push_back({*id, *port});
  }
  return specs;
}

// The Health* parameters and Matcher of CreateTargetGroup and ModifyTargetGroup.
Result<void> read_health_check(const Params& params, model::TargetGroupRequest& request) {
  auto enabled = params.boolean("HealthCheckEnabled");
  if (!enabled) return enabled.error();
  request.health_check_enabled = *enabled;
  request.health_check_protocol = params.get_or("HealthCheckProtocol", "");
  request.health_check_port = params.get_or("HealthCheckPort", "");
  request.health_check_path = params.get_or("HealthCheckPath", "");
  request.matcher = params.get_or("Matcher.HttpCode", "");
  for (const auto& [name, value] : params.all()) {
    if (name.rfind("Matcher.", 0) == 0 && name != "Matcher.HttpCode") {
      return validation("Only Matcher.HttpCode is taken here, not " + name);
    }
  }
  for (auto [name, field] :
       {std::pair{"HealthCheckIntervalSeconds", &request.health_check_interval},
        std::pair{"HealthCheckTimeoutSeconds", &request.health_check_timeout},
        std::pair{"HealthyThresholdCount", &request.healthy_threshold},
        std::pair{"UnhealthyThresholdCount", &request.unhealthy_threshold}}) {
    auto value = elbv2_integer(params, name, 0, 1000000);
    if (!value) return value.error();
    *field = *value;
  }
  return {};
}

Result<std::string> create_target_group(ActionContext& ctx) {
  auto name = ctx.params.required("Name");
  if (!name) return name.error();
  model::TargetGroupRequest request;
  request.name = *name;
  request.protocol = ctx.params.get_or("Protocol", "");
  request.vpc_id = ctx.params.get_or("VpcId", "");
  request.target_type = ctx.params.get_or("TargetType", "instance");
  if (ctx.params.get_or("IpAddressType", "ipv4") != "ipv4") {
    return validation("Only the ipv4 IP address type is available here");
  }
  auto port = elbv2_integer(ctx.params, "Port", 1, 65535);
  if (!port) return port.error();
  request.port = *port;
  if (auto read = read_health_check(ctx.params, request); !read) return read.error();
  auto tags = elbv2_tags(ctx.params, "Tags.member");
  if (!tags) return tags.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto arn = model::create_target_group(region, ctx.caller, request);
    if (!arn) return arn.error();
    model::TargetGroup& group = region.target_groups.at(*arn);
    group.tags = *tags;
    out.open("TargetGroups");
    render_target_group(out, region, group);
    out.close();
    return {};
  });
}

Result<std::string> describe_target_groups(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  const auto arns = ctx.params.list("TargetGroupArns.member");
  const auto names = ctx.params.list("Names.member");
  const std::string lb_arn = ctx.params.get_or("LoadBalancerArn", "");
  if (!arns.empty() + !names.empty() + !lb_arn.empty() > 1) {
    return validation("Specify at most one of TargetGroupArns, Names and LoadBalancerArn");
  }
  if (!lb_arn.empty()) {
    auto lb = (*region)->load_balancers.find(lb_arn);
    if (lb == (*region)->load_balancers.end() || lb->second.owner != ctx.caller.account_id) {
      return make_error("LoadBalancerNotFound", "Load balancer '" + lb_arn + "' not found");
    }
  }
  std::vector<std::string> keys;
  for (const auto& [arn, group] : (*region)->target_groups) {
    if (group.owner != ctx.caller.account_id) continue;
    if (!arns.empty() && std::find(arns.begin(), arns.end(), arn) == arns.end()) continue;
    if (!names.empty() && std::find(names.begin(), names.end(), group.name) == names.end()) {
      continue;
    }
    if (!lb_arn.empty()) {
      auto lbs = load_balancers_of(**region, arn);
      if (std::find(lbs.begin(), lbs.end(), lb_arn) == lbs.end()) continue;
    }
    keys.push_back(arn);
  }
  for (const auto& wanted : arns.empty() ? names : arns) {
    bool found = std::any_of(keys.begin(), keys.end(), [&](const std::string& arn) {
      const auto& group = (*region)->target_groups.at(arn);
      return group.arn == wanted || group.name == wanted;
    });
    if (!found) {
      return make_error("TargetGroupNotFound", "One or more target groups not found: " + wanted);
    }
  }
  auto page = elbv2_page(keys, ctx.params);
  if (!page) return page.error();
  XmlWriter out(XmlWriter::kFragment);
  out.open("TargetGroups");
  for (const auto& arn : page->keys) {
    render_target_group(out, **region, (*region)->target_groups.at(arn));
  }
  out.close();
  out.optional("NextMarker", page->next_marker);
  return out.finish();
}

Result<std::string> modify_target_group(ActionContext& ctx) {
  auto arn = ctx.params.required("TargetGroupArn");
  if (!arn) return arn.error();
  model::TargetGroupRequest request;
  if (auto read = read_health_check(ctx.params, request); !read) return read.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto changed = model::modify_target_group(region, ctx.caller, *arn, request);
    if (!changed) return changed.error();
    out.open("TargetGroups");
    render_target_group(out, region, region.target_groups.at(*arn));
    out.close();
    return {};
  });
}

Result<std::string> delete_target_group(ActionContext& ctx) {
  auto arn = ctx.params.required("TargetGroupArn");
  if (!arn) return arn.error();
  return ctx.commit([&](Region& region, XmlWriter&) -> Result<void> {
    return model::delete_target_group(region, ctx.caller, *arn);
  });
}

ActionHandler change_targets(bool registering) {
  return [registering](ActionContext& ctx) -> Result<std::string> {
    auto arn = ctx.params.required("TargetGroupArn");
    if (!arn) return arn.error();
    auto specs = target_specs(ctx.params);
    if (!specs) return specs.error();
    return ctx.commit([&](Region& region, XmlWriter&) -> Result<void> {
      return registering ? model::register_targets(region, ctx.caller, *arn, *specs)
                         : model::deregister_targets(region, ctx.caller, *arn, *specs);
    });
  };
}

Result<std::string> describe_target_health(ActionContext& ctx) {
  auto arn = ctx.params.required("TargetGroupArn");
  if (!arn) return arn.error();
  auto specs = target_specs(ctx.params);
  if (!specs) return specs.error();
  auto region = ctx.read();
  if (!region) return region.error();
  auto group = find_group(**region, ctx.caller, *arn);
  if (!group) return group.error();
  std::vector<model::LoadBalancerTarget> targets;
  if (specs->empty()) {
    targets = model::live_targets(**group, ctx.caller.now);
  } else {
    for (const auto& spec : *specs) {
      model::LoadBalancerTarget target;
      target.id = spec.id;
      target.port = spec.port.value_or((*group)->port);
      for (const auto& live : model::live_targets(**group, ctx.caller.now)) {
        if (live.id == target.id && live.port == target.port) target = live;
      }
      targets.push_back(target);
    }
  }
  XmlWriter out(XmlWriter::kFragment);
  out.open("TargetHealthDescriptions");
  for (const auto& target : targets) {
    const model::TargetHealth health =
        model::target_health(**region, **group, target, ctx.caller.now);
    out.open("member");
    out.open("Target").text("Id", target.id).number("Port", target.port);
    out.optional("AvailabilityZone", target.availability_zone).close();
    out.text("HealthCheckPort", (*group)->health_check_port == "traffic-port"
                                    ? std::to_string(target.port)
                                    : (*group)->health_check_port);
    out.open("TargetHealth").text("State", health.state);
    out.optional("Reason", health.reason).optional("Description", health.description);
    out.close().close();
  }
  out.close();
  return out.finish();
}

Result<std::string> describe_target_group_attributes(ActionContext& ctx) {
  auto arn = ctx.params.required("TargetGroupArn");
  if (!arn) return arn.error();
  auto region = ctx.read();
  if (!region) return region.error();
  auto group = find_group(**region, ctx.caller, *arn);
  if (!group) return group.error();
  XmlWriter out(XmlWriter::kFragment);
  render_elbv2_attributes(out, model::target_group_attributes(**group));
  return out.finish();
}

Result<std::string> modify_target_group_attributes(ActionContext& ctx) {
  auto arn = ctx.params.required("TargetGroupArn");
  if (!arn) return arn.error();
  auto attributes = elbv2_attributes(ctx.params);
  if (!attributes) return attributes.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto changed = model::modify_target_group_attributes(region, ctx.caller, *arn, *attributes);
    if (!changed) return changed.error();
    render_elbv2_attributes(out, model::target_group_attributes(region.target_groups.at(*arn)));
    return {};
  });
}

}  // namespace

void register_elbv2_target_group_actions(Elbv2Table& table) {
  table.emplace(
      "CreateTargetGroup",
      Elbv2Action{{"Name", "Protocol", "Port", "VpcId", "TargetType", "IpAddressType",
                   "HealthCheckEnabled", "HealthCheckProtocol", "HealthCheckPort",
                   "HealthCheckPath", "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
                   "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher", "Tags"},
                  create_target_group});
  table.emplace("DescribeTargetGroups",
                Elbv2Action{{"TargetGroupArns", "Names", "LoadBalancerArn", "Marker", "PageSize"},
                            describe_target_groups});
  table.emplace(
      "ModifyTargetGroup",
      Elbv2Action{{"TargetGroupArn", "HealthCheckEnabled", "HealthCheckProtocol", "HealthCheckPort",
                   "HealthCheckPath", "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
                   "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher"},
                  modify_target_group});
  table.emplace("DeleteTargetGroup", Elbv2Action{{"TargetGroupArn"}, delete_target_group});
  table.emplace("RegisterTargets",
                Elbv2Action{{"TargetGroupArn", "Targets"}, change_targets(true)});
  table.emplace("DeregisterTargets",
                Elbv2Action{{"TargetGroupArn", "Targets"}, change_targets(false)});
  table.emplace("DescribeTargetHealth",
                Elbv2Action{{"TargetGroupArn", "Targets"}, describe_target_health});
  table.emplace("DescribeTargetGroupAttributes",
                Elbv2Action{{"TargetGroupArn"}, describe_target_group_attributes});
  table.emplace("ModifyTargetGroupAttributes",
                Elbv2Action{{"TargetGroupArn", "Attributes"}, modify_target_group_attributes});
}

}  // namespace openvpc::api
