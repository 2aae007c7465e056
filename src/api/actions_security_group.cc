// Security group actions: Create/Delete/DescribeSecurityGroups, Authorize/Revoke
// SecurityGroupIngress/Egress, DescribeSecurityGroupRules.
//
// EC2 reports a group's rules as "permissions" (rules with the same protocol and ports
// grouped, each with its CIDR ranges and group pairs) and, separately, one sgr- rule each.
#include <algorithm>
#include <set>
#include <tuple>

#include "api/action.h"

namespace openvpc::api {

namespace {

using model::Region;
using model::SecurityGroupRule;

// IpPermissions.N.* (and the legacy flat IpProtocol/FromPort/ToPort/CidrIp form) -> rules.
Result<std::vector<SecurityGroupRule>> parse_permissions(const Params& params, bool egress) {
  std::vector<SecurityGroupRule> rules;
  auto port = [&](const std::string& name) -> Result<int> {
    auto value = params.integer(name, -1, 65535);
    if (!value) return value.error();
    return static_cast<int>(value->value_or(-1));
  };
  auto add = [&](const std::string& prefix, const std::string& ranges,
                 const std::string& pairs) -> Result<void> {
    SecurityGroupRule base;
    base.egress = egress;
    auto protocol = params.required(prefix + "IpProtocol");
    if (!protocol) return protocol.error();
    base.protocol = *protocol;
    auto from = port(prefix + "FromPort");
    if (!from) return from.error();
    auto to = port(prefix + "ToPort");
    if (!to) return to.error();
    base.from_port = *from;
    base.to_port = *to;
    size_t before = rules.size();
    for (int m = 1; params.has(ranges + "." + std::to_string(m) + ".CidrIp"); ++m) {
      SecurityGroupRule rule = base;
      rule.cidr = params.get_or(ranges + "." + std::to_string(m) + ".CidrIp", "");
      rule.description = params.get_or(ranges + "." + std::to_string(m) + ".Description", "");
      rules.push_back(rule);
    }
    for (int m = 1; params.has(pairs + "." + std::to_string(m) + ".GroupId"); ++m) {
      SecurityGroupRule rule = base;
      rule.referenced_group_id = params.get_or(pairs + "." + std::to_string(m) + ".GroupId", "");
      rule.description = params.get_or(pairs + "." + std::to_string(m) + ".Description", "");
      rules.push_back(rule);
    }
    // IPv6 ranges and prefix lists are kept as peers no IPv4 rule can equal: authorizing one
    // fails validation, revoking one is InvalidPermission.NotFound (Terraform revokes the
    // ::/0 egress rule of every new group, which EC2 answers that way in an IPv4-only VPC).
    for (int m = 1; params.has(prefix + "Ipv6Ranges." + std::to_string(m) + ".CidrIpv6"); ++m) {
      SecurityGroupRule rule = base;
      rule.cidr = params.get_or(prefix + "Ipv6Ranges." + std::to_string(m) + ".CidrIpv6", "");
      rules.push_back(rule);
    }
    for (int m = 1; params.has(prefix + "PrefixListIds." + std::to_string(m) + ".PrefixListId");
         ++m) {
      SecurityGroupRule rule = base;
      rule.cidr =
          params.get_or(prefix + "PrefixListIds." + std::to_string(m) + ".PrefixListId", "");
      rules.push_back(rule);
    }
    if (rules.size() == before) {
      return make_error("MissingParameter", "A permission needs an IP range or a group pair");
    }
    return {};
  };
  int n = params.count("IpPermissions");
  for (int i = 1; i <= n; ++i) {
    std::string prefix = "IpPermissions." + std::to_string(i) + ".";
    if (auto added = add(prefix, prefix + "IpRanges", prefix + "Groups"); !added) {
      return added.error();
    }
  }
  if (params.has("IpProtocol") && params.has("CidrIp")) {  // the legacy flat form
    SecurityGroupRule rule;
    rule.egress = egress;
    rule.protocol = params.get_or("IpProtocol", "-1");
    auto from = port("FromPort");
    if (!from) return from.error();
    auto to = port("ToPort");
    if (!to) return to.error();
    rule.from_port = *from;
    rule.to_port = *to;
    rule.cidr = params.get_or("CidrIp", "");
    rules.push_back(rule);
  }
  return rules;
}

void render_permissions(XmlWriter& out, const std::string& set_name,
                        const std::vector<SecurityGroupRule>& rules, bool egress,
                        const std::string& owner) {
  using Key = std::tuple<std::string, int, int>;
  std::map<Key, std::vector<const SecurityGroupRule*>> grouped;
  for (const auto& rule : rules) {
    if (rule.egress == egress)
      grouped[{rule.protocol, rule.from_port, rule.to_port}].push_back(&rule);
  }
  out.open(set_name);
  for (const auto& [key, members] : grouped) {
    const auto& [protocol, from, to] = key;
    out.open("item").text("ipProtocol", protocol);
    if (protocol != "-1") out.number("fromPort", from).number("toPort", to);
    out.open("groups");
    for (const auto* rule : members) {
      if (rule->referenced_group_id.empty()) continue;
      out.open("item").text("groupId", rule->referenced_group_id).text("userId", owner);
      out.optional("description", rule->description).close();
    }
    out.close().open("ipRanges");
    for (const auto* rule : members) {
      if (rule->cidr.empty()) continue;
      out.open("item").text("cidrIp", rule->cidr).optional("description", rule->description);
      out.close();
    }
    out.close().open("ipv6Ranges").close().open("prefixListIds").close().close();
  }
  out.close();
}

void render_group(XmlWriter& out, const model::SecurityGroup& group) {
  out.text("ownerId", group.owner).text("groupId", group.id).text("groupName", group.name);
  out.text("groupDescription", group.description).text("vpcId", group.vpc_id);
  render_permissions(out, "ipPermissions", group.rules, false, group.owner);
  render_permissions(out, "ipPermissionsEgress", group.rules, true, group.owner);
  render_tags(out, group.tags);
}

// names: the region's groups, to give ip-permission.group-name (null: no names).
FilterFields group_fields(const model::SecurityGroup& group,
                          const model::ResourceMap<model::SecurityGroup>* names) {
  FilterFields fields{{"description", {group.description}},
                      {"group-id", {group.id}},
                      {"group-name", {group.name}},
                      {"owner-id", {group.owner}},
                      {"vpc-id", {group.vpc_id}},
                      {"ip-permission.cidr", {}},
                      {"ip-permission.group-id", {}},
                      {"ip-permission.protocol", {}},
                      {"ip-permission.from-port", {}},
                      {"ip-permission.to-port", {}},
                      {"egress.ip-permission.cidr", {}},
                      {"egress.ip-permission.group-id", {}},
                      {"egress.ip-permission.protocol", {}},
                      {"egress.ip-permission.from-port", {}},
                      {"egress.ip-permission.to-port", {}},
                      {"ip-permission.group-name", {}},
                      {"egress.ip-permission.group-name", {}},
                      {"ip-permission.user-id", {}},
                      {"egress.ip-permission.user-id", {}}};
  // IPv6 ranges and prefix lists do not exist here.
  add_absent_fields(fields,
                    {"ip-permission.ipv6-cidr", "ip-permission.prefix-list-id",
                     "egress.ip-permission.ipv6-cidr", "egress.ip-permission.prefix-list-id"});
  for (const auto& rule : group.rules) {
    std::string prefix = rule.egress ? "egress.ip-permission." : "ip-permission.";
    if (!rule.cidr.empty()) fields[prefix + "cidr"].push_back(rule.cidr);
    if (!rule.referenced_group_id.empty()) {
      fields[prefix + "group-id"].push_back(rule.referenced_group_id);
      fields[prefix + "user-id"].push_back(group.owner);  // groups reference their own account
      if (names) {
        auto referenced = names->find(rule.referenced_group_id);
        if (referenced != names->end())
          fields[prefix + "group-name"].push_back(referenced->second.name);
      }
    }
    fields[prefix + "protocol"].push_back(rule.protocol);
    fields[prefix + "from-port"].push_back(std::to_string(rule.from_port));
    fields[prefix + "to-port"].push_back(std::to_string(rule.to_port));
  }
  add_tag_fields(fields, group.tags);
  return fields;
}

void render_rule(XmlWriter& out, const SecurityGroupRule& rule, const std::string& group_id,
                 const std::string& owner) {
  out.text("securityGroupRuleId", rule.id).text("groupId", group_id).text("groupOwnerId", owner);
  out.boolean("isEgress", rule.egress).text("ipProtocol", rule.protocol);
  out.number("fromPort", rule.from_port).number("toPort", rule.to_port);
  out.optional("cidrIpv4", rule.cidr);
  if (!rule.referenced_group_id.empty()) {
    out.open("referencedGroupInfo").text("groupId", rule.referenced_group_id);
    out.text("userId", owner).close();
  }
  out.optional("description", rule.description);
  render_tags(out, rule.tags);
}

Result<std::string> create_group(ActionContext& ctx) {
  auto name = ctx.params.required("GroupName");
  if (!name) return name.error();
  auto description = ctx.params.required("GroupDescription");
  if (!description) return description.error();
  auto vpc_id = ctx.params.get("VpcId");
  if (!vpc_id) return make_error("VPCIdNotSpecified", "No default VPC for this user");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::create_security_group(region, ctx.caller, *vpc_id, *name, *description);
    if (!id) return id.error();
    if (auto tagged = tag_new_resource(ctx, region, *id, "security-group"); !tagged) {
      return tagged.error();
    }
    out.boolean("return", true).text("groupId", *id);
    render_tags(out, region.security_groups.at(*id).tags);
    return {};
  });
}

