// metrics_text.h — the router's /metrics page: its counters in Prometheus text format 0.0.4.
//
// router_metrics_text() renders the summed worker snapshots (counter_totals.h) and the
// router's status as one exposition (common/prometheus_text.h): every family has HELP and
// TYPE, counters end in _total, ENIs are labelled eni="<the ENI's name>" (its number when the
// program gives no name), drop reasons reason="<dataplane::to_string(DropReason)>". Families:
//   openvpc_eni_{rx,tx}_{packets,bytes}_total, openvpc_eni_drops_total{reason} (reasons seen),
//   openvpc_eni_tracked_connections, openvpc_eni_conntrack_allowance_available,
//   openvpc_eni_conntrack_allowance_exceeded_total, openvpc_eni_{pps,bw_in,bw_out,linklocal}
//   _allowance_exceeded_total (the ENI's drops by those reasons),
//   openvpc_eni_bandwidth_queue_packets (the fair queue's backlog)  (one series per local ENI)
//   openvpc_pipeline_{verdicts,drops,parse_errors}_total (every label value, zeros too),
//   openvpc_pipeline_flow_{hits,misses}_total, openvpc_pipeline_{flows,connections}, ...
//   openvpc_services_events_total{event}, openvpc_router_<loss>_total (WorkerCounters),
//   openvpc_underlay_*_total, openvpc_capture_*_total, openvpc_router_program_generation,
//   openvpc_router_programs_{applied,refused}_total, openvpc_router_info{host_id,underlay}.
// Pure: the same input gives the same text.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "router/capture.h"
#include "router/counters_file.h"
#include "router/worker.h"

namespace openvpc::router {

struct RouterMetricsInput {
  const RouterStatus* status = nullptr;
  std::span<const WorkerSnapshot> workers;
  CaptureStats capture;
  uint32_t connection_allowance = 0;  // per ENI and worker (PipelineConfig)
};

std::string router_metrics_text(const RouterMetricsInput& input);

}  // namespace openvpc::router
