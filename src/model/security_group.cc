// Security groups: allow-only rules per direction, referenced groups in the same VPC, the
// undeletable "default" group, and DependencyViolation while anything uses or names a group.
#include <algorithm>
#include <utility>

#include "model/cidr.h"
#include "model/operations.h"
#include "model/program_numbers.h"

namespace openvpc::model {

namespace {

Result<SecurityGroup*> find_group(Region& region, const Caller& caller, const std::string& id) {
  auto group =
      find_owned(region.security_groups, caller, id, "InvalidGroup.NotFound", "security group");
  if (!group) {
    return make_error("InvalidGroup.NotFound", "The security group '" + id + "' does not exist");
  }
  return group;
}

Result<std::string> normalize_protocol(const std::string& protocol) {
  static const std::map<std::string, std::string> kNames = {
      {"-1", "-1"},   {"all", "-1"}, {"tcp", "tcp"},   {"6", "tcp"},
      {"udp", "udp"}, {"17", "udp"}, {"icmp", "icmp"}, {"1", "icmp"}};
  std::string lower = protocol;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (auto it = kNames.find(lower); it != kNames.end()) return it->second;
  if (!lower.empty() && lower.size() <= 3 && std::all_of(lower.begin(), lower.end(), ::isdigit) &&
      std::stoi(lower) <= 255) {
    return std::to_string(std::stoi(lower));
  }
  return invalid_parameter("Invalid value '" + protocol + "' for IP protocol. Unknown protocol.");
}

Result<SecurityGroupRule> validate_rule(Region& region, const Caller& caller,
                                        const SecurityGroup& group, SecurityGroupRule rule) {
  auto protocol = normalize_protocol(rule.protocol);
  if (!protocol) return protocol.error();
  rule.protocol = *protocol;
  if (rule.protocol == "tcp" || rule.protocol == "udp") {
    if (rule.from_port < 0 || rule.to_port > 65535 || rule.from_port > rule.to_port) {
      return invalid_parameter("Invalid port range " + std::to_string(rule.from_port) + "-" +
                               std::to_string(rule.to_port));
    }
  } else if (rule.protocol == "icmp") {
    if (rule.from_port < -1 || rule.from_port > 255 || rule.to_port < -1 || rule.to_port > 255) {
      return invalid_parameter("Invalid ICMP type or code");
    }
  } else {
    rule.from_port = rule.to_port = -1;
  }
  if (rule.cidr.empty() == rule.referenced_group_id.empty()) {
    return make_error("MissingParameter",
                      "Each rule needs exactly one of a CIDR range or a security group");
  }
  if (!rule.cidr.empty()) {
    auto block = parse_ipv4_block(rule.cidr);
    if (!block) return block.error();
  } else {
    auto referenced = find_group(region, caller, rule.referenced_group_id);
    if (!referenced) return referenced.error();
    if ((*referenced)->vpc_id != group.vpc_id) {
      return invalid_parameter("Security group " + rule.referenced_group_id +
                               " belongs to a different VPC");
    }
  }
  return rule;
}

bool same_permission(const SecurityGroupRule& a, const SecurityGroupRule& b) {
  return a.egress == b.egress && a.protocol == b.protocol && a.from_port == b.from_port &&
         a.to_port == b.to_port && a.cidr == b.cidr &&
         a.referenced_group_id == b.referenced_group_id;
}

// The group's rule with the permission's peer, protocol and ports (normalised as on authorize).
Result<std::vector<SecurityGroupRule>::iterator> find_permission(
    std::vector<SecurityGroupRule>& existing, SecurityGroupRule rule, bool egress) {
  auto protocol = normalize_protocol(rule.protocol);
  if (!protocol) return protocol.error();
  rule.protocol = *protocol;
  rule.egress = egress;
  if (rule.protocol != "tcp" && rule.protocol != "udp" && rule.protocol != "icmp") {
    rule.from_port = rule.to_port = -1;
  }
  auto it = std::find_if(existing.begin(), existing.end(),
                         [&](const SecurityGroupRule& r) { return same_permission(r, rule); });
  if (it == existing.end()) {
    return make_error("InvalidPermission.NotFound",
                      "The specified rule does not exist in this security group.");
  }
  return it;
}

Result<std::vector<SecurityGroupRule>::iterator> find_rule(std::vector<SecurityGroupRule>& existing,
                                                           const std::string& rule_id,
                                                           bool egress) {
  auto it = std::find_if(existing.begin(), existing.end(), [&](const SecurityGroupRule& r) {
    return r.id == rule_id && r.egress == egress;
  });
  if (it == existing.end()) {
    return make_error("InvalidSecurityGroupRuleId.NotFound",
                      "The security group rule ID '" + rule_id + "' does not exist");
  }
  return it;
}

}  // namespace

Result<std::string> create_security_group(Region& region, const Caller& caller,
                                          const std::string& vpc_id, std::string_view name,
                                          std::string_view description) {
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  if (name.empty() || name.size() > 255 || description.size() > 255) {
    return invalid_parameter("Invalid security group name or description");
  }
  if (name == "default") {
    return make_error("InvalidGroup.Reserved", "The security group 'default' is reserved");
  }
  // The VPC's groups from the index (region_index.h), not a scan of every group.
  sync_indexes(region);
  const Region& read = region;
  int count = 0;
  bool duplicate = false;
  for_each_indexed(read, kSecurityGroupKind, "vpc-id", vpc_id, [&](std::string_view group_id) {
    ++count;
    duplicate = duplicate || read.security_groups.at(std::string(group_id)).name == name;
  });
  if (duplicate) {
    return make_error("InvalidGroup.Duplicate", "The security group '" + std::string(name) +
                                                    "' already exists for VPC '" + vpc_id + "'");
  }
  if (count >= caller.limits.security_groups_per_vpc) {
    return make_error("SecurityGroupLimitExceeded",
                      "The maximum number of security groups has been reached.");
  }
  SecurityGroup group = make_security_group(caller, vpc_id, name, description);
  group.number = new_program_number(region, *caller.ids);
  std::string id = group.id;
  region.security_groups[id] = std::move(group);
  return id;
}

Result<void> delete_security_group(Region& region, const Caller& caller, const std::string& id) {
  auto group = find_group(region, caller, id);
  if (!group) return group.error();
  if ((*group)->name == "default") {
    return make_error("CannotDelete", "the specified group: \"" + id +
                                          "\" name: \"default\" cannot be deleted by a user");
  }
  // Who still uses it, from the indexes (region_index.h) rather than a scan of the region:
  // rules of the groups of its own VPC (a rule may only reference a group of the same VPC,
  // validate_rule) and the interfaces in it.
  const std::string vpc_id = (*group)->vpc_id;
  sync_indexes(region);
  const Region& read = region;
  bool referenced = false;
  for_each_indexed(read, kSecurityGroupKind, "vpc-id", vpc_id, [&](std::string_view other) {
    if (referenced || other == id) return;
    const auto& rules = read.security_groups.at(std::string(other)).rules;
    referenced = std::any_of(rules.begin(), rules.end(), [&](const SecurityGroupRule& r) {
      return r.referenced_group_id == id;
    });
  });
  bool in_use = false;
  for_each_indexed(read, kInterfaceKind, "group-id", id, [&](std::string_view) { in_use = true; });
  if (referenced || in_use) {
    return dependency_violation("resource " + id + " has a dependent object");
  }
  region.security_groups.erase(id);
  return {};
}

Result<std::vector<SecurityGroupRule>> authorize_security_group(
    Region& region, const Caller& caller, const std::string& group_id,
    std::vector<SecurityGroupRule> rules) {
  auto group = find_group(region, caller, group_id);
  if (!group) return group.error();
  if (rules.empty()) return make_error("MissingParameter", "No permissions given");
  std::vector<SecurityGroupRule> added;
  for (auto& rule : rules) {
    auto valid = validate_rule(region, caller, **group, rule);
    if (!valid) return valid.error();
    auto duplicate = [&](const SecurityGroupRule& r) { return same_permission(r, *valid); };
    if (std::any_of((*group)->rules.begin(), (*group)->rules.end(), duplicate) ||
        std::any_of(added.begin(), added.end(), duplicate)) {
      std::string peer = valid->cidr.empty() ? valid->referenced_group_id : valid->cidr;
      return make_error("InvalidPermission.Duplicate",
                        "the specified rule \"peer: " + peer + ", " + valid->protocol +
                            ", from port: " + std::to_string(valid->from_port) + ", to port: " +
                            std::to_string(valid->to_port) + ", ALLOW\" already exists");
    }
    valid->id = caller.ids->resource_id("sgr");
    added.push_back(*valid);
  }
  if (static_cast<int>((*group)->rules.size() + added.size()) >
      caller.limits.rules_per_security_group) {
    return make_error("RulesPerSecurityGroupLimitExceeded",
                      "The maximum number of rules per security group has been reached.");
  }
  (*group)->rules.insert((*group)->rules.end(), added.begin(), added.end());
  return added;
}

Result<void> revoke_security_group(Region& region, const Caller& caller,
                                   const std::string& group_id, bool egress,
                                   const std::vector<SecurityGroupRule>& rules,
                                   const std::vector<std::string>& rule_ids) {
  auto group = find_group(region, caller, group_id);
  if (!group) return group.error();
  auto& existing = (*group)->rules;
  for (const auto& rule_id : rule_ids) {
    auto it = find_rule(existing, rule_id, egress);
    if (!it) return it.error();
    existing.erase(*it);
  }
  for (const auto& rule : rules) {
    auto it = find_permission(existing, rule, egress);
    if (!it) return it.error();
    existing.erase(*it);
  }
  return {};
}

Result<void> update_security_group_rule_descriptions(
    Region& region, const Caller& caller, const std::string& group_id, bool egress,
    const std::vector<SecurityGroupRule>& rules, const std::map<std::string, std::string>& by_id) {
  auto group = find_group(region, caller, group_id);
  if (!group) return group.error();
  auto& existing = (*group)->rules;
  if (rules.empty() && by_id.empty()) {
    return make_error("MissingParameter",
                      "The request must contain the parameter IpPermissions or "
                      "SecurityGroupRuleDescriptions");
  }
  for (const auto& rule : rules) {
    auto it = find_permission(existing, rule, egress);
    if (!it) return it.error();
    (*it)->description = rule.description;
  }
  for (const auto& [rule_id, description] : by_id) {
    auto it = find_rule(existing, rule_id, egress);
    if (!it) return it.error();
    (*it)->description = description;
  }
  return {};
}

Result<void> modify_security_group_rules(Region& region, const Caller& caller,
                                         const std::string& group_id,
                                         const std::vector<SecurityGroupRule>& updates) {
  auto group = find_group(region, caller, group_id);
  if (!group) return group.error();
  if (updates.empty()) {
    return make_error("MissingParameter",
                      "The request must contain the parameter SecurityGroupRule");
  }
  auto& existing = (*group)->rules;
  for (const auto& update : updates) {
    auto it = std::find_if(existing.begin(), existing.end(),
                           [&](const SecurityGroupRule& r) { return r.id == update.id; });
    if (it == existing.end()) {
      return make_error("InvalidSecurityGroupRuleId.NotFound",
                        "The security group rule ID '" + update.id + "' does not exist");
    }
    SecurityGroupRule changed = update;
    changed.egress = it->egress;
    auto valid = validate_rule(region, caller, **group, changed);
    if (!valid) return valid.error();
    bool duplicate = std::any_of(existing.begin(), existing.end(), [&](const SecurityGroupRule& r) {
      return r.id != it->id && same_permission(r, *valid);
    });
    if (duplicate) {
      return make_error("InvalidPermission.Duplicate",
                        "the specified rule already exists in security group " + group_id);
    }
    valid->id = it->id;
    valid->tags = it->tags;
    *it = *valid;
  }
  return {};
}

}  // namespace openvpc::model
