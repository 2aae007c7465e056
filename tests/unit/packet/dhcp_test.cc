// dhcp_test.cc — DHCP message parsing (normal and malformed) and reply writing.
#include "packet/dhcp.h"

#include <gtest/gtest.h>

#include <vector>

#include "packet/bytes.h"

namespace openvpc::packet {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

// A DHCPREQUEST from 02:00:00:00:00:09 with the given options after the cookie.
std::vector<uint8_t> request(std::vector<uint8_t> options) {
  std::vector<uint8_t> message(kDhcpFixedSize + 4, 0);
  message[0] = 1;
  message[1] = 1;
  message[2] = 6;
  store_be32(&message[4], 0xcafe0001);
  store_be16(&message[10], 0x8000);
  const uint8_t chaddr[6] = {2, 0, 0, 0, 0, 9};
  std::copy(chaddr, chaddr + 6, message.begin() + 28);
  store_be32(&message[kDhcpFixedSize], kDhcpMagicCookie);
  for (const uint8_t byte : options) message.push_back(byte);  // (gcc 12 -Warray-bounds)
  return message;
}

TEST(ParseDhcp, ReadsTheRequestOptions) {
  const auto message =
      request({53, 1, 3, 0, 50, 4, 10, 0, 1, 5, 54, 4, 10, 0, 1, 1, 55, 4, 1, 3, 6, 26, 255});
  const DhcpMessage m = parse_dhcp(message);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.op, 1);
  EXPECT_EQ(m.xid, 0xcafe0001u);
  EXPECT_EQ(m.flags, 0x8000);
  EXPECT_EQ(m.client_mac.to_string(), "02:00:00:00:00:09");
  EXPECT_EQ(m.message_type, DhcpMessageType::request);
  EXPECT_EQ(m.requested_ip, ip("10.0.1.5"));
  EXPECT_EQ(m.server_id, ip("10.0.1.1"));
  EXPECT_EQ(std::vector<uint8_t>(m.parameter_list.begin(), m.parameter_list.end()),
            (std::vector<uint8_t>{1, 3, 6, 26}));
}

struct MalformedDhcp {
  const char* description;
  std::vector<uint8_t> message;
  DhcpError expected;
};

class DhcpMalformed : public testing::TestWithParam<MalformedDhcp> {};

TEST_P(DhcpMalformed, IsRejectedWithItsName) {
  EXPECT_EQ(parse_dhcp(GetParam().message).error, GetParam().expected) << GetParam().description;
}

std::vector<uint8_t> with_byte(std::vector<uint8_t> message, size_t at, uint8_t value) {
  message[at] = value;
  return message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DhcpMalformed,
    testing::Values(MalformedDhcp{"shorter than the fixed part", std::vector<uint8_t>(239, 0),
                                  DhcpError::truncated},
                    MalformedDhcp{"no magic cookie", with_byte(request({255}), kDhcpFixedSize, 0),
                                  DhcpError::bad_magic_cookie},
                    MalformedDhcp{"token ring hardware", with_byte(request({255}), 1, 6),
                                  DhcpError::not_ethernet},
                    MalformedDhcp{"option past the end", request({53, 1, 1, 12, 10, 'h'}),
                                  DhcpError::option_truncated},
                    MalformedDhcp{"option code without length", request({53, 1, 1, 12}),
                                  DhcpError::option_truncated},
                    MalformedDhcp{"message type of two bytes", request({53, 2, 1, 1, 255}),
                                  DhcpError::message_type_bad_length}));

TEST(WriteDhcpReply, OfferCarriesTheLeaseOptions) {
  const IpAddress dns[2] = {ip("10.0.0.2"), ip("169.254.169.253")};
  const uint8_t ntp[4] = {169, 254, 169, 123};
  const DhcpOption extra[1] = {{42, ntp}};
  DhcpReplySpec spec{.type = DhcpMessageType::offer,
                     .xid = 0xcafe0001,
                     .flags = 0x8000,
                     .client_mac = *MacAddress::parse("02:00:00:00:00:09"),
                     .your_ip = ip("10.0.1.5"),
                     .server_ip = ip("10.0.1.1"),
                     .subnet_mask = ip("255.255.255.0"),
                     .router = ip("10.0.1.1"),
                     .dns_servers = dns,
                     .domain_name = "eu-west-1.compute.internal",
                     .mtu = 9001,
                     .lease_seconds = 3600,
                     .extra_options = extra};
  uint8_t out[576];
  const size_t size = write_dhcp_reply(out, sizeof out, spec);
  ASSERT_GT(size, kDhcpFixedSize + 4);
  const DhcpMessage m = parse_dhcp(std::span<const uint8_t>(out, size));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.op, 2);
  EXPECT_EQ(m.xid, 0xcafe0001u);
  EXPECT_EQ(m.your_ip, ip("10.0.1.5"));
  EXPECT_EQ(m.message_type, DhcpMessageType::offer);
  EXPECT_EQ(m.server_id, ip("10.0.1.1"));
  EXPECT_EQ(m.client_mac, spec.client_mac);
  EXPECT_EQ(out[size - 1], 255);
  // Option 26 (MTU) holds 9001; option 6 two servers; option 42 passed through.
  const std::vector<uint8_t> bytes(out, out + size);
  const std::vector<uint8_t> mtu = {26, 2, 0x23, 0x29};
  const std::vector<uint8_t> servers = {6, 8, 10, 0, 0, 2, 169, 254, 169, 253};
  const std::vector<uint8_t> ntp_option = {42, 4, 169, 254, 169, 123};
  for (const auto& needle : {mtu, servers, ntp_option}) {
    EXPECT_NE(std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()), bytes.end());
  }
  EXPECT_EQ(write_dhcp_reply(out, 260, spec), 0u);
}

TEST(WriteDhcpReply, NakHasNoLease) {
  DhcpReplySpec spec{.type = DhcpMessageType::nak,
                     .xid = 5,
                     .your_ip = ip("10.0.1.5"),
                     .server_ip = ip("10.0.1.1")};
  uint8_t out[300];
  const size_t size = write_dhcp_reply(out, sizeof out, spec);
  const DhcpMessage m = parse_dhcp(std::span<const uint8_t>(out, size));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.message_type, DhcpMessageType::nak);
  EXPECT_EQ(m.your_ip, ip("0.0.0.0"));
  EXPECT_EQ(size, kDhcpFixedSize + 4 + 3 + 6 + 1);
}

}  // namespace
}  // namespace openvpc::packet
