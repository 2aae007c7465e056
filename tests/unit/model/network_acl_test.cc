#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

using NetworkAclTest = RegionTest;

model::NetworkAclEntry entry(int number, bool egress = false, const char* protocol = "6") {
  model::NetworkAclEntry e;
  e.rule_number = number;
  e.egress = egress;
  e.protocol = protocol;
  e.cidr = "0.0.0.0/0";
  e.from_port = 80;
  e.to_port = 80;
  return e;
}

TEST_F(NetworkAclTest, NewAclDeniesEverything) {
  std::string id = *model::create_network_acl(region_, caller_, vpc());
  const auto& acl = region_.network_acls.at(id);
  EXPECT_FALSE(acl.is_default);
  ASSERT_EQ(acl.entries.size(), 2u);
  for (const auto& e : acl.entries) {
    EXPECT_EQ(e.rule_number, 32767);
    EXPECT_FALSE(e.allow);
  }
}

TEST_F(NetworkAclTest, EntryRules) {
  std::string id = *model::create_network_acl(region_, caller_, vpc());
  struct Case {
    model::NetworkAclEntry entry;
    bool replace;
    const char* expected;
  };
  const Case cases[] = {
      {entry(100), false, "ok"},
      {entry(100), false, "NetworkAclEntryAlreadyExists"},
      {entry(100, true), false, "ok"},  // same number, other direction
      {entry(0), false, "InvalidParameterValue"},
      {entry(32767), false, "InvalidParameterValue"},
      {entry(32766), false, "ok"},
      {entry(1), false, "ok"},
      {entry(200), true, "InvalidNetworkAclEntry.NotFound"},
      {entry(100, false, "17"), true, "ok"},
      {entry(5, false, "bogus"), false, "InvalidParameterValue"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(code(model::create_network_acl_entry(region_, caller_, id, c.entry, c.replace)),
              c.expected)
        << c.entry.rule_number;
  }
  const auto& entries = region_.network_acls.at(id).entries;
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::pair{a.egress, a.rule_number} < std::pair{b.egress, b.rule_number};
  }));
  EXPECT_EQ(code(model::delete_network_acl_entry(region_, caller_, id, 32767, false)),
            "InvalidNetworkAclEntry.NotFound");
  EXPECT_EQ(code(model::delete_network_acl_entry(region_, caller_, id, 100, false)), "ok");
}

TEST_F(NetworkAclTest, AssociationMovesSubnetAndBlocksDelete) {
  std::string v = vpc();
  std::string s = subnet(v, "10.0.1.0/24");
  std::string acl = *model::create_network_acl(region_, caller_, v);
  std::string association =
      region_.network_acls.at(region_.vpcs.at(v).default_network_acl_id).associations[0].id;
  auto moved = model::replace_network_acl_association(region_, caller_, association, acl);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(region_.network_acls.at(acl).associations[0].subnet_id, s);
  EXPECT_EQ(code(model::delete_network_acl(region_, caller_, acl)), "DependencyViolation");
  EXPECT_EQ(
      code(model::delete_network_acl(region_, caller_, region_.vpcs.at(v).default_network_acl_id)),
      "InvalidParameterValue");
  EXPECT_EQ(code(model::replace_network_acl_association(region_, caller_, association, acl)),
            "InvalidAssociationID.NotFound");
}

}  // namespace
}  // namespace openvpc::testing
