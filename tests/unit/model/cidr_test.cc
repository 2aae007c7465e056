#include "model/cidr.h"

#include <gtest/gtest.h>

namespace openvpc::model {
namespace {

struct ParseCase {
  const char* text;
  bool ok;
  uint32_t base;
  int prefix_length;
};

TEST(Ipv4CidrTest, ParsesOnlyWellFormedBlocksWithClearHostBits) {
  const ParseCase cases[] = {
      {"10.0.0.0/16", true, 0x0a000000, 16},
      {"192.168.1.0/24", true, 0xc0a80100, 24},
      {"0.0.0.0/0", true, 0, 0},
      {"10.0.0.1/32", true, 0x0a000001, 32},
      {"10.0.0.1/16", false, 0, 0},
      {"10.0.0.0", false, 0, 0},
      {"10.0.0.0/33", false, 0, 0},
      {"10.0.0/16", false, 0, 0},
      {"256.0.0.0/8", false, 0, 0},
      {"10.0.0.0/-1", false, 0, 0},
      {"10.0.0.0/1a", false, 0, 0},
      {"", false, 0, 0},
      {"10.0.0.0.0/16", false, 0, 0},
      {"1000.0.0.0/8", false, 0, 0},
  };
  for (const auto& c : cases) {
    auto cidr = Ipv4Cidr::parse(c.text);
    ASSERT_EQ(cidr.ok(), c.ok) << c.text;
    if (!c.ok) {
      EXPECT_EQ(cidr.error().code, "InvalidParameterValue") << c.text;
      continue;
    }
    EXPECT_EQ(cidr->base, c.base) << c.text;
    EXPECT_EQ(cidr->prefix_length, c.prefix_length) << c.text;
    EXPECT_EQ(cidr->str(), c.text);
  }
}

TEST(Ipv4CidrTest, ContainmentAndOverlap) {
  auto vpc = *Ipv4Cidr::parse("10.0.0.0/16");
  auto inside = *Ipv4Cidr::parse("10.0.1.0/24");
  auto outside = *Ipv4Cidr::parse("10.1.0.0/24");
  auto wider = *Ipv4Cidr::parse("10.0.0.0/8");
  EXPECT_TRUE(vpc.contains(inside));
  EXPECT_FALSE(vpc.contains(outside));
  EXPECT_FALSE(vpc.contains(wider));
  EXPECT_TRUE(vpc.overlaps(wider));
  EXPECT_TRUE(wider.overlaps(vpc));
  EXPECT_FALSE(inside.overlaps(outside));
}

TEST(Ipv4CidrTest, FiveReservedAddressesPerSubnet) {
  auto subnet = *Ipv4Cidr::parse("10.0.1.0/24");
  const std::pair<const char*, bool> cases[] = {
      {"10.0.1.0", true},  {"10.0.1.1", true},    {"10.0.1.2", true},   {"10.0.1.3", true},
      {"10.0.1.4", false}, {"10.0.1.254", false}, {"10.0.1.255", true},
  };
  for (const auto& [ip, reserved] : cases) {
    EXPECT_EQ(subnet.is_reserved(*parse_ipv4(ip)), reserved) << ip;
  }
}

TEST(Ipv4Test, FormatRoundTrips) {
  for (const char* ip : {"0.0.0.0", "10.0.0.1", "255.255.255.255", "172.16.5.4"}) {
    EXPECT_EQ(format_ipv4(*parse_ipv4(ip)), ip);
  }
}

}  // namespace
}  // namespace openvpc::model
