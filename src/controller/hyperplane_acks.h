// hyperplane_acks.h — which NAT gateways and load balancers each hyperplane node runs: what the
// controller published to it, against the program version it last acknowledged.
//
// A NAT gateway becomes available (a load balancer active) only once the nodes of its shard
// run it: before that a router sending to it would have its flows dropped by a node that does
// not know it yet. The mapping service knows the version each node last ACKed (it ACKs a
// version once applied; a refused one is not ACKed); what a version contains is known only
// here, when it is published. Versions are per node and consecutive, so published() records,
// for each NAT gateway (by id) and load balancer (by its program name, "net/<name>/<id>") in a
// node's program, the first version of the unbroken run of versions that carry it — one left
// out of a version and carried again later starts a new run. A node runs it once its ACKed
// version is at least that one. The mapping service stays the one place that knows ACKs: the
// `Acked` function reads them from it when carried() is asked.
//
// published() and every ACK also raise a flag (take_news()): the controller's upkeep then
// reconciles placement so a waiting NAT gateway becomes available without another API call.
// A version can be ACKed before published() has recorded what it carries, so a publish counts
// as news too.
//
// Threading: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "program/program.h"

namespace openvpc::controller {

// What one node runs: the ids of the NAT gateways and the names of the load balancers its
// last ACKed program carries.
struct NodeCarries {
  std::set<std::string> nat_gateways, load_balancers;
};

class HyperplaneAcks {
 public:
  // The version `node_id` last ACKed (0: none, or not connected in this epoch); nullopt when
  // the node is not attached to this controller (another controller of the same store holds
  // it: its ACKs are that controller's to count).
  using Acked = std::function<std::optional<uint64_t>(const std::string& node_id)>;
  explicit HyperplaneAcks(Acked acked) : acked_(std::move(acked)) {}

  // `program` is node_id's program at `version` (the mapping service's version after publish);
  // for a host that is not a hyperplane node, an empty program (nothing is kept for it).
  void published(const std::string& node_id, uint64_t version, const program::Program& program);
  // A node ACKed a version (the mapping service's ACK observer): only raises the flag.
  void acknowledged() { news_.store(true); }
  // Whether anything was published or ACKed since the last call; clears the flag.
  bool take_news() { return news_.exchange(false); }

  // What each of `nodes` attached here runs now (nodes never published to run nothing); nodes
  // attached elsewhere are left out, as placement leaves out nodes that are not live.
  std::map<std::string, NodeCarries> carried(const std::vector<std::string>& nodes) const;

 private:
  struct Runs {  // resource -> the first version of its current run
    std::map<std::string, uint64_t> nat_gateways, load_balancers;
  };

  const Acked acked_;
  mutable std::mutex mutex_;
  std::map<std::string, Runs> nodes_;
  std::atomic<bool> news_{false};
};

}  // namespace openvpc::controller
