#include "model/program_compiler_flow_logs.h"

#include <algorithm>

namespace openvpc::model {

namespace {

program::FlowLogTraffic flow_log_traffic(const std::string& traffic_type) {
  if (traffic_type == "ACCEPT") return program::FlowLogTraffic::accept;
  if (traffic_type == "REJECT") return program::FlowLogTraffic::reject;
  return program::FlowLogTraffic::all;
}

}  // namespace

void add_host_flow_logs(const Region& region, std::string_view host_id, program::Program& out) {
  for (const auto& [id, log] : region.flow_logs) {
    program::FlowLog flow_log{.id = log.number,
                              .name = id,
                              .account_id = log.owner,
                              .traffic = flow_log_traffic(log.traffic_type),
                              .format = log.log_format,
                              .destination = log.log_destination,
                              .aggregation_seconds = uint32_t(log.max_aggregation_interval),
                              .enis = {}};
    for (const auto& [eni_id, eni] : region.network_interfaces) {
      if (eni.host_id != host_id) continue;
      if (log.resource_id == eni_id || log.resource_id == eni.subnet_id ||
          log.resource_id == eni.vpc_id) {
        flow_log.enis.push_back(eni.number);
      }
    }
    if (flow_log.enis.empty()) continue;
    std::sort(flow_log.enis.begin(), flow_log.enis.end());
    out.flow_logs.push_back(std::move(flow_log));
  }
}

}  // namespace openvpc::model
