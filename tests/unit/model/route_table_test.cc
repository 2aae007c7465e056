#include <gtest/gtest.h>

#include <map>

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

// A route whose target is gone, detached or not running leads nowhere: route_reach says
// blackhole (what DescribeRouteTables reports and the compiler programs), and active again
// when the target comes back.
TEST_F(RouteTableTest, RoutesToWhatIsGoneAreBlackholes) {
  std::string igw = *model::create_internet_gateway(region_, caller_);
  ASSERT_TRUE(model::attach_internet_gateway(region_, caller_, igw, vpc_).ok());
  ASSERT_TRUE(
      model::create_route(region_, caller_, table_, "0.0.0.0/0", {igw, "", ""}, false).ok());
  std::string eni = interface(subnet_);
  ASSERT_TRUE(
      model::create_route(region_, caller_, table_, "172.16.0.0/12", {"", eni, ""}, false).ok());
  model::InstanceRequest request;
  request.network.subnet_id = subnet_;
  request.host_id = "h1";
  std::string instance = model::run_instances(region_, caller_, request)->at(0);
  ASSERT_TRUE(
      model::create_route(region_, caller_, table_, "192.168.0.0/16", {"", "", instance}, false)
          .ok());
  auto states = [&] {
    std::map<std::string, std::string> out;
    const auto& table = region_.route_tables.at(table_);
    for (const auto& route : table.routes) {
      out[route.destination_cidr] =
          model::route_active(region_, table, route) ? "active" : "blackhole";
    }
    return out;
  };
  using States = std::map<std::string, std::string>;
  EXPECT_EQ(states(), (States{{"0.0.0.0/0", "active"},
                              {"10.0.0.0/16", "active"},
                              {"172.16.0.0/12", "active"},
                              {"192.168.0.0/16", "active"}}));
  const auto& table = region_.route_tables.at(table_);
  for (const auto& route : table.routes) {
    if (route.destination_cidr != "0.0.0.0/0") continue;
    EXPECT_EQ(model::route_reach(region_, table, route).kind,
              program::RouteTargetKind::internet_gateway);
    EXPECT_EQ(model::route_reach(region_, table, route).number,
              region_.internet_gateways.at(igw).number);
  }

  ASSERT_TRUE(model::detach_internet_gateway(region_, caller_, igw, vpc_).ok());
  ASSERT_TRUE(model::delete_network_interface(region_, caller_, eni).ok());
  ASSERT_TRUE(model::terminate_instances(region_, caller_, {instance}).ok());
  EXPECT_EQ(states(), (States{{"0.0.0.0/0", "blackhole"},
                              {"10.0.0.0/16", "active"},
                              {"172.16.0.0/12", "blackhole"},
                              {"192.168.0.0/16", "blackhole"}}));
  ASSERT_TRUE(model::attach_internet_gateway(region_, caller_, igw, vpc_).ok());
  EXPECT_EQ(states().at("0.0.0.0/0"), "active");
}

}  // namespace
}  // namespace openvpc::testing
