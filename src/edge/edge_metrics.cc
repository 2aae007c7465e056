#include "edge/edge_metrics.h"

#include "common/prometheus_text.h"

namespace openvpc::edge {

std::string edge_metrics_text(const EdgeSnapshot& s, const std::string& node_id) {
  using Type = PrometheusText::Type;
  PrometheusText out;
  const PrometheusText::Label node{"node", node_id};
  out.family("openvpc_edge_packets_total", Type::counter, "Packets by the verdict they got.");
  for (size_t i = 0; i < dataplane::kVerdictCount; ++i) {
    const auto name = dataplane::to_string(dataplane::Verdict(i));
    out.sample("openvpc_edge_packets_total", {node, {"verdict", name}}, s.counters.verdicts[i]);
  }
  out.family("openvpc_edge_drops_total", Type::counter, "Packets dropped, by reason.");
  for (size_t i = 1; i < dataplane::kDropReasonCount; ++i) {
    const auto name = dataplane::to_string(dataplane::DropReason(i));
    out.sample("openvpc_edge_drops_total", {node, {"reason", name}}, s.counters.drops[i]);
  }
  out.family("openvpc_edge_events_total", Type::counter, "Translations and ARP, by kind.");
  for (size_t i = 0; i < kEdgeEventCount; ++i) {
    out.sample("openvpc_edge_events_total", {node, {"event", to_string(EdgeEvent(i))}},
               s.counters.events[i]);
  }
  out.family("openvpc_edge_outside_bytes_total", Type::counter,
             "IP bytes to and from the outside.");
  out.sample("openvpc_edge_outside_bytes_total", {node, {"direction", "out"}},
             s.counters.outside_bytes_out);
  out.sample("openvpc_edge_outside_bytes_total", {node, {"direction", "in"}},
             s.counters.outside_bytes_in);
  out.family("openvpc_edge_public_addresses", Type::gauge, "Public addresses this node serves.");
  out.sample("openvpc_edge_public_addresses", {node}, uint64_t(s.bindings));
  out.family("openvpc_edge_program_version", Type::gauge, "The program version in force.");
  out.sample("openvpc_edge_program_version", {node}, s.program_version);
  out.family("openvpc_edge_programs_total", Type::counter, "Programs received, by outcome.");
  out.sample("openvpc_edge_programs_total", {node, {"outcome", "applied"}}, s.programs_applied);
  out.sample("openvpc_edge_programs_total", {node, {"outcome", "refused"}}, s.programs_refused);
  out.family("openvpc_edge_next_hop_resolved", Type::gauge,
             "1 when the outside gateway's MAC is known.");
  out.sample("openvpc_edge_next_hop_resolved", {node}, uint64_t(s.next_hop_known ? 1 : 0));
  out.family("openvpc_edge_controller_connected", Type::gauge,
             "1 while the mapping service stream is up.");
  out.sample("openvpc_edge_controller_connected", {node}, uint64_t(s.controller_connected ? 1 : 0));
  out.family("openvpc_edge_port_packets_total", Type::counter, "Packets through the node's ports.");
  out.sample("openvpc_edge_port_packets_total", {node, {"port", "outside"}, {"direction", "rx"}},
             s.outside.received);
  out.sample("openvpc_edge_port_packets_total", {node, {"port", "outside"}, {"direction", "tx"}},
             s.outside.sent);
  out.sample("openvpc_edge_port_packets_total", {node, {"port", "underlay"}, {"direction", "rx"}},
             s.underlay_receive.received);
  out.sample("openvpc_edge_port_packets_total", {node, {"port", "underlay"}, {"direction", "tx"}},
             s.underlay_send.sent);
  out.family("openvpc_edge_port_errors_total", Type::counter,
             "Sends and receives the ports failed.");
  out.sample("openvpc_edge_port_errors_total", {node, {"port", "outside"}, {"kind", "send"}},
             s.outside_send_failed + s.outside.send_errors);
  out.sample("openvpc_edge_port_errors_total", {node, {"port", "outside"}, {"kind", "receive"}},
             s.outside.receive_errors);
  out.sample("openvpc_edge_port_errors_total", {node, {"port", "underlay"}, {"kind", "send"}},
             s.underlay_send.send_errors);
  out.sample("openvpc_edge_port_errors_total", {node, {"port", "underlay"}, {"kind", "receive"}},
             s.underlay_receive.receive_truncated);
  return out.take();
}

}  // namespace openvpc::edge
