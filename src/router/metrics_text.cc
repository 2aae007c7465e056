#include "router/metrics_text.h"

#include "common/prometheus_text.h"
#include "dataplane/eni_allowance.h"
#include "router/counter_totals.h"

namespace openvpc::router {

namespace {

using Type = PrometheusText::Type;

// One family with a series per value of an enum (to_string names the label value).
template <typename Enum, size_t N>
void per_enum(PrometheusText& out, std::string_view name, std::string_view label,
              std::string_view help, const std::array<uint64_t, N>& values, size_t first = 0) {
  out.family(name, Type::counter, help);
  for (size_t i = first; i < N; ++i) {
    const std::string value(to_string(Enum(i)));
    out.sample(name, {{label, value}}, values[i]);
  }
}

void eni_families(PrometheusText& out, const RouterStatus& status, const RouterTotals& totals,
                  uint32_t allowance) {
  const dataplane::EniCounters none;
  auto counters_of = [&](uint32_t eni) -> const dataplane::EniCounters& {
    const auto it = totals.enis.find(eni);
    return it == totals.enis.end() ? none : it->second;
  };
  auto name_of = [](const EniPortPlan& port) {
    return port.name.empty() ? std::to_string(port.eni) : port.name;
  };
  for (const auto& field : kEniTrafficFields) {
    const std::string name = "openvpc_eni_" + std::string(field.name) + "_total";
    out.family(name, Type::counter, field.help);
    for (const auto& port : status.ports) {
      out.sample(name, {{"eni", name_of(port)}}, counters_of(port.eni).*field.member);
    }
  }
  // ENA's allowance counters (dataplane/eni_allowance.h): the ENI's drops by those reasons,
  // named and explained by the drop-reason descriptor; every ENI has each series, 0 or not.
  for (const dataplane::DropReason reason : dataplane::kAllowanceDropReasons) {
    const auto& info = dataplane::kDropReasons[size_t(reason)];
    const std::string name = "openvpc_eni_" + std::string(info.name) + "_total";
    out.family(name, Type::counter, "Packets dropped: " + std::string(info.meaning) + ".");
    for (const auto& port : status.ports) {
      out.sample(name, {{"eni", name_of(port)}}, counters_of(port.eni).drops[size_t(reason)]);
    }
  }
  // The fair queue (--eni-bandwidth-queue fair): how deep each ENI's backlog is right now.
  out.family("openvpc_eni_bandwidth_queue_packets", Type::gauge,
             "Packets of the ENI waiting for its outbound bandwidth allowance, all workers.");
  for (const auto& port : status.ports) {
    const auto it = totals.bandwidth_queued.find(port.eni);
    out.sample("openvpc_eni_bandwidth_queue_packets", {{"eni", name_of(port)}},
               it == totals.bandwidth_queued.end() ? uint64_t{0} : it->second);
  }
  out.family("openvpc_eni_drops_total", Type::counter,
             "Packets of the ENI dropped, by reason (reasons that occurred).");
  for (const auto& port : status.ports) {
    const auto& drops = counters_of(port.eni).drops;
    for (size_t i = 1; i < drops.size(); ++i) {
      if (drops[i] == 0) continue;
      const std::string reason(to_string(dataplane::DropReason(i)));
      out.sample("openvpc_eni_drops_total", {{"eni", name_of(port)}, {"reason", reason}}, drops[i]);
    }
  }
  // Connection tracking: every family's lines together, as the format requires.
  auto connections_of = [&](uint32_t eni) {
    const auto it = totals.connections.find(eni);
    return it == totals.connections.end() ? EniConnections{0, allowance, 0} : it->second;
  };
  out.family("openvpc_eni_tracked_connections", Type::gauge,
             "Connections of the ENI counted against its allowance, all workers.");
  for (const auto& port : status.ports) {
    out.sample("openvpc_eni_tracked_connections", {{"eni", name_of(port)}},
               uint64_t{connections_of(port.eni).tracked});
  }
  out.family("openvpc_eni_conntrack_allowance_available", Type::gauge,
             "New connections the ENI may still open (the tightest worker).");
  for (const auto& port : status.ports) {
    out.sample("openvpc_eni_conntrack_allowance_available", {{"eni", name_of(port)}},
               uint64_t{connections_of(port.eni).allowance_available});
  }
  out.family("openvpc_eni_conntrack_allowance_exceeded_total", Type::counter,
             "New connections refused because the ENI's allowance was used up.");
  for (const auto& port : status.ports) {
    out.sample("openvpc_eni_conntrack_allowance_exceeded_total", {{"eni", name_of(port)}},
               connections_of(port.eni).allowance_exceeded);
  }
}

void counter(PrometheusText& out, std::string_view name, std::string_view help, uint64_t value) {
  out.family(name, Type::counter, help);
  out.sample(name, {}, value);
}

// openvpc_<section>_<name>_total for each descriptor of a counter list (counter_totals.h).
template <typename T, size_t N>
void counters(PrometheusText& out, std::string_view section, const T& values,
              const std::array<CounterField<T>, N>& fields) {
  for (const auto& field : fields) {
    const std::string name =
        "openvpc_" + std::string(section) + "_" + std::string(field.name) + "_total";
    counter(out, name, field.help, values.*field.member);
  }
}

void gauge(PrometheusText& out, std::string_view name, std::string_view help, uint64_t value) {
  out.family(name, Type::gauge, help);
  out.sample(name, {}, value);
}

void pipeline_families(PrometheusText& out, const RouterTotals& t) {
  per_enum<dataplane::Verdict>(out, "openvpc_pipeline_verdicts_total", "verdict",
                               "Packets by the pipeline's verdict.", t.pipeline.verdicts);
  per_enum<dataplane::DropReason>(out, "openvpc_pipeline_drops_total", "reason",
                                  "Packets dropped by the pipeline, by reason.", t.pipeline.drops,
                                  1);
  per_enum<packet::ParseError>(out, "openvpc_pipeline_parse_errors_total", "error",
                               "Packets that failed to parse, by error.", t.pipeline.parse_errors,
                               1);
  counters(out, "pipeline", t.pipeline, kPipelineCounterFields);
  gauge(out, "openvpc_pipeline_flows", "Flow cache entries, all workers.", t.flow_count);
  gauge(out, "openvpc_pipeline_connections", "Tracked connections, all workers.",
        t.connection_count);
  per_enum<dataplane::services::ServicesEvent>(
      out, "openvpc_services_events_total", "event",
      "Local service events (ARP, DHCP, DNS, ICMP), by outcome.", t.services.values);
}

void router_families(PrometheusText& out, const RouterMetricsInput& input, const RouterTotals& t) {
  counters(out, "router", t.router, kWorkerCounterFields);
  counters(out, "underlay", t.underlay, kUnderlayCounterFields);
  counter(out, "openvpc_capture_frames_total", "Frames copied for a capture session.",
          input.capture.frames_captured);
  counter(out, "openvpc_capture_dropped_total",
          "Frames a capture session lost because its queue was full.",
          input.capture.frames_dropped);
  counter(out, "openvpc_capture_sessions_total", "Capture sessions started.",
          input.capture.sessions);
  const RouterStatus& status = *input.status;
  gauge(out, "openvpc_router_program_generation", "Generation of the program in force.",
        status.generation);
  counter(out, "openvpc_router_programs_applied_total", "Programs applied.",
          status.programs_applied);
  counter(out, "openvpc_router_programs_refused_total",
          "Programs refused (the previous one stayed in force).", status.programs_refused);
  gauge(out, "openvpc_router_enis", "ENI ports on this host.", status.ports.size());
  gauge(out, "openvpc_router_workers", "Worker threads.", input.workers.size());
  out.family("openvpc_router_info", Type::gauge, "The router's identity (value 1).");
  out.sample("openvpc_router_info",
             {{"host_id", status.host_id}, {"underlay", status.underlay_address}}, uint64_t{1});
}

}  // namespace

std::string router_metrics_text(const RouterMetricsInput& input) {
  const RouterTotals totals = sum(input.workers);
  PrometheusText out;
  eni_families(out, *input.status, totals, input.connection_allowance);
  pipeline_families(out, totals);
  router_families(out, input, totals);
  return out.take();
}

}  // namespace openvpc::router
