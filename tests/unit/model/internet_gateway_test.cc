#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

using InternetGatewayTest = RegionTest;

TEST_F(InternetGatewayTest, AttachDetachDelete) {
  std::string v = vpc();
  std::string igw = *model::create_internet_gateway(region_, caller_);
  std::string igw2 = *model::create_internet_gateway(region_, caller_);
  EXPECT_EQ(code(model::detach_internet_gateway(region_, caller_, igw, v)), "Gateway.NotAttached");
  EXPECT_EQ(code(model::attach_internet_gateway(region_, caller_, igw, v)), "ok");
  EXPECT_EQ(code(model::attach_internet_gateway(region_, caller_, igw, v)),
            "Resource.AlreadyAssociated");
  EXPECT_EQ(code(model::attach_internet_gateway(region_, caller_, igw2, v)),
            "Resource.AlreadyAssociated");
  EXPECT_EQ(code(model::delete_internet_gateway(region_, caller_, igw)), "DependencyViolation");
  EXPECT_EQ(code(model::delete_vpc(region_, caller_, v)), "DependencyViolation");
  EXPECT_EQ(code(model::detach_internet_gateway(region_, caller_, igw, v)), "ok");
  EXPECT_EQ(code(model::delete_internet_gateway(region_, other_, igw)),
            "InvalidInternetGatewayID.NotFound");
  EXPECT_EQ(code(model::delete_internet_gateway(region_, caller_, igw)), "ok");
}

}  // namespace
}  // namespace openvpc::testing
