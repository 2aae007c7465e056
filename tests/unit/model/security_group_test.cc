#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

class SecurityGroupTest : public RegionTest {
 protected:
  void SetUp() override { vpc_ = vpc(); }
  static model::SecurityGroupRule tcp(int port, const std::string& cidr,
                                      const std::string& group = "") {
    model::SecurityGroupRule rule;
    rule.protocol = "tcp";
    rule.from_port = rule.to_port = port;
    rule.cidr = cidr;
    rule.referenced_group_id = group;
    return rule;
  }
  std::string vpc_;
};

TEST_F(SecurityGroupTest, CreateValidatesNames) {
  EXPECT_EQ(code(model::create_security_group(region_, caller_, vpc_, "web", "d")), "ok");
  EXPECT_EQ(code(model::create_security_group(region_, caller_, vpc_, "web", "d")),
            "InvalidGroup.Duplicate");
  EXPECT_EQ(code(model::create_security_group(region_, caller_, vpc_, "default", "d")),
            "InvalidGroup.Reserved");
  EXPECT_EQ(code(model::create_security_group(region_, other_, vpc_, "x", "d")),
            "InvalidVpcID.NotFound");
}

TEST_F(SecurityGroupTest, RuleValidation) {
  std::string web = *model::create_security_group(region_, caller_, vpc_, "web", "d");
  struct Case {
    model::SecurityGroupRule rule;
    const char* expected;
  };
  model::SecurityGroupRule bad_protocol = tcp(22, "0.0.0.0/0");
  bad_protocol.protocol = "sctpx";
  model::SecurityGroupRule reversed = tcp(22, "0.0.0.0/0");
  reversed.from_port = 30;
  model::SecurityGroupRule both = tcp(22, "0.0.0.0/0", web);
  const Case cases[] = {
      {tcp(22, "0.0.0.0/0"), "ok"},
      {tcp(22, "0.0.0.0/0"), "InvalidPermission.Duplicate"},
      {tcp(22, "10.0.0.0/8"), "ok"},
      {tcp(80, "10.0.0.1/8"), "InvalidParameterValue"},
      {bad_protocol, "InvalidParameterValue"},
      {reversed, "InvalidParameterValue"},
      {both, "MissingParameter"},
      {tcp(443, "", "sg-00000000000000000"), "InvalidGroup.NotFound"},
      {tcp(443, "", web), "ok"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(code(model::authorize_security_group(region_, caller_, web, {c.rule})), c.expected)
        << c.rule.cidr << " " << c.rule.from_port;
  }
}

TEST_F(SecurityGroupTest, RevokeByPermissionOrId) {
  std::string web = *model::create_security_group(region_, caller_, vpc_, "web", "d");
  auto added = model::authorize_security_group(region_, caller_, web,
                                               {tcp(22, "0.0.0.0/0"), tcp(80, "0.0.0.0/0")});
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(
      model::revoke_security_group(region_, caller_, web, false, {tcp(22, "0.0.0.0/0")}, {}).ok());
  EXPECT_EQ(
      code(model::revoke_security_group(region_, caller_, web, false, {tcp(22, "0.0.0.0/0")}, {})),
      "InvalidPermission.NotFound");
  ASSERT_TRUE(
      model::revoke_security_group(region_, caller_, web, false, {}, {(*added)[1].id}).ok());
  EXPECT_EQ(region_.security_groups.at(web).rules.size(), 1u);  // the default egress rule
}

TEST_F(SecurityGroupTest, DeleteRules) {
  std::string web = *model::create_security_group(region_, caller_, vpc_, "web", "d");
  std::string db = *model::create_security_group(region_, caller_, vpc_, "db", "d");
  ASSERT_TRUE(model::authorize_security_group(region_, caller_, db, {tcp(5432, "", web)}).ok());
  EXPECT_EQ(code(model::delete_security_group(region_, caller_, web)), "DependencyViolation");
  EXPECT_EQ(code(model::delete_security_group(region_, caller_,
                                              region_.vpcs.at(vpc_).default_security_group_id)),
            "CannotDelete");
  ASSERT_TRUE(model::delete_security_group(region_, caller_, db).ok());
  EXPECT_EQ(code(model::delete_security_group(region_, caller_, web)), "ok");
}

TEST_F(SecurityGroupTest, DeleteRefusesAGroupAnInterfaceIsIn) {
  const std::string web = *model::create_security_group(region_, caller_, vpc_, "web", "d");
  model::InterfaceRequest request;
  request.subnet_id = subnet(vpc_, "10.0.1.0/24");
  request.group_ids = {web};
  const auto eni = model::create_network_interface(region_, caller_, request);
  ASSERT_TRUE(eni.ok());
  EXPECT_EQ(code(model::delete_security_group(region_, caller_, web)), "DependencyViolation");
  // Moved to the default group: nothing uses it any more (the index follows the interface).
  ASSERT_TRUE(model::modify_network_interface(region_, caller_, *eni, std::nullopt,
                                              {region_.vpcs.at(vpc_).default_security_group_id})
                  .ok());
  EXPECT_EQ(code(model::delete_security_group(region_, caller_, web)), "ok");
}

TEST_F(SecurityGroupTest, RuleLimit) {
  caller_.limits.rules_per_security_group = 2;
  std::string web = *model::create_security_group(region_, caller_, vpc_, "web", "d");
  EXPECT_EQ(code(model::authorize_security_group(region_, caller_, web, {tcp(22, "0.0.0.0/0")})),
            "ok");
  EXPECT_EQ(code(model::authorize_security_group(region_, caller_, web, {tcp(23, "0.0.0.0/0")})),
            "RulesPerSecurityGroupLimitExceeded");
}

}  // namespace
}  // namespace openvpc::testing
