// node_metrics.h — a hyperplane node's /metrics page (Prometheus text 0.0.4).
//
// Per NAT gateway, one family per NatMetric (nat_table.h), named after Amazon's CloudWatch
// metric in lower snake case: openvpc_nat_gateway_<name>{nat_gateway_id="nat-...", slot} —
// e.g. openvpc_nat_gateway_active_connection_count (a gauge) and
// openvpc_nat_gateway_bytes_out_to_destination_total (counters end in _total). Per node:
// openvpc_hyperplane_drops_total{reason} (NodeDrop names), openvpc_hyperplane_events_total
// {event}, flows held (own and replica), replication datagrams/records sent and received,
// dropped{reason}, applied{result}, the journal's overflows, the replication latency as a
// histogram plus its p50/p99 (seconds) as gauges, the program version, whether the controller
// is connected, and the underlay ports' counters.
#pragma once

#include <string>

#include "hyperplane/nat_node.h"

namespace openvpc::hyperplane {

std::string node_metrics_text(const NatNodeSnapshot& snapshot, const std::string& node_id);

// "ActiveConnectionCount" -> "active_connection_count".
std::string lower_snake(std::string_view camel);

}  // namespace openvpc::hyperplane
