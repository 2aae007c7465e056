// ELBv2 actions on network load balancers, their listeners, attributes and tags:
// CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer, CreateListener,
// DescribeListeners, ModifyListener, DeleteListener, Describe/ModifyLoadBalancerAttributes,
// AddTags, DescribeTags, RemoveTags (model in model/load_balancer.h).
#include <algorithm>

#include "api/elbv2.h"
#include "model/load_balancer.h"

namespace openvpc::api {

namespace {

using model::Region;

Error validation(std::string message) {
  return make_error("ValidationError", std::move(message));
}

void render_load_balancer(XmlWriter& out, const model::LoadBalancer& lb) {
  out.open("member");
  out.text("LoadBalancerArn", lb.arn).text("DNSName", lb.dns_name);
  out.text("CreatedTime", lb.created_time).text("LoadBalancerName", lb.name);
  out.text("Scheme", lb.scheme).text("VpcId", lb.vpc_id);
  out.open("State").text("Code", lb.state).close();
  out.text("Type", lb.type);
  out.open("AvailabilityZones");
  for (const auto& address : lb.addresses) {
    out.open("member").text("ZoneName", address.availability_zone);
    out.text("SubnetId", address.subnet_id);
    out.open("LoadBalancerAddresses").open("member");
    out.optional("IpAddress", address.public_ip).optional("AllocationId", address.allocation_id);
    out.text("PrivateIPv4Address", address.private_ip);
    out.close().close().close();
  }
  out.close();
  out.text("IpAddressType", "ipv4");
  out.close();
}

void render_listener(XmlWriter& out, const model::Listener& listener) {
  out.open("member");
  out.text("ListenerArn", listener.arn).text("LoadBalancerArn", listener.load_balancer_arn);
  out.number("Port", listener.port).text("Protocol", listener.protocol);
  out.open("DefaultActions").open("member");
  out.text("Type", "forward").text("TargetGroupArn", listener.target_group_arn);
  out.open("ForwardConfig").open("TargetGroups").open("member");
  out.text("TargetGroupArn", listener.target_group_arn).number("Weight", 1);
  out.close().close();
  out.open("TargetGroupStickinessConfig").boolean("Enabled", false).close();
  out.close();  // ForwardConfig
  out.close().close();
  out.close();
}

Result<std::string> create_load_balancer(ActionContext& ctx) {
  auto name = ctx.params.required("Name");
  if (!name) return name.error();
  model::LoadBalancerRequest request;
  request.name = *name;
  request.type = ctx.params.get_or("Type", "application");
  request.scheme = ctx.params.get_or("Scheme", "internet-facing");
  request.ip_address_type = ctx.params.get_or("IpAddressType", "ipv4");
  const auto subnets = ctx.params.list("Subnets.member");
  const int mappings = ctx.params.count("SubnetMappings.member");
  if (!subnets.empty() && mappings > 0) {
    return validation("You cannot specify both Subnets and SubnetMappings");
  }
  for (const auto& subnet : subnets) request.subnets.push_back({subnet, "", ""});
  for (int i = 1; i <= mappings; ++i) {
    const std::string member = "SubnetMappings.member." + std::to_string(i);
    auto subnet = ctx.params.required(member + ".SubnetId");
    if (!subnet) return subnet.error();
    for (const auto& [key, value] : ctx.params.all()) {
      if (key.rfind(member + ".", 0) != 0) continue;
      std::string field = key.substr(member.size() + 1);
      if (field != "SubnetId" && field != "AllocationId" && field != "PrivateIPv4Address") {
        return validation("The parameter " + key + " is not recognized");
      }
    }
    request.subnets.push_back({*subnet, ctx.params.get_or(member + ".AllocationId", ""),
                               ctx.params.get_or(member + ".PrivateIPv4Address", "")});
  }
  auto tags = elbv2_tags(ctx.params, "Tags.member");
  if (!tags) return tags.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto arn = model::create_load_balancer(region, ctx.caller, request);
    if (!arn) return arn.error();
    model::LoadBalancer& lb = region.load_balancers.at(*arn);
    lb.tags = *tags;
    out.open("LoadBalancers");
    render_load_balancer(out, lb);
    out.close();
    return {};
  });
}

