// node_program.h — what a hyperplane node's program (program.h) means for its NAT data path.
//
// The controller sends each node its own underlay, the live edge nodes and the NAT gateways
// placed on it, each with its shard's nodes by slot (0.0.0.0: that slot's node is down). This
// node's slot is the index of its underlay in `nodes`. It owns its slot's port range and,
// for each down slot whose next live slot (cyclically, as routers and the edge skip down
// slots) is its own, that slot's range too — the flows of a dead node land here, and their
// replicas already are here. Its peers are the other live slots' nodes.
//
// compile_node_program() turns that into the NatTable's gateways, the translator's config and
// the replicator's shards, all indexed alike. `previous` (the plan in force, or nullptr)
// keeps the time this node joined each gateway's shard, which gates RSTs for kSyncSeconds
// (nat_node_translator.h). A gateway naming its subnet (NatGateway::subnet) gets that subnet's
// network ACL (NodeConfig::acls, node_acl.h), compiled here once per program.
//
// Load balancers (program::LoadBalancer) are compiled alike: this node's slot and peers, and
// for the LB translator (lb_translator.h) its interfaces, listeners and target groups, each
// group with its Maglev table over its selectable targets (all counted healthy here: the
// translator applies the health it holds). A listener naming no target group of its load
// balancer is left out. A program may hold load balancers and no NAT gateways, or the other
// way round. Control path: allocates.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "hyperplane/health_prober.h"
#include "hyperplane/lb_translator.h"
#include "hyperplane/nat_node_translator.h"
#include "hyperplane/nat_table.h"
#include "hyperplane/replicator.h"
#include "program/program.h"

namespace openvpc::hyperplane {

struct NodePlan {
  std::vector<NatGatewayConfig> gateways;  // NatTable::set_gateways
  NodeConfig config;                       // NatNodeTranslator::set_config
  std::vector<ShardPeers> shards;          // Replicator::set_shards
  std::vector<std::string> names;          // "nat-..." by index, for metrics
  std::vector<int> slots;                  // this node's slot by index
  // Load balancers, indexed alike (LbTable index i = lb.lbs[i]).
  LbConfig lb;                        // LbTranslator::set_config
  std::vector<uint32_t> lb_numbers;   // LbTable::set_load_balancers
  std::vector<ShardPeers> lb_shards;  // Replicator::set_shards (load balancers)
  std::vector<std::string> lb_names;  // "net/<name>/<id>" by index, for metrics
  std::vector<int> lb_slots;          // this node's slot by index
  // Health checks of the load balancers' targets (HealthProber::set_targets) and the target
  // groups' names (ARNs: the resource their health is reported under) by id.
  std::vector<ProbeTarget> probe_targets;
  std::map<uint32_t, std::string> group_names;
};

// Fails for a program of another underlay (an unset one is this node's), or a gateway whose
// shard does not list this node, has no NAT address, or names a subnet (or whose subnet names a
// network ACL) the program does not carry.
// max_per_destination: the gateway's connections per (address, destination, port, protocol)
// over its whole shard (EC2: 55,000), split among the slots.
Result<NodePlan> compile_node_program(const program::Program& program, uint32_t underlay_v4,
                                      uint32_t now, const NodePlan* previous,
                                      uint32_t max_per_destination = kMaxConnectionsPerDestination);

}  // namespace openvpc::hyperplane
