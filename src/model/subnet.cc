// Subnets: inside one of the VPC's CIDR blocks, /16 to /28, never overlapping a sibling.
#include <algorithm>
#include <utility>

#include "model/cidr.h"
#include "model/operations.h"
#include "model/program_numbers.h"

namespace openvpc::model {

std::vector<std::string> availability_zones(const Caller& caller) {
  return {caller.region + "a", caller.region + "b", caller.region + "c"};
}

Result<std::string> create_subnet(Region& region, const Caller& caller, const std::string& vpc_id,
                                  std::string_view cidr, std::string availability_zone) {
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  auto block = parse_ipv4_block(cidr);
  if (!block) return block.error();
  if (block->prefix_length < 16 || block->prefix_length > 28) {
    return make_error("InvalidSubnet.Range", "The CIDR '" + std::string(cidr) + "' is invalid.");
  }
  bool inside =
      std::any_of((*vpc)->cidr_associations.begin(), (*vpc)->cidr_associations.end(),
                  [&](const auto& a) { return parse_ipv4_block(a.cidr)->contains(*block); });
  if (!inside) {
    return make_error("InvalidSubnet.Range", "The CIDR '" + std::string(cidr) + "' is invalid.");
  }
  int count = 0;
  for (const auto& [id, subnet] : std::as_const(region.subnets)) {
    if (subnet.vpc_id != vpc_id) continue;
    ++count;
    if (parse_ipv4_block(subnet.cidr)->overlaps(*block)) {
      return make_error("InvalidSubnet.Conflict",
                        "The CIDR '" + block->to_string() + "' conflicts with another subnet");
    }
  }
  if (count >= caller.limits.subnets_per_vpc) {
    return make_error("SubnetLimitExceeded", "The maximum number of subnets has been reached.");
  }
  auto zones = availability_zones(caller);
  if (availability_zone.empty()) availability_zone = zones.front();
  if (std::find(zones.begin(), zones.end(), availability_zone) == zones.end()) {
    return invalid_parameter("Value (" + availability_zone +
                             ") for parameter availabilityZone is invalid.");
  }
  Subnet subnet{.id = caller.ids->resource_id("subnet"),
                .owner = caller.account_id,
                .vpc_id = vpc_id,
                .cidr = block->to_string(),
                .availability_zone = std::move(availability_zone),
                .number = new_program_number(region, *caller.ids),
                .map_public_ip_on_launch = false,
                .tags = {}};
  auto& acl = region.network_acls[(*vpc)->default_network_acl_id];
  acl.associations.push_back({caller.ids->resource_id("aclassoc"), subnet.id});
  std::string id = subnet.id;
  region.subnets[id] = std::move(subnet);
  return id;
}

Result<void> delete_subnet(Region& region, const Caller& caller, const std::string& subnet_id) {
  auto subnet = find_owned(region.subnets, caller, subnet_id, "InvalidSubnetID.NotFound", "subnet");
  if (!subnet) return subnet.error();
  bool busy = std::any_of(region.network_interfaces.cbegin(), region.network_interfaces.cend(),
                          [&](const auto& e) { return e.second.subnet_id == subnet_id; });
  if (busy) {
    return dependency_violation("The subnet '" + subnet_id +
                                "' has dependencies and cannot be deleted.");
  }
  for (auto& [id, table] : region.route_tables) {
    std::erase_if(table.associations, [&](const auto& a) { return a.subnet_id == subnet_id; });
  }
  for (auto& [id, acl] : region.network_acls) {
    std::erase_if(acl.associations, [&](const auto& a) { return a.subnet_id == subnet_id; });
  }
  erase_if(region.flow_logs, [&](const auto& e) { return e.second.resource_id == subnet_id; });
  region.subnets.erase(subnet_id);
  return {};
}

Result<void> modify_subnet_attribute(Region& region, const Caller& caller,
                                     const std::string& subnet_id, std::string_view attribute,
                                     std::string_view value) {
  auto subnet = find_owned(region.subnets, caller, subnet_id, "InvalidSubnetID.NotFound", "subnet");
  if (!subnet) return subnet.error();
  Subnet& s = **subnet;
  auto invalid = [&] {
    return invalid_parameter("Value (" + std::string(value) + ") for parameter " +
                             std::string(attribute) + " is invalid.");
  };
  if (attribute == "privateDnsHostnameTypeOnLaunch") {
    if (value != "ip-name" && value != "resource-name") return invalid();
    s.private_dns_hostname_type_on_launch = std::string(value);
    return {};
  }
  const std::pair<std::string_view, bool*> flags[] = {
      {"mapPublicIpOnLaunch", &s.map_public_ip_on_launch},
      {"assignIpv6AddressOnCreation", &s.assign_ipv6_address_on_creation},
      {"enableDns64", &s.enable_dns64},
      {"enableResourceNameDnsARecordOnLaunch", &s.enable_resource_name_dns_a_record_on_launch},
      {"enableResourceNameDnsAAAARecordOnLaunch",
       &s.enable_resource_name_dns_aaaa_record_on_launch}};
  for (const auto& [name, field] : flags) {
    if (name != attribute) continue;
    if (value != "true" && value != "false") return invalid();
    *field = value == "true";
    return {};
  }
  return invalid_parameter("Value (" + std::string(attribute) +
                           ") for parameter attribute is invalid.");
}

}  // namespace openvpc::model
