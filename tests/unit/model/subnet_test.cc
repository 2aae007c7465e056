#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

using SubnetTest = RegionTest;

TEST_F(SubnetTest, ValidatesAgainstTheVpcAndSiblings) {
  std::string id = vpc("10.0.0.0/16");
  subnet(id, "10.0.1.0/24");
  const std::pair<const char*, const char*> cases[] = {
      {"10.0.2.0/24", "ok"},
      {"10.0.1.0/24", "InvalidSubnet.Conflict"},
      {"10.0.1.128/25", "InvalidSubnet.Conflict"},
      {"10.0.0.0/20", "InvalidSubnet.Conflict"},  // contains 10.0.1.0/24
      {"10.1.0.0/24", "InvalidSubnet.Range"},     // outside the VPC
      {"10.0.0.0/15", "InvalidSubnet.Range"},
      {"10.0.3.0/29", "InvalidSubnet.Range"},
      {"10.0.3.0/28", "ok"},
      {"10.0.4.1/24", "InvalidParameterValue"},
  };
  for (const auto& [cidr, expected] : cases) {
    EXPECT_EQ(code(model::create_subnet(region_, caller_, id, cidr, "")), expected) << cidr;
  }
}

TEST_F(SubnetTest, AvailabilityZoneMustExist) {
  std::string id = vpc();
  EXPECT_EQ(code(model::create_subnet(region_, caller_, id, "10.0.1.0/24", "us-east-1b")), "ok");
  EXPECT_EQ(code(model::create_subnet(region_, caller_, id, "10.0.2.0/24", "mars-1a")),
            "InvalidParameterValue");
}

TEST_F(SubnetTest, NewSubnetUsesTheDefaultAcl) {
  std::string id = vpc();
  std::string s = subnet(id, "10.0.1.0/24");
  const auto& acl = region_.network_acls.at(region_.vpcs.at(id).default_network_acl_id);
  ASSERT_EQ(acl.associations.size(), 1u);
  EXPECT_EQ(acl.associations[0].subnet_id, s);
}

TEST_F(SubnetTest, DeleteWithInterfacesIsDependencyViolation) {
  std::string id = vpc();
  std::string s = subnet(id, "10.0.1.0/24");
  std::string eni = interface(s);
  EXPECT_EQ(code(model::delete_subnet(region_, caller_, s)), "DependencyViolation");
  ASSERT_TRUE(model::delete_network_interface(region_, caller_, eni).ok());
  EXPECT_EQ(code(model::delete_subnet(region_, caller_, s)), "ok");
  EXPECT_TRUE(
      region_.network_acls.at(region_.vpcs.at(id).default_network_acl_id).associations.empty());
}

TEST_F(SubnetTest, LimitPerVpc) {
  caller_.limits.subnets_per_vpc = 1;
  std::string id = vpc();
  subnet(id, "10.0.1.0/24");
  EXPECT_EQ(code(model::create_subnet(region_, caller_, id, "10.0.2.0/24", "")),
            "SubnetLimitExceeded");
}

}  // namespace
}  // namespace openvpc::testing
