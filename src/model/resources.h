// resources.h — the VPC resources of a region, as plain data.
//
// Every resource names the account that owns it (owner); one account never sees another's.
// Ids look like EC2's ("vpc-" + 17 hex digits). References between resources are by id and the
// model operations (operations.h) keep them valid: a subnet's vpc_id names an existing VPC of
// the same owner, an interface's subnet exists, and so on. Each VPC carries its 24-bit VNI and
// each network interface its 32-bit number, both unique in the region: the data plane carries
// them in Geneve. Subnets, route tables, ACLs, groups, gateways and flow logs carry the number
// programs name them by (program_numbers.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace openvpc::model {

using Tags = std::map<std::string, std::string>;

struct Account {
  std::string id;  // 12 digits
  std::string name;
  bool admin = false;
  bool operator==(const Account&) const = default;
};

struct AccessKey {
  std::string access_key_id;
  std::string secret_access_key;
  std::string account_id;
  bool operator==(const AccessKey&) const = default;
};

struct VpcCidrAssociation {
  std::string association_id;  // vpc-cidr-assoc-...
  std::string cidr;
  bool operator==(const VpcCidrAssociation&) const = default;
};

struct Vpc {
  std::string id, owner, cidr;                        // cidr: the primary block
  std::vector<VpcCidrAssociation> cidr_associations;  // primary first
  uint32_t vni = 0;
  std::string dhcp_options_id = "default";
  bool enable_dns_support = true;
  bool enable_dns_hostnames = false;
  bool enable_network_address_usage_metrics = false;  // stored and reported; nothing is metered
  std::string main_route_table_id, default_network_acl_id, default_security_group_id;
  Tags tags;
  bool operator==(const Vpc&) const = default;
};

struct Subnet {
  std::string id, owner, vpc_id, cidr, availability_zone;
  uint32_t number = 0;  // region-unique program number (program_numbers.h)
  bool map_public_ip_on_launch = false;
  // Launch options EC2 keeps per subnet; stored and reported (no IPv6 or resource-name DNS
  // records exist here, so they change nothing in the data plane).
  bool assign_ipv6_address_on_creation = false;
  bool enable_dns64 = false;
  bool enable_resource_name_dns_a_record_on_launch = false;
  bool enable_resource_name_dns_aaaa_record_on_launch = false;
  std::string private_dns_hostname_type_on_launch = "ip-name";  // ip-name | resource-name
  Tags tags;
  bool operator==(const Subnet&) const = default;
};

struct Route {
  std::string destination_cidr;
  std::string gateway_id;            // "local" or igw-...
  std::string network_interface_id;  // eni-...
  std::string instance_id;           // i-...
  std::string origin = "CreateRoute";
  std::string nat_gateway_id = {};  // nat-...
  bool operator==(const Route&) const = default;
};

struct RouteTableAssociation {
  std::string id;         // rtbassoc-...
  std::string subnet_id;  // empty for the main association
  bool main = false;
  bool operator==(const RouteTableAssociation&) const = default;
};

struct RouteTable {
  std::string id, owner, vpc_id;
  uint32_t number = 0;  // region-unique program number (program_numbers.h)
  std::vector<Route> routes;
  std::vector<RouteTableAssociation> associations;
  Tags tags;
  bool operator==(const RouteTable&) const = default;
};

struct InternetGateway {
  std::string id, owner;
  uint32_t number = 0;          // region-unique program number (program_numbers.h)
  std::string attached_vpc_id;  // empty when detached
  Tags tags;
  bool operator==(const InternetGateway&) const = default;
};

// One permission of a security group, in the rule shape EC2 reports with sgr- ids.
struct SecurityGroupRule {
  std::string id;  // sgr-...
  bool egress = false;
  std::string protocol = "-1";  // "-1", "tcp", "udp", "icmp" or a number
  int from_port = -1, to_port = -1;
  std::string cidr;                 // IPv4 source/destination, or empty
  std::string referenced_group_id;  // sg-..., or empty
  std::string description;
  Tags tags;  // an sgr- id is taggable like any resource
  bool operator==(const SecurityGroupRule&) const = default;
};

