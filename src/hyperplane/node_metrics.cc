#include "hyperplane/node_metrics.h"

#include "common/prometheus_text.h"

namespace openvpc::hyperplane {

std::string node_metrics_text(const NatNodeSnapshot& s, const std::string& node_id) {
  using Type = PrometheusText::Type;
  PrometheusText out;
  const PrometheusText::Label node{"node", node_id};

  for (size_t m = 0; m < kNatMetricCount; ++m) {
    const NatMetric metric = NatMetric(m);
    const std::string name = metric_family(metric);
    out.family(name, is_gauge(metric) ? Type::gauge : Type::counter,
               std::string("Amazon's NAT gateway metric ") + std::string(to_string(metric)) +
                   ", as this node counts it (the gateway's total is the sum over its shard).");
    for (const NatNodeSnapshot::Gateway& g : s.gateways) {
      const std::string slot = std::to_string(g.slot);
      out.sample(name, {node, {"nat_gateway_id", g.name}, {"slot", slot}}, g.counters[m]);
    }
  }
  for (size_t m = 0; m < kLbMetricCount; ++m) {
    const LbMetric metric = LbMetric(m);
    const std::string name = metric_family(metric);
    out.family(name, is_gauge(metric) ? Type::gauge : Type::counter,
               std::string("Amazon's network load balancer metric ") +
                   std::string(to_string(metric)) +
                   ", as this node counts it (the load balancer's total is the sum over its "
                   "shard).");
    for (const NatNodeSnapshot::LoadBalancer& lb : s.load_balancers) {
      const std::string slot = std::to_string(lb.slot);
      out.sample(name, {node, {"load_balancer", lb.name}, {"slot", slot}}, lb.counters[m]);
    }
  }
  out.family("openvpc_hyperplane_lb_drops_total", Type::counter,
             "Load balancer packets dropped, by reason.");
  for (size_t i = 1; i < kLbDropCount; ++i) {
    out.sample("openvpc_hyperplane_lb_drops_total", {node, {"reason", to_string(LbDrop(i))}},
               s.lb_counters.drops[i]);
  }
  out.family("openvpc_hyperplane_lb_events_total", Type::counter,
             "Load balancer forwarding, resets, probe replies and health rebuilds.");
  for (size_t i = 0; i < kLbEventCount; ++i) {
    out.sample("openvpc_hyperplane_lb_events_total", {node, {"event", to_string(LbEvent(i))}},
               s.lb_counters.events[i]);
  }
  out.family("openvpc_hyperplane_lb_flows", Type::gauge,
             "Load balancer flows held: own, and peers' replicas.");
  out.sample("openvpc_hyperplane_lb_flows", {node, {"kind", "own"}},
             uint64_t(s.lb_flows - s.lb_replica_flows));
  out.sample("openvpc_hyperplane_lb_flows", {node, {"kind", "replica"}},
             uint64_t(s.lb_replica_flows));
  out.family("openvpc_hyperplane_drops_total", Type::counter, "Packets dropped, by reason.");
  for (size_t i = 1; i < kNodeDropCount; ++i) {
    out.sample("openvpc_hyperplane_drops_total", {node, {"reason", to_string(NodeDrop(i))}},
               s.counters.drops[i]);
  }
  out.family("openvpc_hyperplane_events_total", Type::counter, "Translations and resets.");
  for (size_t i = 0; i < kNodeEventCount; ++i) {
    out.sample("openvpc_hyperplane_events_total", {node, {"event", to_string(NodeEvent(i))}},
               s.counters.events[i]);
  }
  out.family("openvpc_hyperplane_flows", Type::gauge, "NAT flows held: own, and peers' replicas.");
  out.sample("openvpc_hyperplane_flows", {node, {"kind", "own"}},
             uint64_t(s.flows - s.replica_flows));
  out.sample("openvpc_hyperplane_flows", {node, {"kind", "replica"}}, uint64_t(s.replica_flows));

  const ReplicationStats& r = s.replication;
  out.family("openvpc_hyperplane_replication_datagrams_total", Type::counter,
             "Replication datagrams, by direction (send_failed: refused or no buffer room).");
  out.sample("openvpc_hyperplane_replication_datagrams_total", {node, {"direction", "sent"}},
             r.datagrams_sent);
  out.sample("openvpc_hyperplane_replication_datagrams_total", {node, {"direction", "received"}},
             r.datagrams_received);
  out.sample("openvpc_hyperplane_replication_datagrams_total", {node, {"direction", "send_failed"}},
             r.send_failed);
  out.family("openvpc_hyperplane_replication_records_total", Type::counter,
             "Replicated flow records, by direction (bulk: sent by a bulk sync, among sent).");
  out.sample("openvpc_hyperplane_replication_records_total", {node, {"direction", "sent"}},
             r.records_sent);
  out.sample("openvpc_hyperplane_replication_records_total", {node, {"direction", "bulk"}},
             r.bulk_records_sent);
  out.sample("openvpc_hyperplane_replication_records_total", {node, {"direction", "received"}},
             r.records_received);
  out.family("openvpc_hyperplane_replication_dropped_total", Type::counter,
             "Replication input refused, by reason (datagrams; not_a_peer: records).");
  for (size_t i = 1; i < kReplicationErrorCount; ++i) {
    out.sample("openvpc_hyperplane_replication_dropped_total",
               {node, {"reason", to_string(ReplicationError(i))}}, r.dropped[i]);
  }
  out.family("openvpc_hyperplane_replication_applied_total", Type::counter,
             "Received records, by what the flow table did with them.");
  for (size_t i = 0; i < kReplicaResultCount; ++i) {
    out.sample("openvpc_hyperplane_replication_applied_total",
               {node, {"result", to_string(ReplicaResult(i))}}, r.applied[i]);
  }
  out.family("openvpc_hyperplane_replication_lb_applied_total", Type::counter,
             "Received load balancer records, by what the LB flow table did with them.");
  for (size_t i = 0; i < size_t(LbReplicaResult::count_); ++i) {
    out.sample("openvpc_hyperplane_replication_lb_applied_total",
               {node, {"result", to_string(LbReplicaResult(i))}}, r.lb_applied[i]);
  }
  out.family("openvpc_hyperplane_replication_journal_overflows_total", Type::counter,
             "Created or retired flows not replicated: the journal was full.");
  out.sample("openvpc_hyperplane_replication_journal_overflows_total", {node, {"table", "nat"}},
             s.journal_overflows);
  out.sample("openvpc_hyperplane_replication_journal_overflows_total",
             {node, {"table", "load_balancer"}}, s.lb_journal_overflows);

  out.family("openvpc_hyperplane_health_checks_total", Type::counter,
             "Health checks of load balancer targets, by outcome.");
  out.sample("openvpc_hyperplane_health_checks_total", {node, {"result", "success"}},
             s.health.successes);
  out.sample("openvpc_hyperplane_health_checks_total", {node, {"result", "failure"}},
             s.health.failures);
  out.family("openvpc_hyperplane_health_check_packets_total", Type::counter,
             "Health check packets: sent (SYNs, retransmissions and the rest), replies matched "
             "to a probe, replies matching none.");
  out.sample("openvpc_hyperplane_health_check_packets_total", {node, {"kind", "sent"}},
             s.health.packets);
  out.sample("openvpc_hyperplane_health_check_packets_total", {node, {"kind", "retransmit"}},
             s.health.retransmits);
  out.sample("openvpc_hyperplane_health_check_packets_total", {node, {"kind", "reply"}},
             s.health.replies);
  out.sample("openvpc_hyperplane_health_check_packets_total", {node, {"kind", "unmatched"}},
             s.health_unmatched);

  const ReplicationLatency& l = s.latency;
  const char* histogram = "openvpc_hyperplane_replication_latency_seconds";
  out.family(histogram, Type::histogram,
             "Replication datagram latency, send to receive (same-machine clocks only).");
  uint64_t cumulative = 0;
  for (size_t b = 0; b < ReplicationLatency::kBuckets; ++b) {
    cumulative += l.counts()[b];
    const std::string le =
        b < ReplicationLatency::kBoundsNs.size()
            ? PrometheusText::format_double(double(ReplicationLatency::kBoundsNs[b]) / 1e9)
            : "+Inf";
    out.sample("openvpc_hyperplane_replication_latency_seconds_bucket", {node, {"le", le}},
               cumulative);
  }
  out.sample("openvpc_hyperplane_replication_latency_seconds_sum", {node},
             double(l.sum_ns()) / 1e9);
  out.sample("openvpc_hyperplane_replication_latency_seconds_count", {node}, l.count());
  out.family("openvpc_hyperplane_replication_latency_quantile_seconds", Type::gauge,
             "Upper bound of the latency bucket holding the quantile (0 with no samples).");
  for (auto [label, q] : {std::pair{"0.5", 0.5}, {"0.99", 0.99}}) {
    const uint64_t ns = l.quantile_ns(q);
    out.sample("openvpc_hyperplane_replication_latency_quantile_seconds",
               {node, {"quantile", label}}, ns == UINT64_MAX ? HUGE_VAL : double(ns) / 1e9);
  }
  out.family("openvpc_hyperplane_program_version", Type::gauge, "The program version in force.");
  out.sample("openvpc_hyperplane_program_version", {node}, s.program_version);
  out.family("openvpc_hyperplane_programs_total", Type::counter, "Programs received, by outcome.");
  out.sample("openvpc_hyperplane_programs_total", {node, {"outcome", "applied"}},
             s.programs_applied);
  out.sample("openvpc_hyperplane_programs_total", {node, {"outcome", "refused"}},
             s.programs_refused);
  out.family("openvpc_hyperplane_controller_connected", Type::gauge,
             "1 while the mapping service stream is up.");
  out.sample("openvpc_hyperplane_controller_connected", {node},
             uint64_t(s.controller_connected ? 1 : 0));
  out.family("openvpc_hyperplane_port_packets_total", Type::counter, "Underlay packets.");
  out.sample("openvpc_hyperplane_port_packets_total", {node, {"direction", "rx"}},
             s.underlay_receive.received);
  out.sample("openvpc_hyperplane_port_packets_total", {node, {"direction", "tx"}},
             s.underlay_send.sent);
  out.family("openvpc_hyperplane_port_errors_total", Type::counter,
             "Underlay sends and receives that failed.");
  out.sample("openvpc_hyperplane_port_errors_total", {node, {"kind", "send"}},
             s.underlay_send.send_errors + s.underlay_send_failed);
  out.sample("openvpc_hyperplane_port_errors_total", {node, {"kind", "receive"}},
             s.underlay_receive.receive_truncated);
  return out.take();
}

}  // namespace openvpc::hyperplane
