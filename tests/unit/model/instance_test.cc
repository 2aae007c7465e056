#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

using InstanceTest = RegionTest;

TEST_F(InstanceTest, RunPlacesOnHostAndTerminateFreesTheAddress) {
  std::string v = vpc();
  std::string s = subnet(v, "10.0.1.0/24");
  model::InstanceRequest request;
  request.network.subnet_id = s;
  request.network.private_ip = "10.0.1.20";
  request.host_id = "h1";
  auto ids = model::run_instances(region_, caller_, request);
  ASSERT_TRUE(ids.ok());
  const auto& instance = region_.instances.at(ids->front());
  EXPECT_EQ(instance.host_id, "h1");
  EXPECT_EQ(instance.private_ip, "10.0.1.20");
  const auto& eni = region_.network_interfaces.at(instance.primary_interface_id);
  EXPECT_EQ(eni.host_id, "h1");
  EXPECT_EQ(eni.attachment.device_index, 0);
  EXPECT_EQ(code(model::run_instances(region_, caller_, request)), "InvalidIPAddress.InUse");
  auto previous = model::terminate_instances(region_, caller_, *ids);
  ASSERT_TRUE(previous.ok());
  EXPECT_EQ(previous->front(), "running");
  EXPECT_EQ(region_.instances.at(ids->front()).state, "terminated");
  EXPECT_TRUE(region_.network_interfaces.empty());
  EXPECT_EQ(code(model::run_instances(region_, caller_, request)), "ok");
  EXPECT_EQ(code(model::terminate_instances(region_, other_, *ids)), "InvalidInstanceID.NotFound");
}

TEST_F(InstanceTest, CountAndPrivateIpDoNotMix) {
  std::string s = subnet(vpc(), "10.0.1.0/24");
  model::InstanceRequest request;
  request.network.subnet_id = s;
  request.count = 3;
  auto ids = model::run_instances(region_, caller_, request);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 3u);
  request.network.private_ip = "10.0.1.100";
  EXPECT_EQ(code(model::run_instances(region_, caller_, request)), "InvalidParameterCombination");
}

}  // namespace
}  // namespace openvpc::testing
