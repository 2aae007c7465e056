// flow_log_status.h — one flow log's delivery status as a router reports it in its Acks.
//
// The router's flow-log files (router/flow_log_files.h) know whether a flow log's records reach
// its file; the controller must not look at its own file system to find out. So each Ack
// carries every flow log of the host with the error of its latest delivery attempt, and the
// router repeats its last Ack when a status changes; the mapping service keeps the last list
// per host (HostStatus::flow_logs) for DescribeFlowLogs.
#pragma once

#include <string>

namespace openvpc::mapping {

struct FlowLogStatus {
  std::string flow_log;  // "fl-..."
  std::string error;     // empty: the latest delivery worked
  bool operator==(const FlowLogStatus&) const = default;
};

}  // namespace openvpc::mapping
