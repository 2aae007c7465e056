#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

using VpcTest = RegionTest;

TEST_F(VpcTest, NewVpcGetsEc2Defaults) {
  std::string id = vpc();
  const auto& v = region_.vpcs.at(id);
  EXPECT_EQ(v.id.size(), 4u + 17u);
  EXPECT_NE(v.vni, 0u);
  EXPECT_LT(v.vni, 1u << 24);
  const auto& main = region_.route_tables.at(v.main_route_table_id);
  ASSERT_EQ(main.routes.size(), 1u);
  EXPECT_EQ(main.routes[0].destination_cidr, "10.0.0.0/16");
  EXPECT_EQ(main.routes[0].gateway_id, "local");
  ASSERT_EQ(main.associations.size(), 1u);
  EXPECT_TRUE(main.associations[0].main);
  const auto& acl = region_.network_acls.at(v.default_network_acl_id);
  EXPECT_TRUE(acl.is_default);
  ASSERT_EQ(acl.entries.size(), 4u);  // 100 allow + * deny, both directions
  int allows = 0;
  for (const auto& entry : acl.entries) allows += entry.allow && entry.rule_number == 100;
  EXPECT_EQ(allows, 2);
  const auto& group = region_.security_groups.at(v.default_security_group_id);
  EXPECT_EQ(group.name, "default");
  ASSERT_EQ(group.rules.size(), 2u);
  bool from_itself = false, all_out = false;
  for (const auto& rule : group.rules) {
    from_itself |= !rule.egress && rule.referenced_group_id == group.id;
    all_out |= rule.egress && rule.cidr == "0.0.0.0/0" && rule.protocol == "-1";
  }
  EXPECT_TRUE(from_itself);
  EXPECT_TRUE(all_out);
}

TEST_F(VpcTest, CidrRangeIsSlash16ToSlash28) {
  const std::pair<const char*, const char*> cases[] = {
      {"10.0.0.0/16", "ok"},
      {"10.1.0.0/28", "ok"},
      {"10.0.0.0/15", "InvalidVpc.Range"},
      {"10.2.0.0/29", "InvalidVpc.Range"},
      {"10.3.0.1/24", "InvalidParameterValue"},
      {"bogus", "InvalidParameterValue"},
  };
  caller_.limits.vpcs_per_account = 100;
  for (const auto& [cidr, expected] : cases) {
    EXPECT_EQ(code(model::create_vpc(region_, caller_, cidr)), expected) << cidr;
  }
}

TEST_F(VpcTest, LimitPerAccountIsConfigurable) {
  caller_.limits.vpcs_per_account = 2;
  vpc();
  vpc();
  EXPECT_EQ(code(model::create_vpc(region_, caller_, "10.0.0.0/16")), "VpcLimitExceeded");
  // Another account has its own quota.
  EXPECT_EQ(code(model::create_vpc(region_, other_, "10.0.0.0/16")), "ok");
}

TEST_F(VpcTest, DeleteNeedsNoSubnetsAndRemovesDefaults) {
  std::string id = vpc();
  std::string s = subnet(id, "10.0.1.0/24");
  EXPECT_EQ(code(model::delete_vpc(region_, caller_, id)), "DependencyViolation");
  ASSERT_TRUE(model::delete_subnet(region_, caller_, s).ok());
  ASSERT_TRUE(model::delete_vpc(region_, caller_, id).ok());
  EXPECT_TRUE(region_.vpcs.empty());
  EXPECT_TRUE(region_.route_tables.empty());
  EXPECT_TRUE(region_.network_acls.empty());
  EXPECT_TRUE(region_.security_groups.empty());
}

TEST_F(VpcTest, AnotherAccountSeesNotFound) {
  std::string id = vpc();
  EXPECT_EQ(code(model::delete_vpc(region_, other_, id)), "InvalidVpcID.NotFound");
  EXPECT_EQ(code(model::delete_vpc(region_, caller_, "vpc-00000000000000000")),
            "InvalidVpcID.NotFound");
}

TEST_F(VpcTest, SecondaryCidrAddsLocalRoutesAndMustNotOverlap) {
  std::string id = vpc();
  std::string table = *model::create_route_table(region_, caller_, id);
  EXPECT_EQ(code(model::associate_vpc_cidr_block(region_, caller_, id, "10.0.128.0/17")),
            "InvalidVpc.Range");
  ASSERT_TRUE(model::associate_vpc_cidr_block(region_, caller_, id, "10.1.0.0/16").ok());
  EXPECT_EQ(region_.route_tables.at(table).routes.size(), 2u);
  EXPECT_EQ(region_.route_tables.at(region_.vpcs.at(id).main_route_table_id).routes.size(), 2u);
  EXPECT_EQ(code(model::create_subnet(region_, caller_, id, "10.1.5.0/24", "")), "ok");
}

TEST_F(VpcTest, DnsAttributes) {
  std::string id = vpc();
  ASSERT_TRUE(model::modify_vpc_attribute(region_, caller_, id, "enableDnsHostnames", true).ok());
  EXPECT_TRUE(region_.vpcs.at(id).enable_dns_hostnames);
  EXPECT_EQ(code(model::modify_vpc_attribute(region_, caller_, id, "bogus", true)),
            "InvalidParameterValue");
}

TEST_F(VpcTest, VnisAreUniqueInTheRegion) {
  caller_.limits.vpcs_per_account = 50;
  std::set<uint32_t> vnis;
  for (int i = 0; i < 50; ++i) vnis.insert(region_.vpcs.at(vpc()).vni);
  EXPECT_EQ(vnis.size(), 50u);
}

}  // namespace
}  // namespace openvpc::testing
