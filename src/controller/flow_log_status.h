// flow_log_status.h — DescribeFlowLogs' DeliverLogsStatus from what the routers reported.
//
// Each router reports its flow logs' delivery statuses in its Acks (mapping/flow_log_status.h);
// the mapping service keeps each host's last report. A flow log FAILED when any host reports an
// error for it; the message is that host's error (the first host by id, for a stable answer).
// Hosts that have not reported a flow log do not count: it is SUCCESS until one says otherwise.
#pragma once

#include <vector>

#include "api/action.h"
#include "mapping/host_table.h"

namespace openvpc::controller {

api::FlowLogErrors flow_log_errors(const std::vector<mapping::HostStatus>& hosts);

}  // namespace openvpc::controller
