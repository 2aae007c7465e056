#include "model/region.h"

#include <nlohmann/json.hpp>

#include "model/program_numbers.h"

namespace openvpc::model {

// JSON field lists. Missing fields take the struct's defaults so that older snapshots load.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Account, id, name, admin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AccessKey, access_key_id, secret_access_key,
                                                account_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VpcCidrAssociation, association_id, cidr)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Vpc, id, owner, cidr, cidr_associations, vni,
                                                dhcp_options_id, enable_dns_support,
                                                enable_dns_hostnames,
                                                enable_network_address_usage_metrics,
                                                main_route_table_id, default_network_acl_id,
                                                default_security_group_id, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Subnet, id, owner, number, vpc_id, cidr,
                                                availability_zone, map_public_ip_on_launch,
                                                assign_ipv6_address_on_creation, enable_dns64,
                                                enable_resource_name_dns_a_record_on_launch,
                                                enable_resource_name_dns_aaaa_record_on_launch,
                                                private_dns_hostname_type_on_launch, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Route, destination_cidr, gateway_id,
                                                network_interface_id, instance_id, nat_gateway_id,
                                                origin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RouteTableAssociation, id, subnet_id, main)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RouteTable, id, owner, number, vpc_id, routes,
                                                associations, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InternetGateway, id, owner, number, attached_vpc_id,
                                                tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SecurityGroupRule, id, egress, protocol, from_port,
                                                to_port, cidr, referenced_group_id, description,
                                                tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SecurityGroup, id, owner, number, vpc_id, name,
                                                description, rules, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkAclEntry, rule_number, egress, protocol,
                                                allow, cidr, from_port, to_port, icmp_type,
                                                icmp_code)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkAclAssociation, id, subnet_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkAcl, id, owner, number, vpc_id, is_default,
                                                entries, associations, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InterfaceAttachment, id, instance_id, device_index)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkInterface, id, owner, vpc_id, subnet_id,
                                                availability_zone, description, number, mac_address,
                                                private_ip, secondary_private_ips, group_ids,
                                                source_dest_check, host_id, public_ip,
                                                auto_public_ip, attached, attachment,
                                                interface_type, requester_managed, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Instance, id, owner, vpc_id, subnet_id, image_id,
                                                instance_type, host_id, availability_zone,
                                                primary_interface_id, private_ip, state,
                                                launch_time, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ElasticAddress, allocation_id, owner, public_ip,
                                                association_id, network_interface_id, private_ip,
                                                instance_id, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DhcpOptions, id, owner, configurations, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FlowLog, id, owner, number, resource_id,
                                                traffic_type, log_destination, log_format,
                                                max_aggregation_interval, creation_time, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NatGatewayAddress, allocation_id, association_id,
                                                public_ip, network_interface_id, private_ip,
                                                is_primary, status)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NatGateway, id, owner, vpc_id, subnet_id, number,
                                                connectivity_type, state, failure_code,
                                                failure_message, network_interface_id, addresses,
                                                shard, create_time, delete_time, state_since, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadBalancerAddress, subnet_id, availability_zone,
                                                network_interface_id, private_ip, allocation_id,
                                                association_id, public_ip)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadBalancer, arn, id, owner, name, vpc_id, number,
                                                scheme, type, state, dns_name, created_time,
                                                addresses, cross_zone, deletion_protection, shard,
                                                tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadBalancerTarget, id, port, availability_zone,
                                                draining_until, health)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    TargetGroup, arn, id, owner, name, vpc_id, number, protocol, port, target_type,
    health_check_enabled, health_check_protocol, health_check_port, health_check_path,
    health_check_interval, health_check_timeout, healthy_threshold, unhealthy_threshold, matcher,
    deregistration_delay, preserve_client_ip, stickiness, stickiness_type, targets, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Listener, arn, owner, load_balancer_arn, protocol,
                                                port, target_group_arn, tags)

namespace {

// Calls visit(kind, map) for every resource map of a Region (const or not).
template <typename R, typename F>
void for_each_kind(R& region, F&& visit) {
  visit("account", region.accounts);
  visit("access-key", region.access_keys);
  visit("vpc", region.vpcs);
  visit("subnet", region.subnets);
  visit("route-table", region.route_tables);
  visit("internet-gateway", region.internet_gateways);
  visit("security-group", region.security_groups);
  visit("network-acl", region.network_acls);
  visit("network-interface", region.network_interfaces);
  visit("instance", region.instances);
  visit("address", region.addresses);
  visit("dhcp-options", region.dhcp_options);
  visit("flow-log", region.flow_logs);
  visit("nat-gateway", region.nat_gateways);
  visit("load-balancer", region.load_balancers);
  visit("target-group", region.target_groups);
  visit("listener", region.listeners);
  visit("client-token", region.client_tokens);
}

std::string key_of(std::string_view kind, const std::string& id) {
  return std::string(kRegionPrefix) + std::string(kind) + "/" + id;
}

}  // namespace

Result<Region> decode_region(const std::vector<store::KeyValue>& kvs) {
  Region region;
  for (const auto& kv : kvs) {
    if (kv.key.rfind(kRegionPrefix, 0) != 0) continue;
    std::string_view rest = std::string_view(kv.key).substr(kRegionPrefix.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return make_error("store.corrupt", "bad key " + kv.key);
    std::string_view kind = rest.substr(0, slash);
    std::string id(rest.substr(slash + 1));
    bool known = false;
    std::string failure;
    for_each_kind(region, [&](std::string_view k, auto& map) {
      if (k != kind) return;
      known = true;
      try {
        map[id] = nlohmann::json::parse(kv.value)
                      .get<typename std::decay_t<decltype(map)>::mapped_type>();
      } catch (const std::exception& e) {
        failure = e.what();
      }
    });
    if (!known) return make_error("store.corrupt", "unknown kind in key " + kv.key);
    if (!failure.empty()) return make_error("store.corrupt", kv.key + ": " + failure);
  }
  number_unnumbered(region);  // snapshots written before program numbers were stored
  return region;
}

std::vector<store::Operation> diff_region(const Region& before, const Region& after) {
  std::vector<store::Operation> ops;
  for_each_kind(before, [&](std::string_view kind, const auto& old_map) {
    // Find the matching map in `after` by kind.
    for_each_kind(after, [&](std::string_view kind2, const auto& new_map) {
      if constexpr (std::is_same_v<std::decay_t<decltype(old_map)>,
                                   std::decay_t<decltype(new_map)>>) {
        if (kind != kind2) return;
        std::vector<store::Operation> puts;
        diff_resource_maps(
            old_map, new_map,
            [&](const std::string& id) {
              ops.push_back({store::Operation::Kind::erase, key_of(kind, id), {}});
            },
            [&](const std::string& id, const auto& value) {
              puts.push_back(
                  {store::Operation::Kind::put, key_of(kind, id), nlohmann::json(value).dump()});
            });
        std::move(puts.begin(), puts.end(), std::back_inserter(ops));
      }
    });
  });
  return ops;
}

}  // namespace openvpc::model
