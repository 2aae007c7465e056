#include "dataplane/compiled_program.h"

#include <gtest/gtest.h>

#include <functional>

#include "topology.h"

namespace openvpc::dataplane::testing {
namespace {

TEST(Compile, StandardProgramTables) {
  auto compiled = compile(standard_program());
  ASSERT_TRUE(compiled.ok()) << compiled.error().message;
  const CompiledProgram& p = **compiled;
  EXPECT_EQ(p.local_enis.size(), 5u);
  const int32_t web2 = p.find_local_eni(102);
  ASSERT_GE(web2, 0);
  EXPECT_EQ(p.local_enis[size_t(web2)].mac, kWeb2.mac);
  EXPECT_EQ(p.find_local_eni(201), -1);
  ASSERT_NE(p.find_vpc(8), nullptr);
  EXPECT_EQ(p.find_vpc(9), nullptr);
  const EniLocation* remote = p.find_eni(201);
  ASSERT_NE(remote, nullptr);
  EXPECT_EQ(remote->underlay, kRemoteHost);
  EXPECT_EQ(remote->local_index, -1);
  EXPECT_EQ(p.find_eni(101)->local_index, p.find_local_eni(101));
  // Same address in two VPCs: two mappings.
  EXPECT_EQ(p.find_mapping(7, kWeb1.ip)->eni, 101u);
  EXPECT_EQ(p.find_mapping(8, kWeb1.ip)->eni, 301u);
  EXPECT_EQ(p.find_mapping(9, kWeb1.ip), nullptr);
  // Router and resolver addresses.
  const LocalEni& web1 = p.local_enis[size_t(p.find_local_eni(101))];
  EXPECT_EQ(p.subnets[web1.subnet].router_address, address_literal("10.0.1.1"));
  EXPECT_TRUE(p.is_local_service(web1, address_literal("10.0.1.2")));
  EXPECT_TRUE(p.is_local_service(web1, address_literal("10.0.0.2")));
  EXPECT_TRUE(p.is_local_service(web1, address_literal("169.254.169.253")));
  EXPECT_FALSE(p.is_local_service(web1, address_literal("10.0.1.3")));
  // Group 42's rule naming group 41 became a member set.
  ASSERT_EQ(p.member_sets.size(), 1u);
  EXPECT_EQ(p.member_sets[0].size(), 3u);
}

TEST(Compile, ManyMappingsAllFound) {
  program::Program prog = standard_program();
  for (uint32_t i = 0; i < 5000; ++i) {
    prog.mappings.push_back({7, IpAddress::v4(0x0a640000 + i), kRemoteHost, 10000 + i, true});
  }
  auto compiled = compile(prog);
  ASSERT_TRUE(compiled.ok());
  for (uint32_t i = 0; i < 5000; ++i) {
    const auto* m = (*compiled)->find_mapping(7, IpAddress::v4(0x0a640000 + i));
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->eni, 10000 + i);
  }
}

struct InvalidCase {
  const char* description;
  std::function<void(program::Program&)> edit;
};

class CompileInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(CompileInvalid, IsRefused) {
  program::Program p = standard_program();
  GetParam().edit(p);
  auto compiled = compile(p);
  ASSERT_FALSE(compiled.ok()) << GetParam().description;
  EXPECT_EQ(compiled.error().code, "program.invalid");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CompileInvalid,
    ::testing::Values(
        InvalidCase{"duplicate subnet", [](auto& p) { p.subnets.push_back(p.subnets[0]); }},
        InvalidCase{"duplicate eni", [](auto& p) { p.enis.push_back(p.enis[0]); }},
        InvalidCase{"eni in unknown subnet", [](auto& p) { p.enis[0].subnet = 99; }},
        InvalidCase{"eni in unknown group", [](auto& p) { p.enis[0].security_groups = {99}; }},
        InvalidCase{"subnet with unknown acl", [](auto& p) { p.subnets[0].network_acl = 99; }},
        InvalidCase{"subnet with unknown table", [](auto& p) { p.subnets[0].route_table = 99; }},
        InvalidCase{"rule naming unknown group",
                    [](auto& p) { p.security_groups[0].rules[0].referenced_group = 99; }},
        InvalidCase{"vni wider than 24 bits", [](auto& p) { p.vpcs[0].id = 1u << 24; }},
        InvalidCase{"duplicate nat gateway",
                    [](auto& p) {
                      with_nat_gateway(p);
                      p.nat_gateways.push_back(p.nat_gateways[0]);
                    }},
        InvalidCase{"nat gateway without eni",
                    [](auto& p) {
                      with_nat_gateway(p);
                      p.nat_gateways[0].eni = 0;
                    }},
        InvalidCase{"nat gateway node not IPv4",
                    [](auto& p) {
                      with_nat_gateway(p, {kNatNode1, address_literal("fd00::1")});
                    }},
        InvalidCase{"routed-to nat gateway in unknown vpc", [](auto& p) {
                      with_nat_gateway(p);
                      p.nat_gateways[0].vpc = 99;
                    }}));

TEST(Compile, NatGatewaysAndTheirNodes) {
  program::Program prog = standard_program();
  with_nat_gateway(prog, {kNatNode1, kNodeDown, kNatNode3});
  // A gateway no route targets may name a VPC this program does not have.
  program::NatGateway unrouted = prog.nat_gateways[0];
  unrouted.id = 77;
  unrouted.vpc = 99;
  unrouted.nodes = {kNatNode2};
  prog.nat_gateways.push_back(unrouted);
  auto compiled = compile(prog);
  ASSERT_TRUE(compiled.ok()) << compiled.error().message;
  const CompiledProgram& p = **compiled;
  const CompiledNatGateway* g = p.find_nat_gateway(kNatGateway);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->eni, kNatGatewayEni);
  EXPECT_EQ(g->vpc, 7u);
  EXPECT_EQ(g->nodes_v4,
            (std::vector<uint32_t>{kNatNode1.v4_host_order(), 0, kNatNode3.v4_host_order()}));
  EXPECT_EQ(p.find_nat_gateway(1), nullptr);
  EXPECT_TRUE(p.is_fleet_node(7, kNatNode1));
  EXPECT_FALSE(p.is_fleet_node(7, kNodeDown));
  EXPECT_FALSE(p.is_fleet_node(8, kNatNode1));  // only for its gateway's VPC
  EXPECT_TRUE(p.is_fleet_node(99, kNatNode2));
  EXPECT_TRUE(p.is_fleet_node(8, kEdge));  // edge nodes: any VPC
  EXPECT_FALSE(p.is_fleet_node(7, kRemoteHost));
  // A route to a gateway the program does not list still compiles (placement may lag).
  prog.nat_gateways.clear();
  EXPECT_TRUE(compile(prog).ok());
}

}  // namespace
}  // namespace openvpc::dataplane::testing
