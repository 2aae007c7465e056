// program_compiler_load_balancers.h — network load balancers in the compiled programs
// (program_compiler.h; program/program.h's LoadBalancer and Mapping::load_balancer).
//
// Routers and edges get only active load balancers (placed, and their shard's nodes run them);
// one not yet active is left out there, and routers drop traffic to its addresses. A hyperplane
// node gets every load balancer whose shard holds it, provisioning ones included (the nodes'
// acknowledgements are what make it active). Each one is
// program::LoadBalancer{id = its program number, name = "net/<name>/<id>", vpc = its VPC's VNI,
// dns_name, interfaces (one per subnet: the interface's ENI number, subnet number, private
// address, elastic/public address), nodes = its shard's node underlays in slot order (0.0.0.0
// for a slot whose node is not live), cross_zone}.
// - A router gets the load balancers of the VPCs it carries, without listeners and target
//   groups, and a mapping for each interface address {vpc, address, underlay 0.0.0.0, eni = the
//   interface's number, public address, load_balancer = its number}.
// - An edge node gets the internet-facing ones of its VPCs the same way, mapping only the
//   addresses that have a public address.
// - A hyperplane node gets the load balancers placed on it with their listeners (port,
//   protocol, target group number; sorted by port and protocol) and the target groups they
//   forward to (sorted by number): name = the group's ARN, its health check, deregistration
//   delay, client IP preservation, stickiness, and its targets sorted by (address, port): an
//   instance target at its primary private address, an ip target at its address, each with the
//   ENI holding that address and the underlay of that ENI's host; draining while deregistered
//   (the controller drops it when the delay ends). A target whose instance is not running, or
//   whose address no ENI on a known host holds, is left out.
// All functions append to `out` and keep its load_balancers sorted by id.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "model/program_compiler.h"
#include "model/region.h"
#include "program/program.h"

namespace openvpc::model {

// A router's: the load balancers of `vpc_ids` and their addresses' mappings.
void add_router_load_balancers(const Region& region, const std::set<std::string>& vpc_ids,
                               const CompileOptions& options, program::Program& out);
// An edge node's: the internet-facing load balancers of `vpc_ids`, mapped by public address.
void add_edge_load_balancers(const Region& region, const std::set<std::string>& vpc_ids,
                             const CompileOptions& options, program::Program& out);
// A hyperplane node's: the load balancers whose shard holds node_id, with listeners and target
// groups.
void add_node_load_balancers(const Region& region, std::string_view node_id,
                             const CompileOptions& options, program::Program& out);

}  // namespace openvpc::model