Result<std::string> describe_load_balancers(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  const auto arns = ctx.params.list("LoadBalancerArns.member");
  const auto names = ctx.params.list("Names.member");
  if (!arns.empty() && !names.empty()) {
    return validation("You cannot specify both LoadBalancerArns and Names");
  }
  std::vector<std::string> keys;
  for (const auto& [arn, lb] : (*region)->load_balancers) {
    if (lb.owner != ctx.caller.account_id) continue;
    if (!arns.empty() && std::find(arns.begin(), arns.end(), arn) == arns.end()) continue;
    if (!names.empty() && std::find(names.begin(), names.end(), lb.name) == names.end()) continue;
    keys.push_back(arn);
  }
  // Every named load balancer must exist (ELB names the missing ones).
  std::vector<std::string> missing;
  for (const auto& wanted : arns.empty() ? names : arns) {
    bool found = std::any_of(keys.begin(), keys.end(), [&](const std::string& arn) {
      const auto& lb = (*region)->load_balancers.at(arn);
      return lb.arn == wanted || lb.name == wanted;
    });
    if (!found) missing.push_back(wanted);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "'" : ", '") + m + "'";
    return make_error("LoadBalancerNotFound", "Load balancers '[" + list + "]' not found");
  }
  auto page = elbv2_page(keys, ctx.params);
  if (!page) return page.error();
  XmlWriter out(XmlWriter::kFragment);
  out.open("LoadBalancers");
  for (const auto& arn : page->keys) render_load_balancer(out, (*region)->load_balancers.at(arn));
  out.close();
  out.optional("NextMarker", page->next_marker);
  return out.finish();
}

Result<std::string> delete_load_balancer(ActionContext& ctx) {
  auto arn = ctx.params.required("LoadBalancerArn");
  if (!arn) return arn.error();
  if (arn->find(":loadbalancer/") == std::string::npos) {
    return validation("'" + *arn + "' is not a valid load balancer ARN");
  }
  return ctx.commit([&](Region& region, XmlWriter&) -> Result<void> {
    return model::delete_load_balancer(region, ctx.caller, *arn);
  });
}

// The target group of DefaultActions (one forward action, to one group); "" when there are no
// DefaultActions.
Result<std::string> forward_target_group(const Params& params) {
  const int actions = params.count("DefaultActions.member");
  if (actions == 0) return std::string();
  if (actions != 1) {
    return validation("A network load balancer listener takes exactly one default action");
  }
  const std::string action = "DefaultActions.member.1";
  const std::string type = params.get_or(action + ".Type", "");
  if (type != "forward") {
    return make_error(
        "InvalidLoadBalancerAction",
        "Network load balancer listeners take only the forward action, not '" + type + "'");
  }
  std::string group_arn = params.get_or(action + ".TargetGroupArn", "");
  const std::string forward = action + ".ForwardConfig.TargetGroups.member";
  const int forwards = params.count(forward);
  if (forwards > 1) {
    return validation("A network load balancer forwards each listener to one target group");
  }
  if (forwards == 1) {
    std::string named = params.get_or(forward + ".1.TargetGroupArn", "");
    if (!group_arn.empty() && named != group_arn) {
      return validation("TargetGroupArn and ForwardConfig name different target groups");
    }
    group_arn = named;
  }
  if (group_arn.empty()) return validation("The forward action needs a target group ARN");
  return group_arn;
}

Result<std::string> create_listener(ActionContext& ctx) {
  auto lb_arn = ctx.params.required("LoadBalancerArn");
  if (!lb_arn) return lb_arn.error();
  auto port = elbv2_integer(ctx.params, "Port", 1, 65535);
  if (!port) return port.error();
  if (ctx.params.count("DefaultActions.member") == 0) {
    return validation("A listener needs a default action");
  }
  auto group_arn = forward_target_group(ctx.params);
  if (!group_arn) return group_arn.error();
  auto tags = elbv2_tags(ctx.params, "Tags.member");
  if (!tags) return tags.error();
  model::ListenerRequest request{*lb_arn, ctx.params.get_or("Protocol", "TCP"), *group_arn, *port};
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto arn = model::create_listener(region, ctx.caller, request);
    if (!arn) return arn.error();
    model::Listener& listener = region.listeners.at(*arn);
    listener.tags = *tags;
    out.open("Listeners");
    render_listener(out, listener);
    out.close();
    return {};
  });
}

