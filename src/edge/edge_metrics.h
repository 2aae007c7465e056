// edge_metrics.h — an edge node's /metrics page (Prometheus text 0.0.4).
//
// Families: openvpc_edge_packets_total{verdict}, openvpc_edge_drops_total{reason} (the data
// plane's DropReason names), openvpc_edge_events_total{event} (EdgeEvent names), bytes to and
// from the outside, the public addresses served, the program version, whether the outside
// next hop is resolved and the controller connected, and the ports' own counters.
#pragma once

#include <string>

#include "edge/edge_node.h"

namespace openvpc::edge {

std::string edge_metrics_text(const EdgeSnapshot& snapshot, const std::string& node_id);

}  // namespace openvpc::edge
