// program_compiler.h — the per-host program compiler: a Region -> one host's program::Program.
//
// compile_host_program() is a pure function of (Region, host id, CompileOptions): the same
// inputs always give the same program, lists sorted by id, so golden dumps (program::to_text)
// are stable. What a host gets (DESIGN.md §1):
// - its ENIs: every network interface whose host_id is the host (attached to an instance or an
//   attachment placed there), with number, MAC, private addresses (primary first), subnet,
//   groups and source/dest check; the instance it is attached to when that instance is running
//   on this host (the router makes the instance's namespace), and the private name
//   ip-a-b-c-d of its primary IPv4 address;
// - every VPC those ENIs are in (with enableDnsSupport / enableDnsHostnames), all of its subnets,
// the route table and network ACL each subnet
//   uses (its explicit association, else the VPC's main table / default ACL);
// - the security groups of its ENIs with their rules, and the groups those rules reference
//   (members only, no rules: the host never evaluates them); member_addresses hold the private
//   addresses of every ENI in the group, on any host or none;
// - a mapping for every private address of every ENI of those VPCs that lives on a host with a
//   known underlay address;
// - every flow log whose resource (its VPC, subnet or interface) covers one of its ENIs, with
//   the numbers of the ENIs it covers here;
// - each mapping's public address (elastic IP, or the public IP given at launch), and, when a
//   VPC of the program has an attached internet gateway, the live edge nodes' addresses.
// - the NAT gateways its route tables target (available ones, with their shard's node
//   addresses by slot: 0.0.0.0 for a slot whose node is not live).
// - the placed network load balancers of its VPCs, and a mapping (Mapping::load_balancer) for
//   each of their addresses (program_compiler_load_balancers.h).
// An edge node (CompileOptions::edge_nodes) gets an edge program instead: every VPC with an
// attached internet gateway, and the mappings of those VPCs' addresses that have a public
// address (public IP <-> (VPC, ENI, private IP, host)); a NAT gateway's addresses are mapped
// with Mapping::nat_gateway set and the gateway listed (its shard steers replies by port);
// likewise the internet-facing load balancers' addresses with Mapping::load_balancer.
// A hyperplane node (CompileOptions::hyperplane_nodes) gets its underlay, the live edge nodes
// and the NAT gateways and load balancers (with listeners and target groups) whose shard holds
// it — no VPC tables: it learns addresses from flows and targets from the load balancers.
// Numbers: a VPC is its VNI, an ENI its region-unique number; subnets, route tables, ACLs,
// groups, gateways and flow logs their stored program number (program_numbers.h, unique in
// the region, the same on every host); each object's name is its model id. Routes are
// programmed as route_reach() says (operations.h): what is gone is a blackhole.
//
// Host underlay addresses come from CompileOptions::host_underlays (the controller's
// `--host ID=ADDRESS` flags); a host id that is itself an address is its own underlay. ENIs on
// a host with neither are left out of the mappings (no router could reach them). Generations
// are not the compiler's business: the mapping server versions each host.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "model/region.h"
#include "program/program.h"

namespace openvpc::model {

struct CompileOptions {
  std::map<std::string, std::string> host_underlays;  // host id -> underlay IP address
  program::MacAddress router_mac{{0x02, 0x00, 0x5e, 0x00, 0x00, 0xfe}};
  std::string region = "us-east-1";  // Program::region
  // The live edge nodes (node id -> underlay address): each gets an edge program, and every
  // router program with an attached internet gateway lists their addresses.
  std::map<std::string, std::string> edge_nodes;
  // The live hyperplane nodes (node id -> underlay address): each gets a hyperplane program (the
  // NAT gateways placed on it), and a NAT gateway's shard lists their addresses by slot.
  std::map<std::string, std::string> hyperplane_nodes;
  bool operator==(const CompileOptions& other) const {
    return host_underlays == other.host_underlays && router_mac.bytes == other.router_mac.bytes &&
           region == other.region && edge_nodes == other.edge_nodes &&
           hyperplane_nodes == other.hyperplane_nodes;
  }
};

// The host's underlay address: options, else the id itself when it parses as an address.
std::optional<program::IpAddress> host_underlay(const CompileOptions& options,
                                                std::string_view host_id);

// Every host a program is compiled for: registered ones and those an interface names.
std::set<std::string> program_hosts(const Region& region, const CompileOptions& options);

// Whether host_id names a live edge node (it gets an edge program).
bool is_edge_node(const CompileOptions& options, std::string_view host_id);
// Whether host_id names a live hyperplane node (it gets a hyperplane program).
bool is_hyperplane_node(const CompileOptions& options, std::string_view host_id);

// The host's program; generation 0. A host with no ENIs gets an empty program.
program::Program compile_host_program(const Region& region, std::string_view host_id,
                                      const CompileOptions& options);

// Where (vpc VNI, address) lives, as a mapping in the compiled programs would say; nullopt when
// no interface of that VPC has the address or its host has no underlay address.
std::optional<program::Mapping> lookup_mapping(const Region& region, const CompileOptions& options,
                                               uint32_t vni, const program::IpAddress& address);

}  // namespace openvpc::model
