// arp_reply_test.cc — ARP for the subnet is answered with the router MAC; everything else is
// ignored or dropped with its reason counted.
#include <gtest/gtest.h>

#include "packet/headers.h"
#include "services_test_util.h"

namespace openvpc::dataplane::services::testing {
namespace {

struct ArpCase {
  const char* name;
  MacAddress sender_mac;
  uint32_t sender_ip;
  uint32_t target_ip;
  uint16_t operation;
  ServicesEvent event;
};

const ArpCase kArpCases[] = {
    {"another instance", kEniMac, 0x0a000105, 0x0a000109, 1, ServicesEvent::arp_replied},
    {"router base+1", kEniMac, 0x0a000105, 0x0a000101, 1, ServicesEvent::arp_replied},
    {"dns base+2", kEniMac, 0x0a000105, 0x0a000102, 1, ServicesEvent::arp_replied},
    {"last usable", kEniMac, 0x0a000105, 0x0a0001fe, 1, ServicesEvent::arp_replied},
    {"own address", kEniMac, 0x0a000105, 0x0a000105, 1, ServicesEvent::arp_ignored_gratuitous},
    {"probe", kEniMac, 0, 0x0a000105, 1, ServicesEvent::arp_ignored_probe},
    {"other subnet", kEniMac, 0x0a000105, 0x0a000209, 1, ServicesEvent::arp_ignored_outside_subnet},
    {"outside vpc", kEniMac, 0x0a000105, 0x08080808, 1, ServicesEvent::arp_ignored_outside_subnet},
    {"network address", kEniMac, 0x0a000105, 0x0a000100, 1,
     ServicesEvent::arp_ignored_reserved_address},
    {"broadcast address", kEniMac, 0x0a000105, 0x0a0001ff, 1,
     ServicesEvent::arp_ignored_reserved_address},
    {"spoofed sender ip", kEniMac, 0x0a000106, 0x0a000101, 1, ServicesEvent::arp_dropped_spoofed},
    {"spoofed sender mac", MacAddress{{2, 0, 0, 0, 0, 9}}, 0x0a000105, 0x0a000101, 1,
     ServicesEvent::arp_dropped_spoofed},
    {"reply", kEniMac, 0x0a000105, 0x0a000101, 2, ServicesEvent::arp_ignored_not_request},
};

class ArpReplyTest : public ::testing::TestWithParam<ArpCase> {};

TEST_P(ArpReplyTest, AnswersOrCountsTheReason) {
  const ArpCase& c = GetParam();
  // The frame comes from the ENI's MAC; the ARP payload carries the case's sender.
  std::vector<uint8_t> frame =
      packet::build_arp_request(kEniMac, IpAddress::v4(c.sender_ip), IpAddress::v4(c.target_ip));
  std::copy_n(c.sender_mac.bytes.data(), 6, &frame[packet::kEthernetHeaderSize + 8]);
  packet::store_be16(&frame[packet::kEthernetHeaderSize + 6], c.operation);
  LocalServices services(test_config());
  const Reply reply = respond(services, frame);
  EXPECT_EQ(services.counters()[c.event], 1u) << to_string(c.event);
  EXPECT_EQ(services.counters().total(), 1u);
  if (c.event != ServicesEvent::arp_replied) {
    EXPECT_TRUE(reply.frame.empty());
    return;
  }
  ASSERT_EQ(reply.frame.size(), packet::kEthernetHeaderSize + packet::kArpSize);
  ASSERT_TRUE(reply.meta.ok());
  EXPECT_EQ(reply.meta.eth_dst, kEniMac);
  EXPECT_EQ(reply.meta.eth_src, kRouterMac);
  const packet::ArpView arp(&reply.frame[reply.meta.l3_offset]);
  EXPECT_EQ(arp.operation(), 2);
  EXPECT_EQ(arp.sender_mac(), kRouterMac);
  EXPECT_EQ(arp.sender_ip(), IpAddress::v4(c.target_ip));
  EXPECT_EQ(arp.target_mac(), kEniMac);
  EXPECT_EQ(arp.target_ip(), kEniIp);
}

INSTANTIATE_TEST_SUITE_P(Cases, ArpReplyTest, ::testing::ValuesIn(kArpCases), [](const auto& info) {
  std::string name = info.param.name;
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

TEST(ArpReply, FrameFromAnotherMacIsDroppedBeforeTheArpLayer) {
  std::vector<uint8_t> frame =
      packet::build_arp_request(MacAddress{{2, 0, 0, 0, 0, 9}}, kEniIp, kRouterIp);
  LocalServices services(test_config());
  EXPECT_TRUE(respond(services, frame).frame.empty());
  EXPECT_EQ(services.counters()[ServicesEvent::dropped_source_mac_spoofed], 1u);
}

}  // namespace
}  // namespace openvpc::dataplane::services::testing
