#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

using AddressTest = RegionTest;

TEST_F(AddressTest, AllocateAssociateRelease) {
  std::string v = vpc();
  std::string s = subnet(v, "10.0.1.0/24");
  std::string eni = interface(s);
  std::string allocation = *model::allocate_address(region_, caller_);
  EXPECT_EQ(region_.addresses.at(allocation).public_ip.rfind("198.51.100.", 0), 0u);
  EXPECT_EQ(code(model::associate_address(region_, caller_, allocation, "", eni, "")),
            "Gateway.NotAttached");
  std::string igw = *model::create_internet_gateway(region_, caller_);
  ASSERT_TRUE(model::attach_internet_gateway(region_, caller_, igw, v).ok());
  auto association = model::associate_address(region_, caller_, allocation, "", eni, "");
  ASSERT_TRUE(association.ok());
  EXPECT_EQ(code(model::release_address(region_, caller_, allocation)), "InvalidIPAddress.InUse");
  EXPECT_EQ(code(model::detach_internet_gateway(region_, caller_, igw, v)), "DependencyViolation");
  ASSERT_TRUE(model::disassociate_address(region_, caller_, *association).ok());
  EXPECT_EQ(code(model::release_address(region_, caller_, allocation)), "ok");
  EXPECT_EQ(code(model::release_address(region_, caller_, allocation)),
            "InvalidAllocationID.NotFound");
}

TEST_F(AddressTest, LimitPerAccount) {
  caller_.limits.elastic_ips_per_account = 2;
  ASSERT_TRUE(model::allocate_address(region_, caller_).ok());
  ASSERT_TRUE(model::allocate_address(region_, caller_).ok());
  EXPECT_EQ(code(model::allocate_address(region_, caller_)), "AddressLimitExceeded");
}

}  // namespace
}  // namespace openvpc::testing
