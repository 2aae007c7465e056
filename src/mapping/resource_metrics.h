// resource_metrics.h — a hyperplane node's per-resource metrics as it reports them in its Acks.
//
// Each node counts what it carries per resource (a NAT gateway: Amazon's CloudWatch metric
// names, hyperplane/nat_table.h; a network load balancer, "net/<name>/<id>": likewise); the
// controller shows the fleet-wide sums, as CloudWatch
// shows one figure per NAT gateway whatever node carried its flows. So a node's Acks carry its
// latest values and it repeats its last Ack when they change (at most about once a second);
// the mapping service keeps the last list per node (HostStatus::resource_metrics).
//
// Target health is reported the same way: resource = the target group's ARN, one value per
// target whose state the node has concluded, named "target <address>:<port>" (IPv6 addresses
// in brackets), 1 for healthy, 0 for unhealthy. The controller folds the reports of the
// load balancer's shard nodes into the model (controller/target_health.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "program/program.h"

namespace openvpc::mapping {

// The value name a target's health is reported under: "target 10.0.1.5:80",
// "target [fd00::5]:8080".
inline std::string target_report_name(const program::IpAddress& address, uint16_t port) {
  const std::string text = program::format_address(address);
  return "target " + (address.is_v4() ? text : "[" + text + "]") + ":" + std::to_string(port);
}

struct ResourceMetrics {
  std::string resource;                                  // "nat-..."
  std::vector<std::pair<std::string, uint64_t>> values;  // Amazon's metric name -> value
  bool operator==(const ResourceMetrics&) const = default;
};

}  // namespace openvpc::mapping
