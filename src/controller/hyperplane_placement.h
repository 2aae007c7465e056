// hyperplane_placement.h — the controller's side of the hyperplane fleet: which NAT gateways
// and network load balancers live on which nodes.
//
// reconcile() places every pending or available NAT gateway and every load balancer on a
// shuffle shard of the live hyperplane nodes (model/placement.h: survivors keep their slots, a
// dead node's slots are refilled), records the shards in the store and moves states on
// (model::advance_nat_gateways: pending -> available once the live nodes of its shard all run
// it — HyperplaneAcks: they ACKed a program that carries it —, deleting -> deleted;
// model::advance_load_balancers: provisioning -> active likewise, and targets whose
// deregistration delay ended are dropped). A shard with no live node runs nothing: it waits.
// due() says when a draining target's delay has ended since the last reconcile, and news()
// when an ACK may have made a waiting one ready: the controller then reconciles (and so
// recompiles) again. It runs when the live fleet changes (fleet_sync.h, fed by the mapping
// service's NodeRegistry) and after every API change, so a NAT gateway created with nodes alive is
// placed at once (and compiled into its nodes' programs) and available as soon as they ACK.
// Thread-safe: the node list is guarded, the store change is one RegionStore::mutate.
//
// A controller that restarts knows no live node until the nodes resubscribe (their reconnect
// backoff): re-placing then would empty every shard, make every NAT gateway pending and move
// every flow. For `grace_seconds` after start a NAT gateway that has a shard keeps it as it is
// (new ones are placed on the nodes already back); settle() — called periodically — re-places
// once the grace is over, so a node that did not come back loses its slots then.
//
// Several controllers on one store: the live list is the whole fleet's (fleet_sync.h: every
// controller's records), not only the nodes attached to this controller, and placement is a
// function of (the shards in the store, the live list) alone — model::place_shard is
// deterministic — so controllers reconciling at once write the same shards (each mutate is one
// transaction on the latest Region; the later one finds nothing to change).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "controller/hyperplane_acks.h"
#include "model/region_store.h"

namespace openvpc::controller {

class HyperplanePlacement {
 public:
  HyperplanePlacement(model::RegionStore& regions, int shard_size, HyperplaneAcks& acks,
                      std::function<int64_t()> now, int64_t grace_seconds = 0)
      : regions_(regions),
        acks_(acks),
        shard_size_(shard_size),
        now_(std::move(now)),
        grace_until_(now_() + grace_seconds) {}

  // The live hyperplane node ids (any order); reconciles.
  Result<void> set_live_nodes(std::vector<std::string> nodes);
  // Places and advances against the last live node list.
  Result<void> reconcile();
  std::vector<std::string> live_nodes() const;
  // Node id -> the controller it is attached to, for describe() (unset: not shown).
  void set_controller_source(std::function<std::map<std::string, std::string>()> source);
  // Reconciles once, the first time it is called after the grace is over; true when it did.
  bool settle();
  bool in_grace() const { return now_() < grace_until_; }
  // Whether a target's draining ended since the last reconcile (reconcile() then drops it).
  bool due() const;
  // Whether something was published or ACKed since the last call while a placed NAT gateway
  // is pending or a placed load balancer provisioning (reconcile() may then move it on).
  bool news();
  // JSON for `openvpc hyperplane` (the admin verb "hyperplane"): {"nodes": [{node_id, live,
  // controller (when known), nat_gateways: [ids], load_balancers: ["net/<name>/<id>"]}],
  // "nat_gateways": [{id, owner, state, shard: [node ids]}], "load_balancers": [{arn, name, owner,
  // state, shard}]}.
  Result<std::string> describe();

 private:
  model::RegionStore& regions_;
  HyperplaneAcks& acks_;
  const int shard_size_;
  const std::function<int64_t()> now_;
  const int64_t grace_until_;
  mutable std::mutex mutex_;
  std::vector<std::string> nodes_;
  std::function<std::map<std::string, std::string>()> controllers_;
  bool settled_ = false;
  int64_t next_deadline_ = 0;  // the earliest draining_until after the last reconcile; 0: none
};

}  // namespace openvpc::controller
