// Network ACLs: numbered stateless rules per direction (1..32766, the fixed "*" deny is 32767),
// one ACL per subnet (the VPC's default until replaced).
#include <algorithm>

#include "model/cidr.h"
#include "model/operations.h"
#include "model/program_numbers.h"

namespace openvpc::model {

namespace {

constexpr int kLastRuleNumber = 32766;

Result<NetworkAcl*> find_acl(Region& region, const Caller& caller, const std::string& id) {
  return find_owned(region.network_acls, caller, id, "InvalidNetworkAclID.NotFound", "network ACL");
}

void sort_entries(NetworkAcl& acl) {
  std::sort(acl.entries.begin(), acl.entries.end(), [](const auto& a, const auto& b) {
    return std::pair{a.egress, a.rule_number} < std::pair{b.egress, b.rule_number};
  });
}

Result<NetworkAclEntry> validate_entry(NetworkAclEntry entry) {
  if (entry.rule_number < 1 || entry.rule_number > kLastRuleNumber) {
    return invalid_parameter("Value (" + std::to_string(entry.rule_number) +
                             ") for parameter ruleNumber is invalid. Expected a value between 1 "
                             "and 32766.");
  }
  auto block = parse_ipv4_block(entry.cidr);
  if (!block) return block.error();
  entry.cidr = block->to_string();
  static const std::map<std::string, std::string> kNames = {
      {"-1", "-1"},  {"all", "-1"}, {"tcp", "6"},  {"6", "6"},
      {"udp", "17"}, {"17", "17"},  {"icmp", "1"}, {"1", "1"}};
  if (auto it = kNames.find(entry.protocol); it != kNames.end()) {
    entry.protocol = it->second;
  } else if (entry.protocol.empty() || entry.protocol.size() > 3 ||
             !std::all_of(entry.protocol.begin(), entry.protocol.end(), ::isdigit) ||
             std::stoi(entry.protocol) > 255) {
    return invalid_parameter("Invalid value '" + entry.protocol + "' for protocol");
  }
  if (entry.protocol == "6" || entry.protocol == "17") {
    if (entry.from_port < 0 || entry.to_port > 65535 || entry.from_port > entry.to_port) {
      return invalid_parameter("Invalid port range for TCP/UDP rule");
    }
  } else {
    entry.from_port = entry.to_port = -1;
  }
  if (entry.protocol != "1") entry.icmp_type = entry.icmp_code = -1;
  return entry;
}

}  // namespace

Result<std::string> create_network_acl(Region& region, const Caller& caller,
                                       const std::string& vpc_id) {
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  auto count = std::count_if(region.network_acls.cbegin(), region.network_acls.cend(),
                             [&](const auto& e) { return e.second.vpc_id == vpc_id; });
  if (count >= caller.limits.network_acls_per_vpc) {
    return make_error("NetworkAclLimitExceeded",
                      "The maximum number of network ACLs has been reached.");
  }
  NetworkAcl acl = make_network_acl(caller, **vpc, false);
  acl.number = new_program_number(region, *caller.ids);
  std::string id = acl.id;
  region.network_acls[id] = std::move(acl);
  return id;
}

Result<void> delete_network_acl(Region& region, const Caller& caller, const std::string& id) {
  auto acl = find_acl(region, caller, id);
  if (!acl) return acl.error();
  if ((*acl)->is_default) return invalid_parameter("cannot delete default network ACL " + id);
  if (!(*acl)->associations.empty()) {
    return dependency_violation("The networkAcl '" + id +
                                "' has dependencies and cannot be deleted.");
  }
  region.network_acls.erase(id);
  return {};
}

Result<void> create_network_acl_entry(Region& region, const Caller& caller,
                                      const std::string& acl_id, const NetworkAclEntry& entry,
                                      bool replace) {
  auto acl = find_acl(region, caller, acl_id);
  if (!acl) return acl.error();
  auto valid = validate_entry(entry);
  if (!valid) return valid.error();
  auto& entries = (*acl)->entries;
  auto it = std::find_if(entries.begin(), entries.end(), [&](const NetworkAclEntry& e) {
    return e.egress == valid->egress && e.rule_number == valid->rule_number;
  });
  std::string number = std::to_string(valid->rule_number);
  if (replace) {
    if (it == entries.end()) {
      return make_error("InvalidNetworkAclEntry.NotFound",
                        "The network acl entry identified by " + number + " does not exist");
    }
    *it = *valid;
    return {};
  }
  if (it != entries.end()) {
    return make_error("NetworkAclEntryAlreadyExists",
                      "The network acl entry identified by " + number + " already exists.");
  }
  auto direction_count = std::count_if(entries.begin(), entries.end(), [&](const auto& e) {
    return e.egress == valid->egress && e.rule_number <= kLastRuleNumber;
  });
  if (direction_count >= caller.limits.entries_per_network_acl) {
    return make_error("NetworkAclEntryLimitExceeded",
                      "The maximum number of network ACL entries has been reached.");
  }
  entries.push_back(*valid);
  sort_entries(**acl);
  return {};
}

Result<void> delete_network_acl_entry(Region& region, const Caller& caller,
                                      const std::string& acl_id, int rule_number, bool egress) {
  auto acl = find_acl(region, caller, acl_id);
  if (!acl) return acl.error();
  auto& entries = (*acl)->entries;
  auto it = std::find_if(entries.begin(), entries.end(), [&](const NetworkAclEntry& e) {
    return e.egress == egress && e.rule_number == rule_number;
  });
  if (it == entries.end() || rule_number > kLastRuleNumber) {
    return make_error(
        "InvalidNetworkAclEntry.NotFound",
        "The network acl entry identified by " + std::to_string(rule_number) + " does not exist");
  }
  entries.erase(it);
  return {};
}

Result<std::string> replace_network_acl_association(Region& region, const Caller& caller,
                                                    const std::string& association_id,
                                                    const std::string& acl_id) {
  auto target = find_acl(region, caller, acl_id);
  if (!target) return target.error();
  for (auto& [id, acl] : region.network_acls) {
    if (acl.owner != caller.account_id) continue;
    auto it = std::find_if(acl.associations.begin(), acl.associations.end(),
                           [&](const auto& a) { return a.id == association_id; });
    if (it == acl.associations.end()) continue;
    if (acl.vpc_id != (*target)->vpc_id) {
      return invalid_parameter("Network ACL " + acl_id + " belongs to a different network");
    }
    NetworkAclAssociation association{caller.ids->resource_id("aclassoc"), it->subnet_id};
    acl.associations.erase(it);
    (*target)->associations.push_back(association);
    return association.id;
  }
  return make_error("InvalidAssociationID.NotFound",
                    "The association ID '" + association_id + "' does not exist");
}

}  // namespace openvpc::model
