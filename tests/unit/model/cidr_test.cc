// EC2's view of addresses and blocks (model/cidr.h) over the one CIDR type, program::Cidr:
// what a request may say, EC2's error text, and the reserved addresses of a subnet.
#include "model/cidr.h"

#include <gtest/gtest.h>

namespace openvpc::model {
namespace {

struct ParseCase {
  const char* text;
  bool ok;
  const char* base;  // of the parsed block
  int prefix_length;
};

TEST(Ec2CidrTest, ParsesOnlyWellFormedIpv4BlocksWithClearHostBits) {
  const ParseCase cases[] = {
      {"10.0.0.0/16", true, "10.0.0.0", 16},
      {"192.168.1.0/24", true, "192.168.1.0", 24},
      {"0.0.0.0/0", true, "0.0.0.0", 0},
      {"10.0.0.1/32", true, "10.0.0.1", 32},
      {"10.0.0.1/16", false, "", 0},  // host bits set
      {"10.0.0.0", false, "", 0},     // no prefix length
      {"10.0.0.0/33", false, "", 0},
      {"10.0.0.0/016", false, "", 0},
      {"10.0.0/16", false, "", 0},
      {"256.0.0.0/8", false, "", 0},
      {"10.0.0.0/-1", false, "", 0},
      {"10.0.0.0/1a", false, "", 0},
      {"10.0.0.0/", false, "", 0},
      {"", false, "", 0},
      {"10.0.0.0.0/16", false, "", 0},
      {"1000.0.0.0/8", false, "", 0},
      {"fd00::/8", false, "", 0},             // IPv6 is not taken here yet
      {"::ffff:10.0.0.0/112", false, "", 0},  // nor IPv4 written as IPv6
  };
  for (const auto& c : cases) {
    auto block = parse_ipv4_block(c.text);
    ASSERT_EQ(block.ok(), c.ok) << c.text;
    if (!c.ok) {
      EXPECT_EQ(block.error().code, "InvalidParameterValue") << c.text;
      EXPECT_EQ(block.error().message,
                "Value (" + std::string(c.text) + ") for parameter cidrBlock is invalid.");
      continue;
    }
    EXPECT_EQ(block->address.to_string(), c.base) << c.text;
    EXPECT_EQ(block->prefix_length, c.prefix_length) << c.text;
    EXPECT_EQ(block->to_string(), c.text);
  }
}

TEST(Ec2CidrTest, AddressesAreDottedQuads) {
  EXPECT_EQ(parse_ipv4("10.0.0.1")->v4_host_order(), 0x0a000001u);
  for (const char* bad : {"10.0.0", "10.0.0.256", "::1", "::ffff:10.0.0.1", "x", ""}) {
    auto address = parse_ipv4(bad);
    ASSERT_FALSE(address.ok()) << bad;
    EXPECT_EQ(address.error().message,
              "Value (" + std::string(bad) + ") for parameter address is invalid.");
  }
}

TEST(Ec2CidrTest, FiveReservedAddressesPerSubnet) {
  const Cidr subnet = *parse_ipv4_block("10.0.1.0/24");
  const std::pair<const char*, bool> cases[] = {
      {"10.0.1.0", true},  {"10.0.1.1", true},    {"10.0.1.2", true},   {"10.0.1.3", true},
      {"10.0.1.4", false}, {"10.0.1.254", false}, {"10.0.1.255", true},
  };
  for (const auto& [ip, reserved] : cases) {
    EXPECT_EQ(is_reserved(subnet, *parse_ipv4(ip)), reserved) << ip;
  }
  EXPECT_EQ(address_count(subnet), 256);
  EXPECT_EQ(address_count(*parse_ipv4_block("10.0.0.0/16")), 65536);
}

}  // namespace
}  // namespace openvpc::model
