// placement.h — shuffle sharding of hyperplane resources over the live node fleet.
//
// Each resource (a NAT gateway today, a load balancer next) lives on a shard of k of the N live
// hyperplane nodes. The shard is chosen by rendezvous hashing: every node gets the score
// hash(resource id, node id) and the k best live nodes win. That is a uniformly random k-subset
// per resource, deterministic on every controller, so two resources share j nodes with the
// hypergeometric probability C(k,j) C(N-k,k-j) / C(N,k) — 8 nodes, k=3: 17.9/53.6/26.8/1.8 %
// for 0/1/2/3 shared nodes — and one noisy tenant or one lost node touches few others.
//
// A shard is an ordered list of slots (slot i owns the i-th share of each NAT address's port
// space, hyperplane/port_space.h). Re-placing keeps every surviving node in its slot and fills
// only the slots of nodes that died (with the best-scoring live node not already in the shard),
// so a node's loss moves only the shards it was in, and only its slot in each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace openvpc::model {

inline constexpr int kDefaultShardSize = 3;

// The rendezvous score of node for resource (higher wins).
uint64_t placement_score(const std::string& resource_id, const std::string& node_id);

// The shard for resource_id over live_nodes: `previous` slots whose node is still live stay;
// dead slots are refilled with the best live node not in the shard, and where no such node is
// left keep their dead node (the slot is down until that node returns or a node is spare). The
// shard never shrinks — every slot owns a share of the port space, so fewer slots would move
// every flow — and grows to min(shard_size, live nodes).
std::vector<std::string> place_shard(const std::string& resource_id,
                                     const std::vector<std::string>& previous,
                                     const std::vector<std::string>& live_nodes, int shard_size);

}  // namespace openvpc::model
