// metrics.h — the controller's /metrics page (Prometheus text format 0.0.4).
//
// ApiMetrics counts the HTTP API as the controller serves it: every request by action (the
// EC2 Action, "admin/<verb>" for the admin endpoints; an action the controller does not know
// is "unknown", so clients cannot grow the label set) and HTTP status code, and a latency
// histogram per action. text() renders those with the mapping service's hosts (connected,
// desired and ACKed program version) and the region's resource counts:
//   openvpc_controller_api_requests_total{action,code}
//   openvpc_controller_api_request_duration_seconds_{bucket{le},sum,count}{action}
//   openvpc_host_connected{host_id}, openvpc_host_{desired,acked}_program_version{host_id}
//   openvpc_controller_resources{kind}, openvpc_controller_hosts,
//   openvpc_controller_fleet_nodes{role} and openvpc_fleet_node{node_id,role,underlay} for the
//   live edge and hyperplane nodes,
//   openvpc_controller_mapping_refused_total{reason} (mapping calls a certificate did not allow)
//   openvpc_nat_gateway_*{nat_gateway_id} (hyperplane/nat_table.h), summed over the nodes, and
//   openvpc_load_balancer_*{load_balancer="net/<name>/<id>"} with CloudWatch's network load
//   balancer metrics: active_flow_count, new_flow_count_total, processed_bytes_total,
//   healthy_host_count, unhealthy_host_count (the largest a node reports),
//   tcp_client_reset_count_total, tcp_target_reset_count_total (the others summed)
// Thread-safe: record() and text() take one mutex (the HTTP server calls them from its pool).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mapping/host_table.h"
#include "mapping/node_registry.h"
#include "mapping/peer_identity.h"
#include "model/region.h"

namespace openvpc::controller {

class ApiMetrics {
 public:
  // Upper bounds (seconds) of the latency histogram's buckets; +Inf is implied.
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  void record(const std::string& action, int status, double seconds);

  // resources: (kind, count) pairs, e.g. from resource_counts().
  // refusals: the mapping service's PERMISSION_DENIED calls by reason (peer_identity.h).
  std::string text(const std::vector<mapping::HostStatus>& hosts,
                   const std::vector<std::pair<std::string, uint64_t>>& resources,
                   const std::vector<mapping::NodeStatus>& nodes = {},
                   const mapping::MappingRefusalCounts& refusals = {}) const;

 private:
  struct Latency {
    std::array<uint64_t, kLatencyBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (action, status) -> count
  std::map<std::string, Latency> latency_;
};

// Resource counts of a region by kind ("vpcs", "subnets", ...), the same as /admin/status.
std::vector<std::pair<std::string, uint64_t>> resource_counts(const model::Region& region);

}  // namespace openvpc::controller
