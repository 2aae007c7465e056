// resource_metrics.h — a hyperplane node's per-resource metrics as it reports them in its Acks.
//
// Each node counts what it carries per resource (a NAT gateway: Amazon's CloudWatch metric
// names, hyperplane/nat_table.h); the controller shows the fleet-wide sums, as CloudWatch
// shows one figure per NAT gateway whatever node carried its flows. So a node's Acks carry its
// latest values and it repeats its last Ack when they change (at most about once a second);
// the mapping service keeps the last list per node (HostStatus::resource_metrics).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace openvpc::mapping {

struct ResourceMetrics {
  std::string resource;                                  // "nat-..."
  std::vector<std::pair<std::string, uint64_t>> values;  // Amazon's metric name -> value
  bool operator==(const ResourceMetrics&) const = default;
};

}  // namespace openvpc::mapping