struct SecurityGroup {
  std::string id, owner, vpc_id, name, description;
  uint32_t number = 0;  // region-unique program number (program_numbers.h)
  std::vector<SecurityGroupRule> rules;
  Tags tags;
  bool operator==(const SecurityGroup&) const = default;
};

struct NetworkAclEntry {
  int rule_number = 0;  // 1..32766; 32767 is the fixed "*" deny
  bool egress = false;
  std::string protocol = "-1";
  bool allow = true;
  std::string cidr;
  int from_port = -1, to_port = -1;    // tcp/udp
  int icmp_type = -1, icmp_code = -1;  // icmp
  bool operator==(const NetworkAclEntry&) const = default;
};

struct NetworkAclAssociation {
  std::string id;  // aclassoc-...
  std::string subnet_id;
  bool operator==(const NetworkAclAssociation&) const = default;
};

struct NetworkAcl {
  std::string id, owner, vpc_id;
  uint32_t number = 0;  // region-unique program number (program_numbers.h)
  bool is_default = false;
  std::vector<NetworkAclEntry> entries;  // sorted by (egress, rule_number)
  std::vector<NetworkAclAssociation> associations;
  Tags tags;
  bool operator==(const NetworkAcl&) const = default;
};

struct InterfaceAttachment {
  std::string id;  // eni-attach-...
  std::string instance_id;
  int device_index = 0;
  bool operator==(const InterfaceAttachment&) const = default;
};

struct NetworkInterface {
  std::string id, owner, vpc_id, subnet_id, availability_zone, description;
  uint32_t number = 0;  // region-unique, carried in Geneve
  std::string mac_address;
  std::string private_ip;
  std::vector<std::string> secondary_private_ips;
  std::vector<std::string> group_ids;
  bool source_dest_check = true;
  std::string host_id;  // the physical host the interface lives on, or empty
  // The public IPv4 address Amazon assigns at launch (MapPublicIpOnLaunch /
  // AssociatePublicIpAddress), or empty. Released while an elastic IP is on the primary
  // address; a new one is assigned when that elastic IP goes (auto_public_ip remembers).
  std::string public_ip;
  bool auto_public_ip = false;
  bool attached = false;
  InterfaceAttachment attachment;
  // "interface", or "nat_gateway" for the interface a NAT gateway owns (requester-managed:
  // the tenant cannot delete, modify or attach it).
  std::string interface_type = "interface";
  bool requester_managed = false;
  Tags tags;
  bool operator==(const NetworkInterface&) const = default;
};

struct Instance {
  std::string id, owner, vpc_id, subnet_id, image_id, instance_type, host_id;
  std::string availability_zone;
  std::string primary_interface_id;
  std::string private_ip;
  std::string state = "running";  // running | terminated
  std::string launch_time;        // ISO 8601
  Tags tags;
  bool operator==(const Instance&) const = default;
};

struct ElasticAddress {
  std::string allocation_id, owner, public_ip;
  std::string association_id;  // eipassoc-..., empty when unassociated
  std::string network_interface_id, private_ip, instance_id;
  Tags tags;
  bool operator==(const ElasticAddress&) const = default;
};

struct DhcpOptions {
  std::string id, owner;
  std::map<std::string, std::vector<std::string>> configurations;  // key -> values
  Tags tags;
  bool operator==(const DhcpOptions&) const = default;
};

struct FlowLog {
  std::string id, owner, resource_id;
  uint32_t number = 0;               // region-unique program number (program_numbers.h)
  std::string traffic_type = "ALL";  // ACCEPT | REJECT | ALL
  std::string log_destination;       // relative to the account's flow-log directory
  std::string log_format;
  int max_aggregation_interval = 600;
  std::string creation_time;
  Tags tags;
  bool operator==(const FlowLog&) const = default;
};

// One address of a NAT gateway: a private address of its interface and, for a public NAT
// gateway, the elastic IP associated with it.
struct NatGatewayAddress {
  std::string allocation_id, association_id, public_ip;  // empty for a private NAT gateway
  std::string network_interface_id, private_ip;
  bool is_primary = false;
  std::string status = "succeeded";  // assigning | succeeded | failed | disassociating
  bool operator==(const NatGatewayAddress&) const = default;
};

