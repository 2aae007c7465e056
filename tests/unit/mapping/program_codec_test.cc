#include "mapping/program_codec.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <vector>

#include "test_programs.h"

namespace openvpc::mapping {
namespace {

using program::address_literal;

std::string bytes_of(const wire::Program& message) {
  return message.SerializeAsString();
}

TEST(ProgramCodec, RichProgramRoundTripsLosslessly) {
  program::Program original = testing::rich_program();
  wire::Program message = encode(original);
  auto decoded = decode(message);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(program::to_text(*decoded), program::to_text(original));
  // to_text sorts; the bytes also pin list order (primary address and CIDR first).
  EXPECT_EQ(bytes_of(encode(*decoded)), bytes_of(message));
  // And through the bytes, as a router receives it.
  wire::Program parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes_of(message)));
  auto reparsed = decode(parsed);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(program::to_text(*reparsed), program::to_text(original));
}

TEST(ProgramCodec, RandomProgramsRoundTrip) {
  std::mt19937_64 random(20240601);
  for (int i = 0; i < 300; ++i) {
    program::Program original = testing::random_program(random);
    auto decoded = decode(encode(original));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    ASSERT_EQ(program::to_text(*decoded), program::to_text(original)) << "program " << i;
    ASSERT_EQ(bytes_of(encode(*decoded)), bytes_of(encode(original))) << "program " << i;
  }
}

TEST(ProgramCodec, AddressesTravelAsFourOrSixteenBytes) {
  EXPECT_EQ(encode_address(address_literal("10.1.2.3")), std::string("\x0a\x01\x02\x03", 4));
  EXPECT_EQ(encode_address(address_literal("fd00::1")).size(), 16u);
  std::string mapped("\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x01\x02\x03", 16);
  EXPECT_EQ(decode_address(mapped), address_literal("10.1.2.3"));
  EXPECT_EQ(decode_address(""), std::nullopt);
  EXPECT_EQ(decode_address("12345"), std::nullopt);
}

struct BadProgramCase {
  const char* description;
  std::function<void(wire::Program&)> corrupt;
  const char* expected;  // part of the error message
};

