// CreateFlowLogs / DeleteFlowLogs in the model: the destination is a path relative to the
// account's flow-log directory, never an absolute path or one that climbs out of it.
#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

using FlowLogTest = RegionTest;

TEST_F(FlowLogTest, CreateAndDelete) {
  std::string v = vpc();
  auto logs = model::create_flow_logs(region_, caller_, {v}, "ALL", "web/flows.log", "", 60);
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(region_.flow_logs.at(logs->at(0)).log_destination, "web/flows.log");
  EXPECT_EQ(code(model::create_flow_logs(region_, caller_, {v}, "SOME", "x.log", "", 60)),
            "InvalidParameterValue");
  EXPECT_EQ(code(model::create_flow_logs(region_, caller_, {v}, "ALL", "x.log", "", 61)),
            "InvalidParameterValue");
  EXPECT_EQ(code(model::delete_flow_logs(region_, other_, *logs)), "InvalidFlowLogId.NotFound");
  ASSERT_TRUE(model::delete_flow_logs(region_, caller_, *logs).ok());
  EXPECT_TRUE(region_.flow_logs.empty());
}

TEST_F(FlowLogTest, DestinationsOutsideTheAccountDirectoryAreRefused) {
  std::string v = vpc();
  for (const char* destination :
       {"/etc/passwd", "/var/log/openvpc/flow-logs/123456789012/x.log", "../x.log",
        "a/../../etc/passwd", "..", "./x.log", "a//b.log", "a/", ""}) {
    auto created = model::create_flow_logs(region_, caller_, {v}, "ALL", destination, "", 60);
    EXPECT_EQ(code(created), "InvalidParameterValue") << destination;
  }
  EXPECT_TRUE(region_.flow_logs.empty());
}

}  // namespace
}  // namespace openvpc::testing
