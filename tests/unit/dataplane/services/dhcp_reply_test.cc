// dhcp_reply_test.cc — the DHCP server: each client message, the reply type, where it is
// sent (RFC 2131 §4.1) and every option byte by byte.
#include <gtest/gtest.h>

#include <string>

#include "packet/checksum.h"
#include "services_test_util.h"

namespace openvpc::dataplane::services::testing {
namespace {

using packet::DhcpMessageType;
using Options = std::map<uint8_t, std::vector<uint8_t>>;

std::vector<uint8_t> bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

// What every OFFER/ACK for the test ENI carries with the default options set.
Options lease_options(DhcpMessageType type) {
  return {
      {53, {uint8_t(type)}},
      {54, {10, 0, 1, 1}},
      {1, {255, 255, 255, 0}},
      {3, {10, 0, 1, 1}},
      {6, {10, 0, 0, 2}},
      {15, bytes("eu-west-1.compute.internal")},
      {26, {0x23, 0x29}},              // 9001
      {51, {0x00, 0x00, 0x0e, 0x10}},  // 3600 s
  };
}

enum class Destination { none, unicast_offered, unicast_ciaddr, broadcast };

struct DhcpCase {
  const char* name;
  DhcpRequestSpec request;
  ServicesEvent event;
  Destination destination;
  DhcpMessageType reply_type;
};

const std::vector<uint8_t> kOwnIp = address_option(kEniIp);
const std::vector<uint8_t> kRouter = address_option(kRouterIp);
const std::vector<uint8_t> kWrongIp = {10, 0, 1, 77};

const DhcpCase kDhcpCases[] = {
    {"discover",
     {.type = DhcpMessageType::discover},
     ServicesEvent::dhcp_offer,
     Destination::unicast_offered,
     DhcpMessageType::offer},
    {"discover_broadcast_flag",
     {.type = DhcpMessageType::discover, .flags = 0x8000},
     ServicesEvent::dhcp_offer,
     Destination::broadcast,
     DhcpMessageType::offer},
    {"request_selecting",
     {.type = DhcpMessageType::request, .options = {{54, kRouter}, {50, kOwnIp}}},
     ServicesEvent::dhcp_ack,
     Destination::unicast_offered,
     DhcpMessageType::ack},
    {"request_init_reboot",
     {.type = DhcpMessageType::request, .options = {{50, kOwnIp}}},
     ServicesEvent::dhcp_ack,
     Destination::unicast_offered,
     DhcpMessageType::ack},
    {"request_renewing",
     {.type = DhcpMessageType::request, .client_ip = kEniIp, .ip_src = kEniIp, .ip_dst = kRouterIp},
     ServicesEvent::dhcp_ack,
     Destination::unicast_ciaddr,
     DhcpMessageType::ack},
    {"request_wrong_address",
     {.type = DhcpMessageType::request, .options = {{50, kWrongIp}}},
     ServicesEvent::dhcp_nak,
     Destination::broadcast,
     DhcpMessageType::nak},
    {"request_no_address",
     {.type = DhcpMessageType::request},
     ServicesEvent::dhcp_nak,
     Destination::broadcast,
     DhcpMessageType::nak},
    {"request_other_server",
     {.type = DhcpMessageType::request, .options = {{54, {10, 0, 1, 2}}, {50, kOwnIp}}},
     ServicesEvent::dhcp_ignored_other_server,
     Destination::none,
     DhcpMessageType::none},
    {"release",
     {.type = DhcpMessageType::release, .client_ip = kEniIp},
     ServicesEvent::dhcp_release,
     Destination::none,
     DhcpMessageType::none},
    {"decline",
     {.type = DhcpMessageType::decline, .options = {{50, kOwnIp}}},
     ServicesEvent::dhcp_decline,
     Destination::none,
     DhcpMessageType::none},
    {"bootp",
     {.type = DhcpMessageType::none},
     ServicesEvent::dhcp_ignored_message_type,
     Destination::none,
     DhcpMessageType::none},
    {"client_sends_offer",
     {.type = DhcpMessageType::offer},
     ServicesEvent::dhcp_ignored_message_type,
     Destination::none,
     DhcpMessageType::none},
    {"spoofed_chaddr",
     {.type = DhcpMessageType::discover, .client_mac = {{2, 0, 0, 0, 0, 9}}},
     ServicesEvent::dhcp_dropped_spoofed,
     Destination::none,
     DhcpMessageType::none},
    {"bad_message_type_length",
     {.type = DhcpMessageType::none, .options = {{53, {1, 1}}}},
     ServicesEvent::dhcp_dropped_malformed,
     Destination::none,
     DhcpMessageType::none},
};

class DhcpReplyTest : public ::testing::TestWithParam<DhcpCase> {};

TEST_P(DhcpReplyTest, RepliesWithTheRightMessageToTheRightPlace) {
  const DhcpCase& c = GetParam();
  LocalServices services(test_config());
  const std::vector<uint8_t> frame = dhcp_frame(c.request);
  ASSERT_EQ(services.classify(kEniId, packet::parse_frame(frame)), ServiceKind::dhcp);
  const Reply reply = respond(services, frame);
  EXPECT_EQ(services.counters()[c.event], 1u) << to_string(c.event);
  if (c.destination == Destination::none) {
    EXPECT_TRUE(reply.frame.empty());
    return;
  }
  ASSERT_TRUE(reply.meta.ok()) << packet::to_string(reply.meta.error);
  EXPECT_EQ(reply.meta.eth_src, kRouterMac);
  EXPECT_EQ(reply.meta.tuple.src, kRouterIp);
  EXPECT_EQ(reply.meta.tuple.src_port, 67);
  EXPECT_EQ(reply.meta.tuple.dst_port, 68);
  const bool broadcast = c.destination == Destination::broadcast;
  EXPECT_EQ(reply.meta.eth_dst, broadcast ? kBroadcastMac : kEniMac);
  EXPECT_EQ(reply.meta.tuple.dst, broadcast ? kBroadcastIp : kEniIp);
  const std::span<const uint8_t> payload = reply.udp_payload();
  EXPECT_GE(payload.size(), 300u);
  const packet::DhcpMessage message = packet::parse_dhcp(payload);
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message.op, 2);
  EXPECT_EQ(message.xid, c.request.xid);
  EXPECT_EQ(message.flags, c.request.flags);
  EXPECT_EQ(message.client_mac, kEniMac);
  EXPECT_EQ(message.message_type, c.reply_type);
  EXPECT_EQ(message.server_id, kRouterIp);
  if (c.reply_type == DhcpMessageType::nak) {
    EXPECT_EQ(message.your_ip, kAnyIp);
    EXPECT_EQ(dhcp_options(payload), (Options{{53, {6}}, {54, {10, 0, 1, 1}}}));
  } else {
    EXPECT_EQ(message.your_ip, kEniIp);
    EXPECT_EQ(dhcp_options(payload), lease_options(c.reply_type));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, DhcpReplyTest, ::testing::ValuesIn(kDhcpCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DhcpReply, InformIsAckedWithoutAddressOrLease) {
  LocalServices services(test_config());
  const Reply reply =
      respond(services,
              dhcp_frame({.type = DhcpMessageType::inform, .client_ip = kEniIp, .ip_src = kEniIp}));
  ASSERT_FALSE(reply.frame.empty());
  EXPECT_EQ(services.counters()[ServicesEvent::dhcp_inform_ack], 1u);
  EXPECT_EQ(reply.meta.tuple.dst, kEniIp);
  const packet::DhcpMessage message = packet::parse_dhcp(reply.udp_payload());
  EXPECT_EQ(message.message_type, DhcpMessageType::ack);
  EXPECT_EQ(message.your_ip, kAnyIp);
  Options expected = lease_options(DhcpMessageType::ack);
  expected.erase(51);
  EXPECT_EQ(dhcp_options(reply.udp_payload()), expected);
}

TEST(DhcpReply, OptionsSetAndHostnameAreSent) {
  ServicesConfig config = test_config();
  DhcpOptionsSet& options = config.vpcs[0].dhcp_options;
  options.domain_name = "corp.example";
  options.domain_name_servers = {IpAddress::v4(0x0a000a0a), IpAddress::v4(0x08080808)};
  options.ntp_servers = {IpAddress::v4(0xa9fea97b)};
  options.netbios_name_servers = {IpAddress::v4(0x0a000a0b)};
  options.netbios_node_type = 2;
  config.enis[0].hostname = "web-1";
  config.mtu = 1500;
  config.lease_seconds = 86400;
  LocalServices services(config);
  const Reply reply = respond(services, dhcp_frame({.type = DhcpMessageType::discover}));
  ASSERT_FALSE(reply.frame.empty());
  Options expected = lease_options(DhcpMessageType::offer);
  expected[6] = {10, 0, 10, 10, 8, 8, 8, 8};
  expected[15] = bytes("corp.example");
  expected[26] = {0x05, 0xdc};
  expected[51] = {0x00, 0x01, 0x51, 0x80};
  expected[12] = bytes("web-1");
  expected[42] = {169, 254, 169, 123};
  expected[44] = {10, 0, 10, 11};
  expected[46] = {2};
  EXPECT_EQ(dhcp_options(reply.udp_payload()), expected);
}

TEST(DhcpReply, UsEast1DomainIsEc2Internal) {
  ServicesConfig config = test_config();
  config.region = "us-east-1";
  LocalServices services(config);
  const Reply reply = respond(services, dhcp_frame({.type = DhcpMessageType::discover}));
  ASSERT_FALSE(reply.frame.empty());
  EXPECT_EQ(dhcp_options(reply.udp_payload())[15], bytes("ec2.internal"));
}

TEST(DhcpReply, UdpChecksumVerifies) {
  LocalServices services(test_config());
  const Reply reply = respond(services, dhcp_frame({.type = DhcpMessageType::discover}));
  ASSERT_FALSE(reply.frame.empty());
  const uint8_t* udp = &reply.frame[reply.meta.l4_offset];
  EXPECT_EQ(packet::l4_checksum(reply.meta.tuple.src, reply.meta.tuple.dst, packet::kProtoUdp, udp,
                                reply.frame.size() - reply.meta.l4_offset),
            0);
}

}  // namespace
}  // namespace openvpc::dataplane::services::testing