Result<std::string> describe_listeners(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  const auto arns = ctx.params.list("ListenerArns.member");
  const std::string lb_arn = ctx.params.get_or("LoadBalancerArn", "");
  if (arns.empty() == lb_arn.empty()) {
    return validation("You must specify either listener ARNs or a load balancer ARN");
  }
  std::vector<std::string> keys;
  if (!lb_arn.empty()) {
    auto lb = (*region)->load_balancers.find(lb_arn);
    if (lb == (*region)->load_balancers.end() || lb->second.owner != ctx.caller.account_id) {
      return make_error("LoadBalancerNotFound", "Load balancer '" + lb_arn + "' not found");
    }
    for (const auto& [arn, listener] : (*region)->listeners) {
      if (listener.load_balancer_arn == lb_arn) keys.push_back(arn);
    }
  }
  for (const auto& arn : arns) {
    auto it = (*region)->listeners.find(arn);
    if (it == (*region)->listeners.end() || it->second.owner != ctx.caller.account_id) {
      return make_error("ListenerNotFound", "Listener '" + arn + "' not found");
    }
    keys.push_back(arn);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  auto page = elbv2_page(keys, ctx.params);
  if (!page) return page.error();
  XmlWriter out(XmlWriter::kFragment);
  out.open("Listeners");
  for (const auto& arn : page->keys) render_listener(out, (*region)->listeners.at(arn));
  out.close();
  out.optional("NextMarker", page->next_marker);
  return out.finish();
}

Result<std::string> modify_listener(ActionContext& ctx) {
  auto arn = ctx.params.required("ListenerArn");
  if (!arn) return arn.error();
  auto port = elbv2_integer(ctx.params, "Port", 1, 65535);
  if (!port) return port.error();
  auto group_arn = forward_target_group(ctx.params);
  if (!group_arn) return group_arn.error();
  model::ListenerRequest change{"", ctx.params.get_or("Protocol", ""), *group_arn, *port};
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto changed = model::modify_listener(region, ctx.caller, *arn, change);
    if (!changed) return changed.error();
    out.open("Listeners");
    render_listener(out, region.listeners.at(*arn));
    out.close();
    return {};
  });
}

Result<std::string> delete_listener(ActionContext& ctx) {
  auto arn = ctx.params.required("ListenerArn");
  if (!arn) return arn.error();
  return ctx.commit([&](Region& region, XmlWriter&) -> Result<void> {
    return model::delete_listener(region, ctx.caller, *arn);
  });
}

Result<std::string> describe_load_balancer_attributes(ActionContext& ctx) {
  auto arn = ctx.params.required("LoadBalancerArn");
  if (!arn) return arn.error();
  auto region = ctx.read();
  if (!region) return region.error();
  auto lb = (*region)->load_balancers.find(*arn);
  if (lb == (*region)->load_balancers.end() || lb->second.owner != ctx.caller.account_id) {
    return make_error("LoadBalancerNotFound", "Load balancer '" + *arn + "' not found");
  }
  XmlWriter out(XmlWriter::kFragment);
  render_elbv2_attributes(out, model::load_balancer_attributes(lb->second));
  return out.finish();
}

Result<std::string> modify_load_balancer_attributes(ActionContext& ctx) {
  auto arn = ctx.params.required("LoadBalancerArn");
  if (!arn) return arn.error();
  auto attributes = elbv2_attributes(ctx.params);
  if (!attributes) return attributes.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto changed = model::modify_load_balancer_attributes(region, ctx.caller, *arn, *attributes);
    if (!changed) return changed.error();
    render_elbv2_attributes(out, model::load_balancer_attributes(region.load_balancers.at(*arn)));
    return {};
  });
}