std::vector<BadProgramCase> bad_program_cases() {
  return {
      {"host underlay of 5 bytes", [](auto& p) { p.set_host_underlay("12345"); }, "host underlay"},
      {"router MAC of 5 bytes", [](auto& p) { p.set_router_mac("12345"); }, "router mac"},
      {"IPv4 prefix /33",
       [](auto& p) { p.mutable_vpcs(0)->mutable_cidrs(0)->set_prefix_length(33); },
       "prefix length"},
      {"IPv6 prefix /129",
       [](auto& p) { p.mutable_vpcs(1)->mutable_cidrs(1)->set_prefix_length(129); },
       "prefix length"},
      {"port above 65535",
       [](auto& p) {
         p.mutable_network_acls(0)
             ->mutable_entries(0)
             ->mutable_traffic()
             ->mutable_ports()
             ->set_last(65536);
       },
       "port"},
      {"rule number above 65535",
       [](auto& p) { p.mutable_network_acls(0)->mutable_entries(0)->set_rule_number(70000); },
       "rule number"},
      {"protocol 256",
       [](auto& p) {
         p.mutable_security_groups(0)->mutable_rules(0)->mutable_traffic()->set_protocol(256);
       },
       "protocol"},
      {"protocol -2",
       [](auto& p) {
         p.mutable_security_groups(0)->mutable_rules(0)->mutable_traffic()->set_protocol(-2);
       },
       "protocol"},
      {"icmp type 256",
       [](auto& p) {
         p.mutable_network_acls(0)->mutable_entries(2)->mutable_traffic()->set_icmp_type(256);
       },
       "icmp type"},
      {"direction unspecified",
       [](auto& p) {
         p.mutable_security_groups(0)->mutable_rules(0)->set_direction(wire::DIRECTION_UNSPECIFIED);
       },
       "direction"},
      {"unknown direction",
       [](auto& p) {
         p.mutable_security_groups(0)->mutable_rules(0)->set_direction(
             static_cast<wire::Direction>(9));
       },
       "direction"},
      {"route target unspecified",
       [](auto& p) {
         p.mutable_route_tables(0)->mutable_routes(0)->set_target(wire::ROUTE_TARGET_UNSPECIFIED);
       },
       "route target"},
      {"unknown route target",
       [](auto& p) {
         p.mutable_route_tables(0)->mutable_routes(0)->set_target(
             static_cast<wire::RouteTargetKind>(99));
       },
       "route target"},
      {"ACL action unspecified",
       [](auto& p) {
         p.mutable_network_acls(0)->mutable_entries(0)->set_action(wire::ACL_ACTION_UNSPECIFIED);
       },
       "action"},
      {"empty group member",
       [](auto& p) { p.mutable_security_groups(0)->set_member_addresses(0, ""); }, "group member"},
      {"ENI MAC of 7 bytes", [](auto& p) { p.mutable_enis(0)->set_mac("1234567"); }, "eni mac"},
      {"mapping underlay missing", [](auto& p) { p.mutable_mappings(0)->clear_underlay(); },
       "mapping underlay"},
      {"subnet without a CIDR", [](auto& p) { p.mutable_subnets(0)->clear_cidr(); }, "subnet cidr"},
      {"flow log traffic unspecified",
       [](auto& p) { p.mutable_flow_logs(0)->set_traffic(wire::FLOW_LOG_TRAFFIC_UNSPECIFIED); },
       "flow log traffic"},
      {"listener protocol unspecified",
       [](auto& p) {
         p.mutable_load_balancers(1)->mutable_listeners(0)->set_protocol(
             wire::LISTENER_PROTOCOL_UNSPECIFIED);
       },
       "listener protocol"},
      {"listener port beyond 16 bits",
       [](auto& p) { p.mutable_load_balancers(1)->mutable_listeners(0)->set_port(65536); },
       "listener port"},
      {"listener port 0",
       [](auto& p) { p.mutable_load_balancers(1)->mutable_listeners(0)->set_port(0); },
       "listener port"},
      {"health check protocol unspecified",
       [](auto& p) {
         p.mutable_load_balancers(1)
             ->mutable_target_groups(0)
             ->mutable_health_check()
             ->set_protocol(wire::HEALTH_CHECK_PROTOCOL_UNSPECIFIED);
       },
       "health check protocol"},
      {"health check interval 0",
       [](auto& p) {
         p.mutable_load_balancers(1)
             ->mutable_target_groups(0)
             ->mutable_health_check()
             ->set_interval_seconds(0);
       },
       "health check interval"},
      {"target address of 3 bytes",
       [](auto& p) {
         p.mutable_load_balancers(1)->mutable_target_groups(0)->mutable_targets(0)->set_address(
             "abc");
       },
       "target address"},
      {"target port 0",
       [](auto& p) {
         p.mutable_load_balancers(1)->mutable_target_groups(0)->mutable_targets(0)->set_port(0);
       },
       "target port"},
      {"load balancer node of 5 bytes",
       [](auto& p) { p.mutable_load_balancers(1)->set_nodes(0, "12345"); }, "load balancer node"},
      {"load balancer interface without an address",
       [](auto& p) { p.mutable_load_balancers(1)->mutable_interfaces(0)->clear_address(); },
       "load balancer address"},
      {"mapping to a NAT gateway and a load balancer",
       [](auto& p) {
         p.mutable_mappings(3)->set_nat_gateway(81);
         p.mutable_mappings(3)->set_load_balancer(91);
       },
       "both"},
  };
}

TEST(ProgramCodec, RefusesMalformedPrograms) {
  for (const auto& c : bad_program_cases()) {
    wire::Program message = encode(testing::rich_program());
    c.corrupt(message);
    auto decoded = decode(message);
    ASSERT_FALSE(decoded.ok()) << c.description;
    EXPECT_EQ(decoded.error().code, "mapping.invalid_program") << c.description;
    EXPECT_NE(decoded.error().message.find(c.expected), std::string::npos)
        << c.description << ": " << decoded.error().message;
  }
}

TEST(ProgramCodec, MappingRoundTrips) {
  program::Mapping m{7, address_literal("fd00::7"), address_literal("192.168.0.9"), 42, false};
  auto decoded = decode(encode(m));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->vpc, 7u);
  EXPECT_EQ(decoded->address, m.address);
  EXPECT_EQ(decoded->underlay, m.underlay);
  EXPECT_EQ(decoded->eni, 42u);
  EXPECT_FALSE(decoded->source_dest_check);
  wire::Mapping bad = encode(m);
  bad.set_address("xyz");
  EXPECT_FALSE(decode(bad).ok());
}

}  // namespace
}  // namespace openvpc::mapping
