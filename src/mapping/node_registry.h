// node_registry.h — which fleet nodes (edge and hyperplane) are alive, as the mapping service
// sees them.
//
// An edge or hyperplane node is alive while its Subscribe stream is open: it said Hello with
// its role and underlay address, and the stream has not ended. A node killed with SIGKILL
// ends its stream at once (the kernel closes its TCP connection); a hung or partitioned one
// ends it when gRPC's keepalive gives up. A newer stream for the same node id replaces the
// older one, and only the end of the current stream makes it dead. Routers are not tracked
// here (the controller knows them from --host).
//
// Threading: every method may be called from any thread. The change callback runs after the
// registry's mutex is released, on the thread that made the change; it receives nothing, so
// callbacks racing each other all read the latest state through nodes().
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "program/program.h"

namespace openvpc::mapping {

enum class NodeRole : uint8_t { router, edge, hyperplane };
std::string_view to_string(NodeRole role);
// "" and "router" -> router, "edge", "hyperplane"; false for anything else.
bool parse_node_role(std::string_view text, NodeRole& role);

struct NodeStatus {
  std::string node_id;
  NodeRole role = NodeRole::edge;
  program::IpAddress underlay;
};

class NodeRegistry {
 public:
  using Changed = std::function<void()>;
  explicit NodeRegistry(Changed changed) : changed_(std::move(changed)) {}

  // The node's stream `stream` is open (replacing any earlier stream of the node).
  void attach(const NodeStatus& node, const void* stream);
  // `stream` ended; the node is dead if it was the node's current stream.
  void detach(const std::string& node_id, const void* stream);
  std::vector<NodeStatus> nodes() const;  // sorted by node id

 private:
  struct Entry {
    NodeStatus status;
    const void* stream = nullptr;
  };
  const Changed changed_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> nodes_;
};

}  // namespace openvpc::mapping
