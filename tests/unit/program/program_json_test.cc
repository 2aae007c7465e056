#include "program/program_json.h"

#include <gtest/gtest.h>

namespace openvpc::program {
namespace {

Program sample() {
  Program p;
  p.generation = 9;
  p.host_underlay = address_literal("192.168.0.1");
  p.router_mac = mac_literal("02:00:00:00:00:01");
  p.region = "us-west-2";
  p.vpcs = {{7, "blue", {cidr_literal("10.0.0.0/16"), cidr_literal("10.9.0.0/16")}, false, true}};
  p.subnets = {{11, "a", 7, cidr_literal("10.0.1.0/24"), 31, 21}};
  p.route_tables = {{21,
                     "main",
                     7,
                     {{cidr_literal("10.0.0.0/16"), RouteTargetKind::local, 0},
                      {cidr_literal("0.0.0.0/0"), RouteTargetKind::nat_gateway, 902}}}};
  p.network_acls = {{31,
                     "acl",
                     7,
                     {{100,
                       Direction::egress,
                       {6, {80, 443}, -1, -1},
                       cidr_literal("0.0.0.0/0"),
                       AclAction::allow}}}};
  p.security_groups = {{41,
                        "web",
                        7,
                        {{Direction::ingress, {1, {}, 8, 0}, cidr_literal("10.0.0.0/8"), 0},
                         {Direction::ingress, {6, {22, 22}, -1, -1}, {}, 41}},
                        {address_literal("10.0.1.5")}}};
  p.enis = {{101,
             "web1",
             11,
             mac_literal("02:00:00:00:01:01"),
             {address_literal("10.0.1.5")},
             {41},
             false,
             "i-0abc",
             "ip-10-0-1-5"}};
  p.mappings = {{7, address_literal("10.0.1.5"), address_literal("192.168.0.1"), 101, false},
                {7, address_literal("10.0.1.4"), address_literal("0.0.0.0"), 103, true,
                 address_literal("198.51.100.4"), 902}};
  p.nat_gateways = {{902,
                     "nat-1",
                     7,
                     103,
                     true,
                     {address_literal("10.0.1.4")},
                     {address_literal("127.0.12.1"), address_literal("0.0.0.0")},
                     11}};
  p.flow_logs = {{51,
                  "fl-1",
                  "123456789012",
                  FlowLogTraffic::reject,
                  "${version} ${srcaddr} ${action}",
                  "/var/log/flows.log",
                  60,
                  {101}}};
  p.mappings.push_back({7, address_literal("10.0.1.50"), address_literal("0.0.0.0"), 105, true,
                        address_literal("198.51.100.5"), 0, 91});
  LoadBalancerTargetGroup web{
      202,
      "arn:tg/web",
      {false, HealthCheckProtocol::http, 8080, "/", "200", 10, 5, 3, 2},
      30,
      false,
      true,
      {{address_literal("10.0.1.5"), 80, 101, address_literal("192.168.0.1"), true}}};
  p.load_balancers = {{91,
                       "net/front/00000000000000aa",
                       7,
                       "front.elb.example",
                       {{105, 11, address_literal("10.0.1.50"), address_literal("198.51.100.5")}},
                       {address_literal("127.0.12.1"), address_literal("0.0.0.0")},
                       true,
                       {{53, ListenerProtocol::tcp_udp, 202}},
                       {web}}};
  return p;
}

TEST(ProgramJson, RoundTripKeepsEveryField) {
  const Program p = sample();
  const auto back = program_from_json(program_to_json(p));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(to_text(*back), to_text(p));
  EXPECT_EQ(program_to_json(*back), program_to_json(p));
}

// A forged mapping update can name a VPC with bytes that are not UTF-8 (the fuzz target
// fuzz_mapping_update found that this threw): they print as U+FFFD, and the output loads.
TEST(ProgramJson, NamesThatAreNotUtf8PrintAsReplacementCharacters) {
  Program p = sample();
  p.vpcs[0].name = "bl\xffue";
  std::string text;
  ASSERT_NO_THROW(text = program_to_json(p));
  EXPECT_NE(text.find("bl\xef\xbf\xbdue"), std::string::npos);
  auto loaded = program_from_json(text);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->vpcs[0].name, "bl\xef\xbf\xbdue");
}

TEST(ProgramJson, DefaultsForAbsentFields) {
  const auto p = program_from_json(
      R"({"host_underlay": "192.168.0.1", "router_mac": "02:00:00:00:00:01",
          "enis": [{"id": 5, "subnet": 1, "mac": "02:00:00:00:00:05"}]})");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->enis.size(), 1u);
  EXPECT_TRUE(p->enis[0].source_dest_check);
  EXPECT_TRUE(p->enis[0].private_addresses.empty());
  EXPECT_TRUE(p->enis[0].instance_id.empty());
  EXPECT_TRUE(p->enis[0].hostname.empty());
  EXPECT_TRUE(p->region.empty());
}

TEST(ProgramJson, VpcDnsFlagsDefaultLikeAws) {
  const auto p = program_from_json(
      R"({"host_underlay": "192.168.0.1", "router_mac": "02:00:00:00:00:01",
          "vpcs": [{"id": 7, "cidrs": ["10.0.0.0/16"]}]})");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->vpcs.size(), 1u);
  EXPECT_TRUE(p->vpcs[0].dns_support);
  EXPECT_FALSE(p->vpcs[0].dns_hostnames);
}

struct BadCase {
  const char* description;
  const char* json;
};

class ProgramJsonBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(ProgramJsonBad, IsAnErrorNotACrash) {
  const auto p = program_from_json(GetParam().json);
  ASSERT_FALSE(p.ok()) << GetParam().description;
  EXPECT_EQ(p.error().code, "program.json");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ProgramJsonBad,
    ::testing::Values(
        BadCase{"not JSON", "{"}, BadCase{"not an object", "[1]"},
        BadCase{"bad address",
                R"({"host_underlay": "300.1.1.1", "router_mac": "02:00:00:00:00:01"})"},
        BadCase{"bad mac", R"({"host_underlay": "1.1.1.1", "router_mac": "xx"})"},
        BadCase{"bad flow log traffic",
                R"({"host_underlay": "1.1.1.1", "router_mac": "02:00:00:00:00:01",
                    "flow_logs": [{"id": 1, "traffic": "SOME"}]})"},
        BadCase{"bad listener protocol",
                R"({"host_underlay": "1.1.1.1", "router_mac": "02:00:00:00:00:01",
                     "load_balancers": [{"listeners": [{"port": 80, "protocol": "SCTP"}]}]})"},
        BadCase{"bad target address",
                R"({"host_underlay": "1.1.1.1", "router_mac": "02:00:00:00:00:01",
                     "load_balancers": [{"target_groups": [{"targets": [{"address": "x"}]}]}]})"},
        BadCase{"bad cidr", R"({"host_underlay": "1.1.1.1", "router_mac": "02:00:00:00:00:01",
                                "subnets": [{"cidr": "10.0.0.0/40"}]})"},
        BadCase{"wrong type", R"({"host_underlay": "1.1.1.1", "router_mac": "02:00:00:00:00:01",
                                  "generation": "seven"})"},
        BadCase{"unknown target", R"({"host_underlay": "1.1.1.1",
            "router_mac": "02:00:00:00:00:01",
            "route_tables": [{"routes": [{"destination": "0.0.0.0/0", "target": "moon"}]}]})"}));

}  // namespace
}  // namespace openvpc::program
