// services_config_test.cc — ServicesConfig derived from a per-host program.
#include "dataplane/services/services_config.h"

#include "program/dns_names.h"

#include <gtest/gtest.h>

namespace openvpc::dataplane::services {
namespace {

using program::address_literal;
using program::cidr_literal;

program::Vpc vpc(uint32_t id, const char* cidr) {
  program::Vpc v;
  v.id = id;
  v.cidrs = {cidr_literal(cidr)};
  return v;
}

program::Subnet subnet(uint32_t id, uint32_t vpc, const char* cidr) {
  program::Subnet s;
  s.id = id;
  s.vpc = vpc;
  s.cidr = cidr_literal(cidr);
  return s;
}

program::Eni eni(uint32_t id, uint32_t subnet, std::vector<IpAddress> addresses) {
  program::Eni e;
  e.id = id;
  e.subnet = subnet;
  e.mac = program::mac_literal("02:00:00:00:00:01");
  e.private_addresses = std::move(addresses);
  return e;
}

program::Mapping mapping(uint32_t vpc, const char* address) {
  program::Mapping m;
  m.vpc = vpc;
  m.address = address_literal(address);
  return m;
}

program::Program two_vpc_program() {
  program::Program p;
  p.router_mac = program::mac_literal("02:00:00:00:00:fe");
  p.vpcs = {vpc(7, "10.0.0.0/16"), vpc(8, "10.1.0.0/16"), vpc(9, "fd00::/56")};
  p.subnets = {subnet(70, 7, "10.0.1.0/24"), subnet(80, 8, "10.1.4.0/24")};
  p.enis = {eni(1, 70, {address_literal("10.0.1.5"), address_literal("10.0.1.6")}),
            eni(2, 80, {address_literal("10.1.4.4")}),
            eni(3, 99, {address_literal("10.0.1.7")})};  // unknown subnet: left out
  p.mappings = {mapping(7, "10.0.9.9"), mapping(7, "10.0.1.5"), mapping(8, "10.1.7.7")};
  return p;
}

TEST(ServicesConfig, FromProgram) {
  ServicesDefaults defaults;
  defaults.region = "ap-south-1";
  defaults.mtu = 1500;
  defaults.dhcp_options.domain_name = "corp.example";
  const ServicesConfig config = services_config_from_program(two_vpc_program(), defaults);
  EXPECT_EQ(config.router_mac, program::mac_literal("02:00:00:00:00:fe"));
  EXPECT_EQ(config.region, "ap-south-1");
  EXPECT_EQ(config.mtu, 1500);
  ASSERT_EQ(config.vpcs.size(), 2u);
  EXPECT_EQ(config.vpcs[0].id, 7u);
  EXPECT_EQ(config.vpcs[0].primary_cidr, cidr_literal("10.0.0.0/16"));
  EXPECT_EQ(config.vpcs[0].dhcp_options.domain_name, "corp.example");
  EXPECT_TRUE(config.vpcs[0].dns_hostnames);
  // Mappings plus local ENI addresses, sorted, without duplicates.
  EXPECT_EQ(config.vpcs[0].addresses,
            (std::vector<IpAddress>{address_literal("10.0.1.5"), address_literal("10.0.1.6"),
                                    address_literal("10.0.9.9")}));
  EXPECT_EQ(config.vpcs[1].addresses,
            (std::vector<IpAddress>{address_literal("10.1.4.4"), address_literal("10.1.7.7")}));
  ASSERT_EQ(config.enis.size(), 2u);
  EXPECT_EQ(config.enis[0].id, 1u);
  EXPECT_EQ(config.enis[0].vpc, 7u);
  EXPECT_EQ(config.enis[0].subnet, cidr_literal("10.0.1.0/24"));
  EXPECT_EQ(config.enis[0].private_addresses.size(), 2u);
  EXPECT_EQ(config.enis[1].vpc, 8u);
}

TEST(ServicesConfig, PrivateDnsZone) {
  EXPECT_EQ(program::private_dns_zone("us-east-1"), "ec2.internal");
  EXPECT_EQ(program::private_dns_zone("eu-west-1"), "eu-west-1.compute.internal");
}

// Each load balancer's DNS name (lower-cased) names its interfaces' addresses, in its VPC only.
TEST(ServicesConfig, LoadBalancerNamesTheirAddresses) {
  program::Program p = two_vpc_program();
  program::LoadBalancer lb;
  lb.id = 5;
  lb.vpc = 7;
  lb.dns_name = "Front-0123456789abcdef.elb.ap-south-1.amazonaws.com";
  lb.interfaces = {{11, 70, address_literal("10.0.2.50"), std::nullopt},
                   {10, 70, address_literal("10.0.1.50"), address_literal("198.51.100.5")}};
  p.load_balancers = {lb};
  const ServicesConfig config = services_config_from_program(p, {});
  ASSERT_EQ(config.vpcs.size(), 2u);
  ASSERT_EQ(config.vpcs[0].named_addresses.size(), 1u);
  EXPECT_EQ(config.vpcs[0].named_addresses[0].first,
            "front-0123456789abcdef.elb.ap-south-1.amazonaws.com");
  EXPECT_EQ(config.vpcs[0].named_addresses[0].second,
            (std::vector<IpAddress>{address_literal("10.0.1.50"), address_literal("10.0.2.50")}));
  EXPECT_TRUE(config.vpcs[1].named_addresses.empty());
}

}  // namespace
}  // namespace openvpc::dataplane::services