ActionHandler authorize(bool egress) {
  return [egress](ActionContext& ctx) -> Result<std::string> {
    auto group_id = ctx.params.required("GroupId");
    if (!group_id) return group_id.error();
    auto rules = parse_permissions(ctx.params, egress);
    if (!rules) return rules.error();
    model::Tags tags = ctx.tag_specifications("security-group-rule");
    return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
      auto added = model::authorize_security_group(region, ctx.caller, *group_id, *rules);
      if (!added) return added.error();
      if (!tags.empty()) {
        std::vector<std::string> ids;
        for (auto& rule : *added) {
          ids.push_back(rule.id);
          rule.tags = tags;
        }
        if (auto tagged = model::create_tags(region, ctx.caller, ids, tags); !tagged) {
          return tagged.error();
        }
      }
      out.boolean("return", true).open("securityGroupRuleSet");
      for (const auto& rule : *added) {
        out.open("item");
        render_rule(out, rule, *group_id, ctx.caller.account_id);
        out.close();
      }
      out.close();
      return {};
    });
  };
}

ActionHandler revoke(bool egress) {
  return returning_true([egress](ActionContext& ctx, Region& region) -> Result<void> {
    auto group_id = ctx.params.required("GroupId");
    if (!group_id) return group_id.error();
    auto rule_ids = ctx.params.list("SecurityGroupRuleId");
    std::vector<SecurityGroupRule> rules;
    if (rule_ids.empty()) {
      auto parsed = parse_permissions(ctx.params, egress);
      if (!parsed) return parsed.error();
      rules = std::move(*parsed);
    }
    return model::revoke_security_group(region, ctx.caller, *group_id, egress, rules, rule_ids);
  });
}

