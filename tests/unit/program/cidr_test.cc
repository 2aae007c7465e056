#include "program/cidr.h"

#include <gtest/gtest.h>

namespace openvpc::program {
namespace {

struct ParseCase {
  const char* text;
  bool valid;
  const char* normalised;  // to_string() of the result
};

class CidrParse : public ::testing::TestWithParam<ParseCase> {};

TEST_P(CidrParse, ParsesAndNormalises) {
  const auto& c = GetParam();
  const auto cidr = Cidr::parse(c.text);
  ASSERT_EQ(cidr.has_value(), c.valid) << c.text;
  if (c.valid) {
    EXPECT_EQ(cidr->to_string(), c.normalised);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CidrParse,
                         ::testing::Values(ParseCase{"10.0.0.0/16", true, "10.0.0.0/16"},
                                           ParseCase{"10.0.1.77/24", true, "10.0.1.0/24"},
                                           ParseCase{"10.0.1.77/0", true, "0.0.0.0/0"},
                                           ParseCase{"10.0.1.77", true, "10.0.1.77/32"},
                                           ParseCase{"10.0.1.255/31", true, "10.0.1.254/31"},
                                           ParseCase{"fd00:1::7/64", true, "fd00:1::/64"},
                                           ParseCase{"10.0.0.0/33", false, ""},
                                           ParseCase{"10.0.0.0/", false, ""},
                                           ParseCase{"10.0.0/8", false, ""},
                                           ParseCase{"10.0.0.0/1a", false, ""},
                                           ParseCase{"", false, ""}));

struct ContainsCase {
  const char* cidr;
  const char* address;
  bool contained;
};

class CidrContains : public ::testing::TestWithParam<ContainsCase> {};

TEST_P(CidrContains, Boundaries) {
  const auto& c = GetParam();
  EXPECT_EQ(cidr_literal(c.cidr).contains(address_literal(c.address)), c.contained)
      << c.cidr << " " << c.address;
}

INSTANTIATE_TEST_SUITE_P(Cases, CidrContains,
                         ::testing::Values(ContainsCase{"10.0.0.0/16", "10.0.255.255", true},
                                           ContainsCase{"10.0.0.0/16", "10.1.0.0", false},
                                           ContainsCase{"10.0.2.128/25", "10.0.2.127", false},
                                           ContainsCase{"10.0.2.128/25", "10.0.2.128", true},
                                           ContainsCase{"0.0.0.0/0", "255.1.2.3", true},
                                           ContainsCase{"0.0.0.0/0", "fd00::1", false},
                                           ContainsCase{"10.0.1.5/32", "10.0.1.5", true},
                                           ContainsCase{"10.0.1.5/32", "10.0.1.4", false},
                                           ContainsCase{"fd00::/8", "fdff::1", true},
                                           ContainsCase{"fd00::/8", "fe00::1", false}));

TEST(Cidr, BlocksInsideAndOverlappingBlocks) {
  const Cidr vpc = cidr_literal("10.0.0.0/16");
  EXPECT_TRUE(vpc.contains(cidr_literal("10.0.1.0/24")));
  EXPECT_TRUE(vpc.contains(vpc));
  EXPECT_FALSE(vpc.contains(cidr_literal("10.1.0.0/24")));
  EXPECT_FALSE(vpc.contains(cidr_literal("10.0.0.0/8")));
  EXPECT_TRUE(vpc.overlaps(cidr_literal("10.0.0.0/8")));
  EXPECT_TRUE(cidr_literal("10.0.0.0/8").overlaps(vpc));
  EXPECT_FALSE(cidr_literal("10.0.1.0/24").overlaps(cidr_literal("10.0.2.0/24")));
  // The families never mix, though an IPv4 block is an IPv6 prefix of the mapped form.
  EXPECT_FALSE(cidr_literal("::/0").contains(vpc));
  EXPECT_FALSE(cidr_literal("0.0.0.0/0").contains(cidr_literal("fd00::/8")));
}

TEST(Cidr, LastAddress) {
  EXPECT_EQ(format_address(cidr_literal("10.0.1.0/24").last()), "10.0.1.255");
  EXPECT_EQ(format_address(cidr_literal("10.0.2.128/25").last()), "10.0.2.255");
  EXPECT_EQ(format_address(cidr_literal("10.0.1.5/32").last()), "10.0.1.5");
  EXPECT_EQ(format_address(cidr_literal("0.0.0.0/0").last()), "255.255.255.255");
  EXPECT_EQ(format_address(cidr_literal("fd00::/64").last()), "fd00::ffff:ffff:ffff:ffff");
}

TEST(Cidr, MappedPrefixLength) {
  EXPECT_EQ(cidr_literal("10.0.0.0/24").mapped_prefix_length(), 120);
  EXPECT_EQ(cidr_literal("fd00::/64").mapped_prefix_length(), 64);
}

TEST(Addresses, FormatAndParseMac) {
  EXPECT_EQ(format_mac(mac_literal("02:00:0a:FF:00:01")), "02:00:0a:ff:00:01");
  EXPECT_FALSE(parse_mac("02:00:0a:ff:00").has_value());
  EXPECT_FALSE(parse_mac("02-00-0a-ff-00-01").has_value());
  EXPECT_FALSE(parse_mac("02:00:0g:ff:00:01").has_value());
  EXPECT_EQ(format_address(address_literal("10.0.1.5")), "10.0.1.5");
  EXPECT_EQ(format_address(address_literal("fd00::5")), "fd00::5");
  EXPECT_TRUE(address_literal("10.0.1.5").is_v4());
  EXPECT_FALSE(parse_address("10.0.1.256").has_value());
}

}  // namespace
}  // namespace openvpc::program
