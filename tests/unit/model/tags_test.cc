#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

using TagsTest = RegionTest;

TEST_F(TagsTest, CreateAndDeleteTags) {
  std::string v = vpc();
  ASSERT_TRUE(model::create_tags(region_, caller_, {v}, {{"Name", "prod"}, {"tier", "web"}}).ok());
  EXPECT_EQ(region_.vpcs.at(v).tags.size(), 2u);
  EXPECT_EQ(code(model::create_tags(region_, other_, {v}, {{"x", "y"}})), "InvalidVpcID.NotFound");
  EXPECT_EQ(code(model::create_tags(region_, caller_, {"bogus-1"}, {{"x", "y"}})), "InvalidID");
  EXPECT_EQ(code(model::create_tags(region_, caller_, {v}, {{"aws:x", "y"}})),
            "InvalidParameterValue");
  ASSERT_TRUE(model::delete_tags(region_, caller_, {v}, {{"tier", std::string("other")}}).ok());
  EXPECT_EQ(region_.vpcs.at(v).tags.size(), 2u);  // value did not match
  ASSERT_TRUE(model::delete_tags(region_, caller_, {v}, {{"tier", std::nullopt}}).ok());
  EXPECT_EQ(region_.vpcs.at(v).tags.size(), 1u);
}

TEST_F(TagsTest, DhcpOptions) {
  std::string v = vpc();
  auto options = model::create_dhcp_options(
      region_, caller_,
      {{"domain-name", {"corp.internal"}}, {"domain-name-servers", {"10.0.0.2"}}});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(code(model::create_dhcp_options(region_, caller_, {{"bogus", {"x"}}})),
            "InvalidParameterValue");
  ASSERT_TRUE(model::associate_dhcp_options(region_, caller_, *options, v).ok());
  EXPECT_EQ(code(model::delete_dhcp_options(region_, caller_, *options)), "DependencyViolation");
  ASSERT_TRUE(model::associate_dhcp_options(region_, caller_, "default", v).ok());
  EXPECT_EQ(code(model::delete_dhcp_options(region_, caller_, *options)), "ok");
}

}  // namespace
}  // namespace openvpc::testing
