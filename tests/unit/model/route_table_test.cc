#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

class RouteTableTest : public RegionTest {
 protected:
  void SetUp() override {
    vpc_ = vpc();
    subnet_ = subnet(vpc_, "10.0.1.0/24");
    table_ = *model::create_route_table(region_, caller_, vpc_);
  }
  std::string vpc_, subnet_, table_;
};

TEST_F(RouteTableTest, AssociationLifecycle) {
  auto association = model::associate_route_table(region_, caller_, table_, subnet_);
  ASSERT_TRUE(association.ok());
  std::string other = *model::create_route_table(region_, caller_, vpc_);
  EXPECT_EQ(code(model::associate_route_table(region_, caller_, other, subnet_)),
            "Resource.AlreadyAssociated");
  EXPECT_EQ(code(model::delete_route_table(region_, caller_, table_)), "DependencyViolation");
  auto replaced = model::replace_route_table_association(region_, caller_, *association, other);
  ASSERT_TRUE(replaced.ok());
  EXPECT_TRUE(region_.route_tables.at(table_).associations.empty());
  ASSERT_TRUE(model::disassociate_route_table(region_, caller_, *replaced).ok());
  EXPECT_EQ(code(model::disassociate_route_table(region_, caller_, *replaced)),
            "InvalidAssociationID.NotFound");
  EXPECT_EQ(code(model::delete_route_table(region_, caller_, table_)), "ok");
}

TEST_F(RouteTableTest, MainAssociationCanMove) {
  std::string main = region_.vpcs.at(vpc_).main_route_table_id;
  std::string association = region_.route_tables.at(main).associations[0].id;
  EXPECT_EQ(code(model::disassociate_route_table(region_, caller_, association)),
            "InvalidParameterValue");
  ASSERT_TRUE(model::replace_route_table_association(region_, caller_, association, table_).ok());
  EXPECT_EQ(region_.vpcs.at(vpc_).main_route_table_id, table_);
}

TEST_F(RouteTableTest, Routes) {
  std::string igw = *model::create_internet_gateway(region_, caller_);
  model::RouteTarget to_igw{igw, "", ""};
  EXPECT_EQ(code(model::create_route(region_, caller_, table_, "0.0.0.0/0", to_igw, false)),
            "InvalidParameterValue");  // not attached to this VPC
  ASSERT_TRUE(model::attach_internet_gateway(region_, caller_, igw, vpc_).ok());
  const std::tuple<const char*, model::RouteTarget, bool, const char*> cases[] = {
      {"0.0.0.0/0", to_igw, false, "ok"},
      {"0.0.0.0/0", to_igw, false, "RouteAlreadyExists"},
      {"0.0.0.0/0", to_igw, true, "ok"},
      {"192.168.0.0/16", to_igw, true, "InvalidRoute.NotFound"},
      {"192.168.0.0/16", {"igw-00000000000000000", "", ""}, false, "InvalidGatewayID.NotFound"},
      {"192.168.0.0/16", {"", "", ""}, false, "InvalidParameterCombination"},
      {"192.168.0.0/33", to_igw, false, "InvalidParameterValue"},
      {"10.0.0.0/16", to_igw, true, "InvalidParameterValue"},  // the local route
  };
  for (const auto& [destination, target, replace, expected] : cases) {
    EXPECT_EQ(code(model::create_route(region_, caller_, table_, destination, target, replace)),
              expected)
        << destination;
  }
  EXPECT_EQ(code(model::delete_route(region_, caller_, table_, "10.0.0.0/16")),
            "InvalidParameterValue");
  EXPECT_EQ(code(model::delete_route(region_, caller_, table_, "0.0.0.0/0")), "ok");
}

}  // namespace
}  // namespace openvpc::testing