Result<std::string> describe_groups(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  auto names = ctx.params.list("GroupName");
  DescribeSpec<model::SecurityGroup> spec{
      "GroupId",
      "securityGroupInfo",
      "InvalidGroup.NotFound",
      "security group",
      [&](const model::SecurityGroup& g) { return group_fields(g, &(*region)->security_groups); },
      render_group,
      [&](const model::SecurityGroup& g) {
        return names.empty() || std::find(names.begin(), names.end(), g.name) != names.end();
      },
      &**region,
      model::kSecurityGroupKind,
      "group-id"};
  // GroupName.N: the groups of those names from the index, not a scan of every group (a name
  // with * or ? matches more there, and include() keeps the exact ones).
  if (!names.empty() && model::indexes_current(**region)) {
    spec.parameter_candidates =
        model::indexed_ids(**region, model::kSecurityGroupKind, "group-name", names);
  }
  return describe<model::SecurityGroup>(ctx, (*region)->security_groups, spec);
}

// One sgr- rule as its own describable resource.
struct RuleView {
  std::string id, owner, group_id;
  SecurityGroupRule rule;
  model::Tags tags;
};

// The groups whose rules can be in the answer (issue 14: not every rule of the region per
// call): those holding the requested rule ids (the rule index), else those a group-id filter
// names literally; nullopt: every group.
std::optional<std::set<std::string>> rule_holders(ActionContext& ctx, const model::Region& region) {
  const auto wanted = id_list(ctx.params, "SecurityGroupRuleId");
  if (!wanted.empty() && model::indexes_current(region)) {
    std::set<std::string> groups;
    for (const auto& id : wanted) {
      model::for_each_indexed(region, model::kSecurityGroupRuleKind, "security-group-rule-id", id,
                              [&](std::string_view group) { groups.emplace(group); });
    }
    return groups;  // an id in none: describe() answers it is not found
  }
  auto filters = ctx.params.filters();
  if (!wanted.empty() || !filters) return std::nullopt;  // describe() reports a bad filter
  for (const auto& filter : *filters) {
    if (filter.name != "group-id") continue;
    if (std::any_of(filter.values.begin(), filter.values.end(),
                    [](const auto& v) { return v.find_first_of("*?") != std::string::npos; })) {
      continue;
    }
    return std::set<std::string>(filter.values.begin(), filter.values.end());
  }
  return std::nullopt;
}

