// hyperplane_placement.h — the controller's side of the hyperplane fleet: which NAT gateways
// live on which nodes.
//
// reconcile() places every pending or available NAT gateway on a shuffle shard of the live
// hyperplane nodes (model/placement.h: survivors keep their slots, a dead node's slots are
// refilled), records the shards in the store and moves states on (model::advance_nat_gateways:
// pending -> available once placed, deleting -> deleted). It runs when the live fleet changes
// (the mapping service's NodeRegistry) and after every API change, so a NAT gateway created
// with nodes alive is available at the next Describe. Thread-safe: the node list is guarded,
// the store change is one RegionStore::mutate.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/region_store.h"

namespace openvpc::controller {

class HyperplanePlacement {
 public:
  HyperplanePlacement(model::RegionStore& regions, int shard_size, std::function<int64_t()> now)
      : regions_(regions), shard_size_(shard_size), now_(std::move(now)) {}

  // The live hyperplane node ids (any order); reconciles.
  Result<void> set_live_nodes(std::vector<std::string> nodes);
  // Places and advances against the last live node list.
  Result<void> reconcile();
  std::vector<std::string> live_nodes() const;
  // JSON for `openvpc hyperplane` (the admin verb "hyperplane"): {"nodes": [{node_id, live,
  // nat_gateways: [ids]}], "nat_gateways": [{id, owner, state, shard: [node ids]}]}.
  Result<std::string> describe();

 private:
  model::RegionStore& regions_;
  const int shard_size_;
  const std::function<int64_t()> now_;
  mutable std::mutex mutex_;
  std::vector<std::string> nodes_;
};

}  // namespace openvpc::controller
