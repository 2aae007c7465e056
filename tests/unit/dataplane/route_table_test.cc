#include "dataplane/route_table.h"

#include <gtest/gtest.h>

namespace openvpc::dataplane {
namespace {

using program::address_literal;
using program::cidr_literal;
using program::RouteTargetKind;

struct LookupCase {
  const char* destination;
  RouteTargetKind target;  // blackhole stands for "no route" when expect_route is false
  uint32_t target_id;
  bool expect_route = true;
};

class RouteLookupTest : public ::testing::TestWithParam<LookupCase> {};

const program::RouteTable kTable{21,
                                 "main",
                                 7,
                                 {{cidr_literal("0.0.0.0/0"), RouteTargetKind::internet_gateway, 1},
                                  {cidr_literal("10.0.0.0/16"), RouteTargetKind::local, 0},
                                  {cidr_literal("10.0.2.0/24"), RouteTargetKind::eni, 5},
                                  {cidr_literal("10.0.2.128/25"), RouteTargetKind::blackhole, 0},
                                  {cidr_literal("10.0.2.200/32"), RouteTargetKind::nat_gateway, 9},
                                  {cidr_literal("192.168.0.0/16"), RouteTargetKind::peering, 3}}};

TEST_P(RouteLookupTest, LongestPrefixWins) {
  const RouteLookup lookup(kTable);
  const auto& c = GetParam();
  const program::Route* route = lookup.lookup(address_literal(c.destination));
  if (!c.expect_route) {
    EXPECT_EQ(route, nullptr);
    return;
  }
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->target, c.target) << c.destination;
  EXPECT_EQ(route->target_id, c.target_id) << c.destination;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RouteLookupTest,
    ::testing::Values(LookupCase{"10.0.1.1", RouteTargetKind::local, 0},
                      LookupCase{"10.0.2.1", RouteTargetKind::eni, 5},
                      LookupCase{"10.0.2.127", RouteTargetKind::eni, 5},
                      LookupCase{"10.0.2.128", RouteTargetKind::blackhole, 0},
                      LookupCase{"10.0.2.200", RouteTargetKind::nat_gateway, 9},
                      LookupCase{"10.0.2.201", RouteTargetKind::blackhole, 0},
                      LookupCase{"10.1.0.0", RouteTargetKind::internet_gateway, 1},
                      LookupCase{"192.168.44.1", RouteTargetKind::peering, 3},
                      LookupCase{"255.255.255.255", RouteTargetKind::internet_gateway, 1}));

TEST(RouteLookup, NoDefaultRouteMeansNoRoute) {
  const RouteLookup lookup(
      program::RouteTable{1, "", 7, {{cidr_literal("10.0.0.0/16"), RouteTargetKind::local, 0}}});
  EXPECT_EQ(lookup.lookup(address_literal("10.1.0.1")), nullptr);
  EXPECT_NE(lookup.lookup(address_literal("10.0.255.255")), nullptr);
  EXPECT_EQ(lookup.route_count(), 1u);
}

}  // namespace
}  // namespace openvpc::dataplane