Result<std::string> add_tags(ActionContext& ctx) {
  const auto arns = ctx.params.list("ResourceArns.member");
  if (arns.empty()) return validation("At least one resource ARN must be specified");
  auto tags = elbv2_tags(ctx.params, "Tags.member");
  if (!tags) return tags.error();
  if (tags->empty()) return validation("At least one tag must be specified");
  return ctx.commit([&](Region& region, XmlWriter&) -> Result<void> {
    for (const auto& arn : arns) {
      auto found = model::find_elb_tags(region, ctx.caller, arn);
      if (!found) return found.error();
      for (const auto& [key, value] : *tags) (**found)[key] = value;
      if ((*found)->size() > model::kElbTagsPerResource) {
        return make_error("TooManyTags", "The resource '" + arn + "' would have more than 50 tags");
      }
    }
    return {};
  });
}

Result<std::string> remove_tags(ActionContext& ctx) {
  const auto arns = ctx.params.list("ResourceArns.member");
  const auto keys = ctx.params.list("TagKeys.member");
  if (arns.empty() || keys.empty()) {
    return validation("At least one resource ARN and one tag key must be specified");
  }
  return ctx.commit([&](Region& region, XmlWriter&) -> Result<void> {
    for (const auto& arn : arns) {
      auto found = model::find_elb_tags(region, ctx.caller, arn);
      if (!found) return found.error();
      for (const auto& key : keys) (*found)->erase(key);
    }
    return {};
  });
}

Result<std::string> describe_tags(ActionContext& ctx) {
  const auto arns = ctx.params.list("ResourceArns.member");
  if (arns.empty() || arns.size() > 20) {
    return validation("Between 1 and 20 resource ARNs must be specified");
  }
  auto region = ctx.read();
  if (!region) return region.error();
  XmlWriter out(XmlWriter::kFragment);
  out.open("TagDescriptions");
  for (const auto& arn : arns) {
    auto found = model::find_elb_tags(**region, ctx.caller, arn);
    if (!found) return found.error();
    out.open("member").text("ResourceArn", arn);
    render_elbv2_tags(out, **found);
    out.close();
  }
  out.close();
  return out.finish();
}

}  // namespace

void register_elbv2_load_balancer_actions(Elbv2Table& table) {
  table.emplace("CreateLoadBalancer", Elbv2Action{{"Name", "Subnets", "SubnetMappings", "Scheme",
                                                   "Tags", "Type", "IpAddressType"},
                                                  create_load_balancer});
  table.emplace(
      "DescribeLoadBalancers",
      Elbv2Action{{"LoadBalancerArns", "Names", "Marker", "PageSize"}, describe_load_balancers});
  table.emplace("DeleteLoadBalancer", Elbv2Action{{"LoadBalancerArn"}, delete_load_balancer});
  table.emplace("CreateListener",
                Elbv2Action{{"LoadBalancerArn", "Protocol", "Port", "DefaultActions", "Tags"},
                            create_listener});
  table.emplace(
      "DescribeListeners",
      Elbv2Action{{"ListenerArns", "LoadBalancerArn", "Marker", "PageSize"}, describe_listeners});
  table.emplace("ModifyListener", Elbv2Action{{"ListenerArn", "Protocol", "Port", "DefaultActions"},
                                              modify_listener});
  table.emplace("DeleteListener", Elbv2Action{{"ListenerArn"}, delete_listener});
  table.emplace("DescribeLoadBalancerAttributes",
                Elbv2Action{{"LoadBalancerArn"}, describe_load_balancer_attributes});
  table.emplace("ModifyLoadBalancerAttributes",
                Elbv2Action{{"LoadBalancerArn", "Attributes"}, modify_load_balancer_attributes});
  table.emplace("AddTags", Elbv2Action{{"ResourceArns", "Tags"}, add_tags});
  table.emplace("RemoveTags", Elbv2Action{{"ResourceArns", "TagKeys"}, remove_tags});
  table.emplace("DescribeTags", Elbv2Action{{"ResourceArns"}, describe_tags});
}

}  // namespace openvpc::api
