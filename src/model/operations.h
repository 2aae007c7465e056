// operations.h — the changes a tenant can make to a Region, validated the way EC2 validates.
//
// Each operation takes the Region to change (a private copy inside a RegionStore::mutate), the
// Caller (account, limits, id source, clock), and plain arguments; it either applies the whole
// change and returns what it created, or returns an Error with EC2's code and leaves the Region
// as it was (operations validate before they write). Resources of other accounts are invisible:
// naming one yields the same ...NotFound as a missing id.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/ids.h"
#include "model/region.h"
#include "program/program.h"

namespace openvpc::model {

struct Limits {  // EC2's default quotas; the controller lets an operator change them
  int vpcs_per_account = 5;
  int cidr_blocks_per_vpc = 5;
  int subnets_per_vpc = 200;
  int route_tables_per_vpc = 200;
  int routes_per_table = 50;
  int internet_gateways_per_account = 5;
  int security_groups_per_vpc = 2500;
  int rules_per_security_group = 60;
  int security_groups_per_interface = 5;
  int network_acls_per_vpc = 200;
  int entries_per_network_acl = 20;  // per direction
  int network_interfaces_per_account = 5000;
  int instances_per_account = 1000;
  int elastic_ips_per_account = 5;
  int dhcp_options_per_account = 1000;
  int flow_logs_per_resource = 2;
  int load_balancers_per_account = 50;  // Elastic Load Balancing's network load balancer quota
  int target_groups_per_account = 3000;
  int targets_per_target_group = 1000;
};

// The region's public IPv4 pools (the controller's --public-pool flags): elastic IPs and the
// public IPs given at launch come from here, lowest free address first.
inline const std::vector<std::string> kDefaultPublicPools = {"198.51.100.0/24"};

struct Caller {
  std::string account_id;
  std::string region = "us-east-1";
  Limits limits;
  std::vector<std::string> public_pools = kDefaultPublicPools;
  IdSource* ids = nullptr;
  int64_t now = 0;  // seconds since the epoch
};

// Looks up a resource the caller owns; Error{not_found_code} otherwise.
template <typename Map>
Result<typename Map::mapped_type*> find_owned(Map& map, const Caller& caller, const std::string& id,
                                              std::string_view not_found_code,
                                              std::string_view noun) {
  auto it = map.find(id);
  if (it == map.end() || it->second.owner != caller.account_id) {
    return make_error(std::string(not_found_code),
                      "The " + std::string(noun) + " ID '" + id + "' does not exist");
  }
  return &it->second;
}

Error invalid_parameter(std::string_view message);
Error dependency_violation(std::string_view message);

// Building blocks shared by the operations (vpc.cc).
NetworkAcl make_network_acl(const Caller& caller, const Vpc& vpc, bool is_default);
SecurityGroup make_security_group(const Caller& caller, const std::string& vpc_id,
                                  std::string_view name, std::string_view description);
std::vector<std::string> availability_zones(const Caller& caller);

// --- VPCs (vpc.cc)
Result<std::string> create_vpc(Region& region, const Caller& caller, std::string_view cidr);
Result<void> delete_vpc(Region& region, const Caller& caller, const std::string& vpc_id);
Result<void> modify_vpc_attribute(Region& region, const Caller& caller, const std::string& vpc_id,
                                  std::string_view attribute, bool value);
Result<std::string> associate_vpc_cidr_block(Region& region, const Caller& caller,
                                             const std::string& vpc_id, std::string_view cidr);

// --- subnets (subnet.cc)
Result<std::string> create_subnet(Region& region, const Caller& caller, const std::string& vpc_id,
                                  std::string_view cidr, std::string availability_zone);
Result<void> delete_subnet(Region& region, const Caller& caller, const std::string& subnet_id);
// attribute: EC2's name in lower camel case (mapPublicIpOnLaunch, assignIpv6AddressOnCreation,
// enableDns64, enableResourceNameDnsARecordOnLaunch, enableResourceNameDnsAAAARecordOnLaunch:
// "true"/"false"; privateDnsHostnameTypeOnLaunch: ip-name/resource-name).
Result<void> modify_subnet_attribute(Region& region, const Caller& caller,
                                     const std::string& subnet_id, std::string_view attribute,
                                     std::string_view value);

// --- route tables (route_table.cc)
struct RouteTarget {
  std::string gateway_id, network_interface_id, instance_id;
  std::string nat_gateway_id = {};  // defaulted: three-target initialisers stay valid
};
Result<std::string> create_route_table(Region& region, const Caller& caller,
                                       const std::string& vpc_id);
Result<void> delete_route_table(Region& region, const Caller& caller, const std::string& id);
Result<std::string> associate_route_table(Region& region, const Caller& caller,
                                          const std::string& route_table_id,
                                          const std::string& subnet_id);
Result<void> disassociate_route_table(Region& region, const Caller& caller,
                                      const std::string& association_id);
Result<std::string> replace_route_table_association(Region& region, const Caller& caller,
                                                    const std::string& association_id,
                                                    const std::string& route_table_id);
Result<void> create_route(Region& region, const Caller& caller, const std::string& route_table_id,
                          std::string_view destination, const RouteTarget& target, bool replace);
Result<void> delete_route(Region& region, const Caller& caller, const std::string& route_table_id,
                          std::string_view destination);
// What a route of `table` leads to now: the VPC (local), an interface's ENI number (interface
// routes, and instance routes while the instance runs), the number of an internet gateway
// attached to the table's VPC — or nothing: a blackhole, when the target was deleted, detached
// or stopped. The compiler programs exactly this, and DescribeRouteTables reports its state
// from it, so the API never says "active" for a route the data plane drops.
struct RouteReach {
  program::RouteTargetKind kind = program::RouteTargetKind::blackhole;
  uint32_t number = 0;  // the ENI's or the gateway's program number
};
RouteReach route_reach(const Region& region, const RouteTable& table, const Route& route);
inline bool route_active(const Region& region, const RouteTable& table, const Route& route) {
  return route_reach(region, table, route).kind != program::RouteTargetKind::blackhole;
}

// --- internet gateways (internet_gateway.cc)
Result<std::string> create_internet_gateway(Region& region, const Caller& caller);
Result<void> attach_internet_gateway(Region& region, const Caller& caller, const std::string& id,
                                     const std::string& vpc_id);
Result<void> detach_internet_gateway(Region& region, const Caller& caller, const std::string& id,
                                     const std::string& vpc_id);
Result<void> delete_internet_gateway(Region& region, const Caller& caller, const std::string& id);

// --- security groups (security_group.cc)
Result<std::string> create_security_group(Region& region, const Caller& caller,
                                          const std::string& vpc_id, std::string_view name,
                                          std::string_view description);
Result<void> delete_security_group(Region& region, const Caller& caller, const std::string& id);
// Adds rules (ids assigned here); InvalidPermission.Duplicate if any exists already.
Result<std::vector<SecurityGroupRule>> authorize_security_group(
    Region& region, const Caller& caller, const std::string& group_id,
    std::vector<SecurityGroupRule> rules);
// Removes rules matching the given permissions or ids; InvalidPermission.NotFound otherwise.
Result<void> revoke_security_group(Region& region, const Caller& caller,
                                   const std::string& group_id, bool egress,
                                   const std::vector<SecurityGroupRule>& rules,
                                   const std::vector<std::string>& rule_ids);
// UpdateSecurityGroupRuleDescriptions*: sets the description of each rule matching one of
// rules (peer, protocol, ports; InvalidPermission.NotFound otherwise) and of each rule id in
// by_id (InvalidSecurityGroupRuleId.NotFound otherwise).
Result<void> update_security_group_rule_descriptions(
    Region& region, const Caller& caller, const std::string& group_id, bool egress,
    const std::vector<SecurityGroupRule>& rules, const std::map<std::string, std::string>& by_id);
// ModifySecurityGroupRules: each update names an existing rule of the group by id and replaces
// its peer, protocol, ports and description (validated as on authorize); id, direction and tags
// stay.
Result<void> modify_security_group_rules(Region& region, const Caller& caller,
                                         const std::string& group_id,
                                         const std::vector<SecurityGroupRule>& updates);

// --- network ACLs (network_acl.cc)
Result<std::string> create_network_acl(Region& region, const Caller& caller,
                                       const std::string& vpc_id);
Result<void> delete_network_acl(Region& region, const Caller& caller, const std::string& id);
Result<void> create_network_acl_entry(Region& region, const Caller& caller,
                                      const std::string& acl_id, const NetworkAclEntry& entry,
                                      bool replace);
Result<void> delete_network_acl_entry(Region& region, const Caller& caller,
                                      const std::string& acl_id, int rule_number, bool egress);
Result<std::string> replace_network_acl_association(Region& region, const Caller& caller,
                                                    const std::string& association_id,
                                                    const std::string& acl_id);

// --- network interfaces (network_interface.cc)
struct InterfaceRequest {
  std::string subnet_id;
  std::string private_ip;              // empty: the first free address
  std::vector<std::string> group_ids;  // empty: the VPC's default group
  std::string description;
  int secondary_count = 0;
};
Result<std::string> create_network_interface(Region& region, const Caller& caller,
                                             const InterfaceRequest& request);
Result<void> delete_network_interface(Region& region, const Caller& caller, const std::string& id);
Result<void> modify_network_interface(Region& region, const Caller& caller, const std::string& id,
                                      std::optional<bool> source_dest_check,
                                      const std::vector<std::string>& group_ids);
Result<std::string> attach_network_interface(Region& region, const Caller& caller,
                                             const std::string& id, const std::string& instance_id,
                                             int device_index);
Result<void> detach_network_interface(Region& region, const Caller& caller,
                                      const std::string& attachment_id);
Result<std::vector<std::string>> assign_private_ip_addresses(
    Region& region, const Caller& caller, const std::string& id,
    const std::vector<std::string>& addresses, int count);

// --- instances (instance.cc)
struct InstanceRequest {
  InterfaceRequest network;
  // AssociatePublicIpAddress of the primary interface; unset: the subnet's
  // MapPublicIpOnLaunch decides.
  std::optional<bool> associate_public_ip;
  std::string image_id, instance_type = "t3.micro", host_id;
  int count = 1;
};
Result<std::vector<std::string>> run_instances(Region& region, const Caller& caller,
                                               const InstanceRequest& request);
// Returns the previous state of each instance.
Result<std::vector<std::string>> terminate_instances(Region& region, const Caller& caller,
                                                     const std::vector<std::string>& ids);

// --- elastic IPs and public IPs (address.cc)
Result<std::string> allocate_address(Region& region, const Caller& caller);
struct AssociateAddressRequest {
  std::string allocation_id, instance_id, network_interface_id, private_ip;
  bool allow_reassociation = false;
};
Result<std::string> associate_address(Region& region, const Caller& caller,
                                      const AssociateAddressRequest& request);
Result<void> disassociate_address(Region& region, const Caller& caller,
                                  const std::string& association_id);
Result<void> release_address(Region& region, const Caller& caller,
                             const std::string& allocation_id);
// The lowest free address of the caller's public pools (elastic and launch-time public IPs
// share them); InsufficientAddressCapacity when none is left.
Result<std::string> claim_public_ip(const Region& region, const Caller& caller);

// The public IPv4 address of one private address of an interface: an associated elastic IP,
// else (primary address only) the public IP given at launch.
struct PublicAddress {
  std::string public_ip;
  std::string allocation_id, association_id;  // empty for a launch-time public IP
  std::string ip_owner;                       // the account, or "amazon"
};
std::optional<PublicAddress> public_address_of(const Region& region, const NetworkInterface& eni,
                                               const std::string& private_ip);

// --- DHCP options, tags, flow logs (dhcp_options.cc, tags.cc, flow_log.cc)
Result<std::string> create_dhcp_options(
    Region& region, const Caller& caller,
    const std::map<std::string, std::vector<std::string>>& configurations);
// The account's default set, as EC2 gives every account one: domain-name ec2.internal in
// us-east-1 (REGION.compute.internal elsewhere) and AmazonProvidedDNS. New VPCs get it; it is
// created on first use (and again if the account deleted it), and an owned set with exactly
// these options counts as it. AssociateDhcpOptions "default" still means no options at all.
std::map<std::string, std::vector<std::string>> default_dhcp_configurations(
    const std::string& region_name);
std::string default_dhcp_options(Region& region, const Caller& caller);
Result<void> associate_dhcp_options(Region& region, const Caller& caller,
                                    const std::string& dhcp_options_id, const std::string& vpc_id);
Result<void> delete_dhcp_options(Region& region, const Caller& caller, const std::string& id);
// The tags of any resource the caller owns, by id; InvalidID / ...NotFound otherwise.
Result<Tags*> find_tags(Region& region, const Caller& caller, const std::string& resource_id);
Result<void> create_tags(Region& region, const Caller& caller, const std::vector<std::string>& ids,
                         const Tags& tags);
// Removes keys; a key mapped to a value removes only if the value matches ("" = any value).
Result<void> delete_tags(Region& region, const Caller& caller, const std::vector<std::string>& ids,
                         const std::map<std::string, std::optional<std::string>>& tags);
Result<std::vector<std::string>> create_flow_logs(Region& region, const Caller& caller,
                                                  const std::vector<std::string>& resource_ids,
                                                  std::string_view traffic_type,
                                                  std::string_view destination,
                                                  std::string_view log_format,
                                                  int max_aggregation_interval);
Result<void> delete_flow_logs(Region& region, const Caller& caller,
                              const std::vector<std::string>& ids);

}  // namespace openvpc::model
