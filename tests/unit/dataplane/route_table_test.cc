#include "dataplane/route_table.h"

#include <algorithm>
#include <random>

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

// lookup() binary-searches per prefix length; it must answer what a scan of the sorted routes
// (longest first, ties by address, first wins) answers — duplicates, host bits set, IPv4 and
// IPv6 (::/0 and ::ffff:0:0/96 contain IPv4 addresses too) included.
TEST(RouteLookup, AnswersAsAScanOfTheSortedRoutes) {
  std::mt19937 random(15);
  const auto v4 = [&] { return packet::IpAddress::v4(0x0a000000 | (random() & 0xffff)); };
  const auto v6 = [&] {
    packet::IpAddress a = packet::IpAddress::v4(random());
    if (random() % 2 != 0) {
      a.bytes = {0x20, 0x01, 0x0d, 0xb8};
      a.bytes[15] = uint8_t(random() % 4);
    }
    return a;
  };
  const uint8_t v4_lengths[] = {0, 8, 16, 20, 24, 25, 28, 31, 32};
  for (int round = 0; round < 200; ++round) {
    program::RouteTable table{1, "", 7, {}};
    const int n = 1 + int(random() % 40);
    for (int i = 0; i < n; ++i) {
      program::Cidr cidr;
      if (random() % 8 == 0) {
        cidr.address = v6();
        cidr.prefix_length = cidr.address.is_v4() ? uint8_t(96) : uint8_t(random() % 129);
        if (random() % 4 == 0) cidr.prefix_length = 0;
        if (cidr.address.is_v4()) cidr = program::Cidr::make(cidr.address, 0);
      } else {
        cidr.address = v4();  // host bits kept: the compiled prefix masks them
        cidr.prefix_length = v4_lengths[random() % std::size(v4_lengths)];
      }
      if (i > 0 && random() % 8 == 0) cidr = table.routes[random() % size_t(i)].destination;
      table.routes.push_back({cidr, RouteTargetKind::eni, uint32_t(i)});
    }
    auto sorted = table.routes;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const program::Route& a, const program::Route& b) {
                       const int la = a.destination.mapped_prefix_length();
                       const int lb = b.destination.mapped_prefix_length();
                       if (la != lb) return la > lb;
                       return a.destination.address < b.destination.address;
                     });
    const RouteLookup lookup(table);
    for (int probe = 0; probe < 50; ++probe) {
      const packet::IpAddress destination = probe % 10 == 0 ? v6() : v4();
      const program::Route* expected = nullptr;
      for (const auto& route : sorted) {
        if (Prefix::from(route.destination).contains(destination)) {
          expected = &route;
          break;
        }
      }
      const program::Route* got = lookup.lookup(destination);
      ASSERT_EQ(got == nullptr, expected == nullptr) << round << " " << probe;
      if (got != nullptr) {
        ASSERT_EQ(got->target_id, expected->target_id) << round << " " << probe;
      }
    }
  }
}

}  // namespace
}  // namespace openvpc::dataplane