// A NAT gateway (nat_gateway.h): its interface in its subnet, up to 8 addresses, the hyperplane
// nodes it is placed on (placement.h) and its state in EC2's lifecycle.
struct NatGateway {
  std::string id, owner, vpc_id, subnet_id;
  uint32_t number = 0;                       // region-unique program number
  std::string connectivity_type = "public";  // public | private
  std::string state = "pending";             // pending | available | deleting | deleted | failed
  std::string failure_code, failure_message;
  std::string network_interface_id;  // empty once deleted, and for a failed one
  std::vector<NatGatewayAddress> addresses;
  std::vector<std::string> shard;  // hyperplane node ids, in slot order
  std::string create_time, delete_time;
  int64_t state_since = 0;  // seconds since the epoch: when the state last changed
  Tags tags;
  bool operator==(const NatGateway&) const = default;
};

// --- Elastic Load Balancing v2: network load balancers (load_balancer.h). Keyed by ARN.

// One subnet of a network load balancer: the interface it owns there and its addresses.
struct LoadBalancerAddress {
  std::string subnet_id, availability_zone, network_interface_id, private_ip;
  std::string allocation_id, association_id;  // an elastic IP (SubnetMappings), or empty
  std::string public_ip;  // internet-facing: the elastic IP, else one given like a launch IP
  bool operator==(const LoadBalancerAddress&) const = default;
};

struct LoadBalancer {
  std::string arn, id, owner, name, vpc_id;  // id: the ARN's 16 hex digits
  uint32_t number = 0;                       // region-unique program number
  std::string scheme = "internet-facing";    // internet-facing | internal
  std::string type = "network";
  std::string state = "provisioning";  // provisioning | active | active_impaired | failed
  std::string dns_name, created_time;
  std::vector<LoadBalancerAddress> addresses;  // one per subnet, in request order
  bool cross_zone = false;                     // load_balancing.cross_zone.enabled
  bool deletion_protection = false;            // deletion_protection.enabled
  std::vector<std::string> shard;              // hyperplane node ids, in slot order (placement.h)
  Tags tags;
  bool operator==(const LoadBalancer&) const = default;
};

struct LoadBalancerTarget {
  std::string id;  // i-... (instance target group) or an IPv4 address (ip)
  int port = 0;
  std::string availability_zone;
  int64_t draining_until = 0;  // deregistered: removed once this passes; 0 while registered
  // What the hyperplane nodes' health checks found: "" (not checked yet), healthy, unhealthy.
  // Only the controller sets it.
  std::string health;
  bool operator==(const LoadBalancerTarget&) const = default;
};

struct TargetGroup {
  std::string arn, id, owner, name, vpc_id;
  uint32_t number = 0;           // region-unique program number
  std::string protocol = "TCP";  // TCP | UDP | TCP_UDP
  int port = 0;
  std::string target_type = "instance";  // instance | ip
  bool health_check_enabled = true;
  std::string health_check_protocol = "TCP";  // TCP | HTTP
  std::string health_check_port = "traffic-port";
  std::string health_check_path;  // HTTP only
  int health_check_interval = 30, health_check_timeout = 10;
  int healthy_threshold = 5, unhealthy_threshold = 2;
  std::string matcher;  // HTTP only: e.g. "200-399"
  int deregistration_delay = 300;
  bool preserve_client_ip = true;
  bool stickiness = false;
  std::string stickiness_type = "source_ip";
  std::vector<LoadBalancerTarget> targets;
  Tags tags;
  bool operator==(const TargetGroup&) const = default;
};

struct Listener {
  std::string arn, owner, load_balancer_arn;
  std::string protocol = "TCP";  // TCP | UDP | TCP_UDP
  int port = 0;
  std::string target_group_arn;  // the default action: forward to this group
  Tags tags;
  bool operator==(const Listener&) const = default;
};

}  // namespace openvpc::model
