// program.h — the per-host program: everything one router needs, as plain data.
//
// The control plane (src/model, the mapping service) emits a Program for each host; the
// protocol carries it; the data plane compiles it into fast tables (dataplane/compiled_program.h)
// and swaps it in atomically. This header is the only vocabulary the two sides share, so it
// holds values only: no pointers, no behaviour beyond the normalised text dump.
//
// Invariants the producer keeps (dataplane::compile() checks them and refuses otherwise):
// - identifiers are unique within their kind and every reference resolves (an ENI's subnet and
//   groups, a subnet's VPC, ACL and route table, a route's ENI target);
// - a VPC's number is its 24-bit VNI; an ENI's number is the 32-bit id carried in Geneve;
// - SecurityGroup::member_addresses already holds the resolved private addresses of every
//   ENI in that group (local or remote), so a rule naming the group can match addresses;
// - mappings cover every address of the VPCs this host talks to, including its own ENIs;
// - a flow log lists only ENIs of this program (its ENIs on this host), sorted, no duplicates;
// - an edge node's program (src/edge) has no ENIs: its VPCs are those with an attached
//   internet gateway and its mappings are their addresses that have a public address;
// - a hyperplane node's program (src/hyperplane) has only its host_underlay, the edge nodes,
//   the NAT gateways and load balancers placed on it, and the gateways' subnets (route_table 0)
//   with their network ACLs: it learns its flows' addresses from the flows.
// Protocol numbers are IANA numbers; kAllProtocols (-1) matches any (the AWS "-1").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "program/cidr.h"

namespace openvpc::program {

inline constexpr int kAllProtocols = -1;
inline constexpr int kAnyIcmpValue = -1;

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 65535;
  bool contains(uint16_t port) const { return port >= first && port <= last; }
  bool is_all() const { return first == 0 && last == 65535; }
  auto operator<=>(const PortRange&) const = default;
};

// What a rule matches besides addresses. For TCP/UDP `ports` is the destination port range;
// for ICMP, icmp_type/icmp_code (-1: any); other protocols match on the number alone.
struct TrafficMatch {
  int protocol = kAllProtocols;
  PortRange ports;
  int icmp_type = kAnyIcmpValue;
  int icmp_code = kAnyIcmpValue;
  auto operator<=>(const TrafficMatch&) const = default;
};

enum class Direction : uint8_t { ingress, egress };

struct Vpc {
  uint32_t id = 0;  // 24-bit VNI
  std::string name;
  std::vector<Cidr> cidrs;     // primary first
  bool dns_support = true;     // enableDnsSupport: the resolver at base+2 answers
  bool dns_hostnames = false;  // enableDnsHostnames: ip-a-b-c-d names and PTR records
};

struct Subnet {
  uint32_t id = 0;
  std::string name;
  uint32_t vpc = 0;
  Cidr cidr;
  uint32_t network_acl = 0;
  uint32_t route_table = 0;
};

enum class RouteTargetKind : uint8_t {
  local,  // the VPC's own CIDR: resolved by the mappings
  eni,    // an ENI (a NAT instance, an appliance)
  internet_gateway,
  nat_gateway,
  peering,
  vpn_gateway,
  blackhole,  // the target was deleted
};

struct Route {
  Cidr destination;
  RouteTargetKind target = RouteTargetKind::local;
  uint32_t target_id = 0;  // the ENI or gateway number; 0 for local and blackhole
};

struct RouteTable {
  uint32_t id = 0;
  std::string name;
  uint32_t vpc = 0;
  std::vector<Route> routes;
};

struct SecurityGroupRule {
  Direction direction = Direction::ingress;
  TrafficMatch traffic;
  Cidr peer;                      // used when referenced_group == 0
  uint32_t referenced_group = 0;  // non-zero: the peer is that group's member addresses
};

struct SecurityGroup {
  uint32_t id = 0;
  std::string name;
  uint32_t vpc = 0;
  std::vector<SecurityGroupRule> rules;
  std::vector<IpAddress> member_addresses;  // resolved by the control plane
};

enum class AclAction : uint8_t { allow, deny };

struct NetworkAclEntry {
  uint16_t rule_number = 100;  // 1-32766; lowest first; first match wins
  Direction direction = Direction::ingress;
  TrafficMatch traffic;
  Cidr cidr;  // the peer: source for ingress, destination for egress
  AclAction action = AclAction::deny;
};

// Entries need not be sorted. The final `*` deny rule is implicit and not listed.
struct NetworkAcl {
  uint32_t id = 0;
  std::string name;
  uint32_t vpc = 0;
  std::vector<NetworkAclEntry> entries;
};