Result<std::string> describe_rules(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  std::map<std::string, RuleView> rules;
  auto add_group = [&](const std::string& id, const model::SecurityGroup& group) {
    for (const auto& rule : group.rules) {
      rules[rule.id] = {rule.id, group.owner, id, rule, rule.tags};
    }
  };
  const model::Region& read = **region;
  if (auto holders = rule_holders(ctx, read)) {
    for (const auto& id : *holders) {
      if (auto group = read.security_groups.find(id); group != read.security_groups.end()) {
        add_group(id, group->second);
      }
    }
  } else {
    for (const auto& [id, group] : read.security_groups) add_group(id, group);
  }
  return describe<RuleView>(
      ctx, rules,
      {"SecurityGroupRuleId", "securityGroupRuleSet", "InvalidSecurityGroupRuleId.NotFound",
       "security group rule",
       [](const RuleView& v) {
         FilterFields fields{{"group-id", {v.group_id}}, {"security-group-rule-id", {v.id}}};
         add_tag_fields(fields, v.tags);
         return fields;
       },
       [](XmlWriter& out, const RuleView& v) { render_rule(out, v.rule, v.group_id, v.owner); }});
}

ActionHandler update_rule_descriptions(bool egress) {
  return returning_true([egress](ActionContext& ctx, Region& region) -> Result<void> {
    auto group_id = ctx.params.required("GroupId");
    if (!group_id) return group_id.error();
    auto rules = parse_permissions(ctx.params, egress);
    if (!rules) return rules.error();
    std::map<std::string, std::string> by_id;
    int n = ctx.params.count("SecurityGroupRuleDescription");
    for (int i = 1; i <= n; ++i) {
      std::string prefix = "SecurityGroupRuleDescription." + std::to_string(i);
      auto rule_id = ctx.params.required(prefix + ".SecurityGroupRuleId");
      if (!rule_id) return rule_id.error();
      by_id[*rule_id] = ctx.params.get_or(prefix + ".Description", "");
    }
    return model::update_security_group_rule_descriptions(region, ctx.caller, *group_id, egress,
                                                          *rules, by_id);
  });
}

// SecurityGroupRule.N.{SecurityGroupRuleId, SecurityGroupRule.{IpProtocol, FromPort, ToPort,
// CidrIpv4 | CidrIpv6 | PrefixListId | ReferencedGroupId, Description}}.
Result<void> modify_rules(ActionContext& ctx, Region& region) {
  auto group_id = ctx.params.required("GroupId");
  if (!group_id) return group_id.error();
  std::vector<SecurityGroupRule> updates;
  int n = ctx.params.count("SecurityGroupRule");
  for (int i = 1; i <= n; ++i) {
    std::string prefix = "SecurityGroupRule." + std::to_string(i) + ".";
    auto rule_id = ctx.params.required(prefix + "SecurityGroupRuleId");
    if (!rule_id) return rule_id.error();
    std::string rule = prefix + "SecurityGroupRule.";
    SecurityGroupRule update;
    update.id = *rule_id;
    auto protocol = ctx.params.required(rule + "IpProtocol");
    if (!protocol) return protocol.error();
    update.protocol = *protocol;
    for (auto [name, field] :
         {std::pair{"FromPort", &update.from_port}, std::pair{"ToPort", &update.to_port}}) {
      auto value = ctx.params.integer(rule + name, -1, 65535);
      if (!value) return value.error();
      *field = static_cast<int>(value->value_or(-1));
    }
    // An IPv6 range or prefix list is kept as the peer so validation refuses it (IPv4 only).
    update.cidr = ctx.params.get_or(
        rule + "CidrIpv4",
        ctx.params.get_or(rule + "CidrIpv6", ctx.params.get_or(rule + "PrefixListId", "")));
    update.referenced_group_id = ctx.params.get_or(rule + "ReferencedGroupId", "");
    update.description = ctx.params.get_or(rule + "Description", "");
    updates.push_back(update);
  }
  return model::modify_security_group_rules(region, ctx.caller, *group_id, updates);
}

}  // namespace

void register_security_group_actions(ActionTable& table) {
  table["CreateSecurityGroup"] = create_group;
  table["DeleteSecurityGroup"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto id = ctx.params.required("GroupId");
        if (!id) return id.error();
        return model::delete_security_group(region, ctx.caller, *id);
      });
  table["AuthorizeSecurityGroupIngress"] = authorize(false);
  table["AuthorizeSecurityGroupEgress"] = authorize(true);
  table["RevokeSecurityGroupIngress"] = revoke(false);
  table["RevokeSecurityGroupEgress"] = revoke(true);
  table["DescribeSecurityGroups"] = describe_groups;
  table["DescribeSecurityGroupRules"] = describe_rules;
  table["ModifySecurityGroupRules"] = returning_true(modify_rules);
  table["UpdateSecurityGroupRuleDescriptionsIngress"] = update_rule_descriptions(false);
  table["UpdateSecurityGroupRuleDescriptionsEgress"] = update_rule_descriptions(true);
}

}  // namespace openvpc::api
