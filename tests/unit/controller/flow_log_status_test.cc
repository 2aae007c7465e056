// DeliverLogsStatus comes from the hosts' reports: FAILED with a host's error when any host
// reports one, nothing (SUCCESS) otherwise.
#include "controller/flow_log_status.h"

#include <gtest/gtest.h>

namespace openvpc::controller {
namespace {

mapping::HostStatus host(std::string id, std::vector<mapping::FlowLogStatus> flow_logs) {
  mapping::HostStatus status;
  status.host_id = std::move(id);
  status.flow_logs = std::move(flow_logs);
  return status;
}

TEST(FlowLogStatus, AnyHostsErrorFailsTheFlowLog) {
  const std::vector<mapping::HostStatus> hosts = {
      host("h1", {{"fl-ok", ""}, {"fl-bad", ""}}),
      host("h2",
           {{"fl-ok", ""}, {"fl-bad", "Access error: x.log: Too many levels of symbolic links"}}),
      host("h3", {{"fl-bad", "Access error: x.log: Permission denied"}}),
      host("h4", {}),  // reported nothing yet
  };
  const api::FlowLogErrors errors = flow_log_errors(hosts);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.at("fl-bad"), "Access error: x.log: Too many levels of symbolic links");
  EXPECT_TRUE(flow_log_errors({}).empty());
}

}  // namespace
}  // namespace openvpc::controller
