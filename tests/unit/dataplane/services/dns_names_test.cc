// dns_names_test.cc — private host names and reverse names, both ways.
#include "dataplane/services/dns_names.h"

#include <gtest/gtest.h>

#include <string>

namespace openvpc::dataplane::services {
namespace {

constexpr std::string_view kZone = "eu-west-1.compute.internal";

struct NameCase {
  std::string_view name;
  std::optional<uint32_t> address;
};

const NameCase kHostnames[] = {
    {"ip-10-0-1-5.eu-west-1.compute.internal", 0x0a000105},
    {"ip-255-255-255-0.eu-west-1.compute.internal", 0xffffff00},
    {"ip-0-0-0-0.eu-west-1.compute.internal", 0},
    {"ip-10-0-1-05.eu-west-1.compute.internal", std::nullopt},  // leading zero
    {"ip-10-0-1-256.eu-west-1.compute.internal", std::nullopt},
    {"ip-10-0-1.eu-west-1.compute.internal", std::nullopt},
    {"ip-10-0-1-5-6.eu-west-1.compute.internal", std::nullopt},
    {"ip-10-0-1-5.compute.internal", std::nullopt},
    {"ip-10-0-1-5xeu-west-1.compute.internal", std::nullopt},
    {"ipx10-0-1-5.eu-west-1.compute.internal", std::nullopt},
    {"eu-west-1.compute.internal", std::nullopt},
    {"ip-1000-0-1-5.eu-west-1.compute.internal", std::nullopt},
    {"", std::nullopt},
};

TEST(DnsNames, PrivateHostnames) {
  for (const NameCase& c : kHostnames) {
    EXPECT_EQ(parse_private_hostname(c.name, kZone), c.address) << c.name;
    if (!c.address) continue;
    char text[256];
    const size_t size = format_private_hostname(*c.address, kZone, text, sizeof text);
    EXPECT_EQ(std::string_view(text, size), c.name);
  }
}

const NameCase kReverseNames[] = {
    {"5.1.0.10.in-addr.arpa", 0x0a000105},    {"253.169.254.169.in-addr.arpa", 0xa9fea9fd},
    {"1.0.10.in-addr.arpa", std::nullopt},    {"5.1.0.10.in-addr.arpa.example", std::nullopt},
    {"05.1.0.10.in-addr.arpa", std::nullopt}, {"in-addr.arpa", std::nullopt},
    {"x.1.0.10.in-addr.arpa", std::nullopt},
};

TEST(DnsNames, ReverseNames) {
  for (const NameCase& c : kReverseNames)
    EXPECT_EQ(parse_reverse_name(c.name), c.address) << c.name;
}

TEST(DnsNames, FormatDoesNotOverrun) {
  char text[16];
  EXPECT_EQ(format_private_hostname(0x0a000105, kZone, text, sizeof text), 0u);
}

TEST(DnsNames, WithinZone) {
  EXPECT_TRUE(is_within_zone("a.ec2.internal", "ec2.internal"));
  EXPECT_TRUE(is_within_zone("ec2.internal", "ec2.internal"));
  EXPECT_FALSE(is_within_zone("xec2.internal", "ec2.internal"));
  EXPECT_FALSE(is_within_zone("internal", "ec2.internal"));
}

}  // namespace
}  // namespace openvpc::dataplane::services
