#include "mapping/node_registry.h"

namespace openvpc::mapping {

std::string_view to_string(NodeRole role) {
  switch (role) {
    case NodeRole::router:
      return "router";
    case NodeRole::edge:
      return "edge";
    case NodeRole::hyperplane:
      return "hyperplane";
  }
  return "router";
}

bool parse_node_role(std::string_view text, NodeRole& role) {
  for (NodeRole r : {NodeRole::router, NodeRole::edge, NodeRole::hyperplane}) {
    if (text == to_string(r)) {
      role = r;
      return true;
    }
  }
  if (!text.empty()) return false;
  role = NodeRole::router;
  return true;
}

void NodeRegistry::attach(const NodeStatus& node, const void* stream) {
  {
    std::lock_guard lock(mutex_);
    nodes_[node.node_id] = {node, stream};
  }
  if (changed_) changed_();
}

void NodeRegistry::detach(const std::string& node_id, const void* stream) {
  {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(node_id);
    if (it == nodes_.end() || it->second.stream != stream) return;
    nodes_.erase(it);
  }
  if (changed_) changed_();
}

std::vector<NodeStatus> NodeRegistry::nodes() const {
  std::lock_guard lock(mutex_);
  std::vector<NodeStatus> out;
  for (const auto& [id, entry] : nodes_) out.push_back(entry.status);
  return out;
}

}  // namespace openvpc::mapping
