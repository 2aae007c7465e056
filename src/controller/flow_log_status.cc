#include "controller/flow_log_status.h"

namespace openvpc::controller {

api::FlowLogErrors flow_log_errors(const std::vector<mapping::HostStatus>& hosts) {
  api::FlowLogErrors errors;
  for (const mapping::HostStatus& host : hosts) {  // sorted by host id
    for (const mapping::FlowLogStatus& status : host.flow_logs) {
      if (!status.error.empty()) errors.emplace(status.flow_log, status.error);
    }
  }
  return errors;
}

}  // namespace openvpc::controller