// An ENI attached on this host.
struct Eni {
  uint32_t id = 0;
  std::string name;
  uint32_t subnet = 0;
  MacAddress mac;
  std::vector<IpAddress> private_addresses;  // primary first
  std::vector<uint32_t> security_groups;
  bool source_dest_check = true;
  std::string instance_id{};  // the instance it is attached to here; empty: none
  std::string hostname{};     // the instance's private name, "ip-10-0-1-5"; empty: none
};

// (VPC, address) -> where it lives. Includes this host's own ENIs.
struct Mapping {
  uint32_t vpc = 0;
  IpAddress address;
  IpAddress underlay;  // the host's underlay address
  uint32_t eni = 0;
  bool source_dest_check = true;  // of that ENI, for the isolation rule
  // The public IPv4 address the internet gateway maps this private address to (an elastic IP
  // or the public IP given at launch), if any: what the edge translates, what a router checks
  // before it sends a packet toward the internet gateway, what public DNS names resolve from.
  std::optional<IpAddress> public_address{};
  // Non-zero: the address is a NAT gateway's (that gateway's id in Program::nat_gateways), served
  // by its hyperplane shard rather than by one host; `underlay` is then unused.
  uint32_t nat_gateway = 0;
  // Non-zero: the address is a network load balancer's (that load balancer's id in
  // Program::load_balancers), served by its hyperplane shard; `underlay` is then unused.
  uint32_t load_balancer = 0;
};

// A NAT gateway as the hosts that carry its packets see it (DESIGN.md §7, src/hyperplane). A
// router whose route tables target it sends each flow to one node of its shard, chosen by flow
// hash; the edge sends a packet for one of its addresses to the node owning the destination
// port (hyperplane/port_space.h: each slot owns a range of every address's ports); the
// shard's nodes translate. `nodes` has one entry per slot; an unspecified address (0.0.0.0)
// marks a slot whose node is not up, and senders then use the next slot's node (its
// successor, which holds replicas of its flows).
struct NatGateway {
  uint32_t id = 0;   // program number: a route's target_id
  std::string name;  // "nat-..."
  uint32_t vpc = 0;
  uint32_t eni = 0;                  // its interface's number (the Geneve option's ENI ids)
  bool is_public = true;             // connectivity type public: leaves by the internet gateway
  std::vector<IpAddress> addresses;  // private; primary first (EC2: up to 8)
  std::vector<IpAddress> nodes;      // the shard's underlay addresses, in slot order
  // Hyperplane nodes only (0 elsewhere): the subnet it is in, carried in Program::subnets with
  // its network ACL in Program::network_acls, which the nodes apply to its traffic.
  uint32_t subnet = 0;
};

// A network load balancer (Elastic Load Balancing v2, DESIGN.md §7, src/hyperplane) as the hosts
// that carry its packets see it. Its addresses (one interface per subnet) are served by its
// hyperplane shard: a router sends a client's packets for one of them to the node of slot
// load_balancer_slot(client address, client port) (dataplane/nat_shard.h; the next live slot
// when that node is down). The node picks a target, rewrites the destination to it (the client's
// address is kept: preserve_client_ip) and sends it to the target's host with source ENI = the
// load balancer's interface and the from-hyperplane flag; the target's router remembers that in
// the connection and sends the replies back to the shard node of the same slot, which restores
// the listener's address. Routers get id, name, vpc, interfaces and nodes; the shard's nodes get
// listeners and target groups too.
struct LoadBalancerInterface {
  uint32_t eni = 0;  // the interface's number (the Geneve option's ENI id)
  uint32_t subnet = 0;
  IpAddress address;                          // its private address: a listener address
  std::optional<IpAddress> public_address{};  // internet-facing: its elastic IP
};

enum class ListenerProtocol : uint8_t { tcp, udp, tcp_udp };

struct LoadBalancerListener {
  uint16_t port = 0;
  ListenerProtocol protocol = ListenerProtocol::tcp;
  uint32_t target_group = 0;  // id in LoadBalancer::target_groups
};

enum class HealthCheckProtocol : uint8_t { tcp, http };

struct HealthCheck {
  bool enabled = true;
  HealthCheckProtocol protocol = HealthCheckProtocol::tcp;
  uint16_t port = 0;      // 0: the target's own port ("traffic-port")
  std::string path{};     // HTTP: "/"
  std::string matcher{};  // HTTP: status codes, "200-399" or "200,202"
  uint32_t interval_seconds = 30;
  uint32_t timeout_seconds = 10;
  uint32_t healthy_threshold = 5;
  uint32_t unhealthy_threshold = 2;
};

