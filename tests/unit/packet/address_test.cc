// address_test.cc — IpAddress / MacAddress text forms.
#include "packet/address.h"

#include <gtest/gtest.h>

namespace openvpc::packet {
namespace {

struct IpTextCase {
  const char* text;
  bool valid;
  bool is_v4;
  const char* canonical;
};

class IpText : public testing::TestWithParam<IpTextCase> {};

TEST_P(IpText, ParsesAndPrints) {
  const IpTextCase& c = GetParam();
  const auto address = IpAddress::parse(c.text);
  ASSERT_EQ(address.has_value(), c.valid) << c.text;
  if (!c.valid) return;
  EXPECT_EQ(address->is_v4(), c.is_v4);
  EXPECT_EQ(address->to_string(), c.canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Table, IpText,
    testing::Values(IpTextCase{"10.0.1.5", true, true, "10.0.1.5"},
                    IpTextCase{"255.255.255.255", true, true, "255.255.255.255"},
                    IpTextCase{"2001:DB8:0:0:0:0:0:1", true, false, "2001:db8::1"},
                    IpTextCase{"::", true, false, "::"},
                    IpTextCase{"fe80::1:2", true, false, "fe80::1:2"},
                    IpTextCase{"10.0.1", false, false, ""},
                    IpTextCase{"10.0.1.256", false, false, ""}, IpTextCase{"", false, false, ""},
                    IpTextCase{"2001:db8::1::2", false, false, ""},
                    IpTextCase{"10.0.1.5 ", false, false, ""}));

TEST(IpAddress, V4IsStoredMapped) {
  const IpAddress a = IpAddress::v4(0x0a000105);
  EXPECT_EQ(a, *IpAddress::parse("10.0.1.5"));
  EXPECT_EQ(a.v4_host_order(), 0x0a000105u);
  EXPECT_EQ(a.bytes[10], 0xff);
  EXPECT_LT(*IpAddress::parse("10.0.1.5"), *IpAddress::parse("10.0.1.6"));
}

struct MacTextCase {
  const char* text;
  bool valid;
  const char* canonical;
};

class MacText : public testing::TestWithParam<MacTextCase> {};

TEST_P(MacText, ParsesAndPrints) {
  const MacTextCase& c = GetParam();
  const auto mac = MacAddress::parse(c.text);
  ASSERT_EQ(mac.has_value(), c.valid) << c.text;
  if (!c.valid) return;
  EXPECT_EQ(mac->to_string(), c.canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Table, MacText,
    testing::Values(MacTextCase{"02:00:00:00:00:01", true, "02:00:00:00:00:01"},
                    MacTextCase{"FF-FF-FF-FF-FF-FF", true, "ff:ff:ff:ff:ff:ff"},
                    MacTextCase{"02:00:00:00:00", false, ""},
                    MacTextCase{"02:00:00:00:00:0g", false, ""},
                    MacTextCase{"02.00.00.00.00.01", false, ""}));

TEST(MacAddress, BroadcastAndMulticast) {
  EXPECT_TRUE(MacAddress::parse("ff:ff:ff:ff:ff:ff")->is_broadcast());
  EXPECT_TRUE(MacAddress::parse("33:33:00:00:00:01")->is_multicast());
  EXPECT_FALSE(MacAddress::parse("02:00:00:00:00:01")->is_multicast());
}

}  // namespace
}  // namespace openvpc::packet
