// node_metrics.h — a hyperplane node's /metrics page (Prometheus text 0.0.4).
//
// Per NAT gateway, one family per NatMetric, named by metric_family() (nat_table.h: Amazon's
// CloudWatch name in snake case, _total after a counter's), labelled nat_gateway_id and slot —
// e.g. openvpc_nat_gateway_active_connection_count (a gauge: this node's own flows) and
// openvpc_nat_gateway_bytes_out_to_destination_total. Per load balancer, one family per
// LbMetric (lb_table.h: openvpc_load_balancer_active_flow_count,
// openvpc_load_balancer_new_flow_count_total, ...) labelled load_balancer ("net/...") and slot.
// Per node: openvpc_hyperplane_lb_drops_total{reason} (LbDrop names),
// openvpc_hyperplane_lb_events_total{event}, openvpc_hyperplane_lb_flows{kind}, and
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

}  // namespace openvpc::hyperplane