struct LoadBalancerTarget {
  IpAddress address;  // an instance target: its primary private address
  uint16_t port = 0;
  uint32_t eni = 0;    // the interface holding the address
  IpAddress underlay;  // the host of that interface
  // Deregistered and draining: no new flows; its flows live until the controller drops the
  // target from the program (the deregistration delay ended), then they are reset.
  bool draining = false;
};

struct LoadBalancerTargetGroup {
  uint32_t id = 0;
  std::string name;  // the target group's ARN (health reports name it)
  HealthCheck health_check;
  uint32_t deregistration_delay_seconds = 300;
  bool preserve_client_ip = true;
  bool stickiness = false;                  // source_ip stickiness
  std::vector<LoadBalancerTarget> targets;  // sorted by (address, port)
};

struct LoadBalancer {
  uint32_t id = 0;
  std::string name;  // "net/<name>/<16 hex>", as CloudWatch's LoadBalancer dimension
  uint32_t vpc = 0;
  std::string dns_name{};  // "<name>-<id>.elb.<region>.amazonaws.com": resolves to the addresses
  std::vector<LoadBalancerInterface> interfaces;  // one per subnet
  std::vector<IpAddress> nodes;  // the shard's underlay addresses in slot order; 0.0.0.0: down
  bool cross_zone = false;
  std::vector<LoadBalancerListener> listeners{};         // hyperplane nodes only
  std::vector<LoadBalancerTargetGroup> target_groups{};  // hyperplane nodes only; sorted by id
};

// TrafficType of a flow log: which records it keeps.
enum class FlowLogTraffic : uint8_t { accept, reject, all };

// A flow log (CreateFlowLogs) as one host delivers it: the host's ENIs it covers (the resource
// was that ENI, or the subnet or VPC it is in) and where and how their records are written.
struct FlowLog {
  uint32_t id = 0;         // program number of the flow log id
  std::string name;        // "fl-..."
  std::string account_id;  // its owner (the account-id field)
  FlowLogTraffic traffic = FlowLogTraffic::all;
  std::string format;       // AWS LogFormat: "${version} ${srcaddr} ..."; empty: version 2
  std::string destination;  // absolute path of the file on this host
  uint32_t aggregation_seconds = 600;  // MaxAggregationInterval: 60 or 600
  std::vector<uint32_t> enis;          // ENI numbers, sorted
};

struct Program {
  uint64_t generation = 0;  // increases with every program a host receives
  IpAddress host_underlay;  // this host's underlay address (outer source)
  MacAddress router_mac;    // the VPC router's MAC as instances see it
  std::string region{};     // "us-east-1"; empty: the router's default
  std::vector<Vpc> vpcs;
  std::vector<Subnet> subnets;
  std::vector<RouteTable> route_tables;
  std::vector<SecurityGroup> security_groups;
  std::vector<NetworkAcl> network_acls;
  std::vector<Eni> enis;
  std::vector<Mapping> mappings;
  std::vector<FlowLog> flow_logs{};
  // The live edge nodes' underlay addresses, sorted (DESIGN.md §7): a router sends a flow
  // routed to an attached internet gateway to one of them, chosen by flow hash. Empty when no
  // VPC of the program has an internet gateway, or no edge node is up.
  std::vector<IpAddress> edge_nodes{};
  // NAT gateways, sorted by id: on a router those its route tables target; on an edge node
  // those with a public address in its VPCs; on a hyperplane node those placed on it.
  std::vector<NatGateway> nat_gateways{};
  // Network load balancers, sorted by id: on a router those of its VPCs (with their
  // interfaces and nodes); on an edge node the internet-facing ones of its VPCs; on a
  // hyperplane node those placed on it (with listeners and target groups).
  std::vector<LoadBalancer> load_balancers{};
};

std::string_view to_string(Direction direction);
std::string_view to_string(RouteTargetKind kind);
std::string_view to_string(AclAction action);
std::string_view to_string(FlowLogTraffic traffic);        // "ACCEPT", "REJECT", "ALL"
std::string_view to_string(ListenerProtocol protocol);     // "TCP", "UDP", "TCP_UDP"
std::string_view to_string(HealthCheckProtocol protocol);  // "TCP", "HTTP"
std::string to_string(const TrafficMatch& traffic);        // "tcp 22-22", "icmp type 8", "all"

// Normalised text dump for golden tests: one line per object, every list sorted by id (rules
// and routes in their evaluation order), so two programs with the same meaning print the same.
std::string to_text(const Program& program);

}  // namespace openvpc::program
