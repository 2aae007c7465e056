// local_services_test.cc — classify() over the kinds of frames an ENI sends, the ENI lookup,
// and the counter names.
#include "dataplane/services/local_services.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "services_test_util.h"

namespace openvpc::dataplane::services::testing {
namespace {

struct ClassifyCase {
  const char* name;
  std::vector<uint8_t> frame;
  ServiceKind kind;
};

std::vector<ClassifyCase> classify_cases() {
  const std::vector<uint8_t> query = dns_payload({});
  const auto tcp = [](const IpAddress& dst, uint16_t port) {
    return packet::with_ethernet(
        {.src_mac = kEniMac, .dst_mac = kRouterMac},
        packet::build_tcp({.src = kEniIp, .dst = dst}, {.src_port = 40000, .dst_port = port}));
  };
  auto tagged = dns_frame({});
  tagged = packet::with_ethernet({.src_mac = kEniMac, .dst_mac = kRouterMac, .vlan = 5},
                                 std::span(tagged).subspan(14));
  auto fragment = packet::with_ethernet(
      {.src_mac = kEniMac, .dst_mac = kRouterMac},
      packet::build_udp({.src = kEniIp, .dst = kVpcDnsIp, .more_fragments = true}, {40000, 53},
                        query));
  return {
      {"arp", packet::build_arp_request(kEniMac, kEniIp, kRouterIp), ServiceKind::arp},
      {"dhcp_broadcast", dhcp_frame({}), ServiceKind::dhcp},
      {"dhcp_to_router", dhcp_frame({.ip_src = kEniIp, .ip_dst = kRouterIp}), ServiceKind::dhcp},
      {"dhcp_to_other", dhcp_frame({.ip_dst = kOtherVpcIp}), ServiceKind::none},
      {"dns_vpc_base2", dns_frame({}), ServiceKind::dns},
      {"dns_link_local", dns_frame({.dst = kResolverLinkLocal}), ServiceKind::dns},
      {"dns_tcp", tcp(kVpcDnsIp, 53), ServiceKind::dns},
      {"dns_to_instance", dns_frame({.dst = kOtherVpcIp}), ServiceKind::none},
      {"udp_other_port_to_resolver", udp_frame(kVpcDnsIp, 40000, 54, query), ServiceKind::none},
      {"tcp_to_router", tcp(kRouterIp, 22), ServiceKind::none},
      {"vlan_tagged", tagged, ServiceKind::none},
      {"fragment", fragment, ServiceKind::none},
      {"truncated", std::vector<uint8_t>(tagged.begin(), tagged.begin() + 30), ServiceKind::none},
  };
}

TEST(LocalServices, Classify) {
  LocalServices services(test_config());
  for (const ClassifyCase& c : classify_cases()) {
    EXPECT_EQ(services.classify(kEniId, packet::parse_frame(c.frame)), c.kind) << c.name;
  }
}

TEST(LocalServices, UnknownEniIsCountedAndNeverClassified) {
  LocalServices services(test_config());
  const std::vector<uint8_t> frame = dns_frame({});
  const packet::PacketMeta meta = packet::parse_frame(frame);
  EXPECT_EQ(services.classify(99, meta), ServiceKind::none);
  std::vector<uint8_t> out(kServicesMinReplyCapacity);
  EXPECT_EQ(services.respond(99, frame, meta, out, 0), 0u);
  EXPECT_EQ(services.counters()[ServicesEvent::dropped_unknown_eni], 1u);
}

TEST(LocalServices, EnisOfUnknownVpcsAreLeftOut) {
  ServicesConfig config = test_config();
  EniServicesConfig stray = config.enis[0];
  stray.id = 2;
  stray.vpc = 99;
  config.enis.push_back(stray);
  EXPECT_EQ(LocalServices(config).eni_count(), 1u);
}

TEST(LocalServices, EveryEventHasAUniqueName) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kServicesEventCount; ++i) {
    const std::string_view name = to_string(ServicesEvent(i));
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kServicesEventCount);
  EXPECT_EQ(to_string(ServicesEvent::dns_dropped_dns_support_off), "dns_dropped_dns_support_off");
}

}  // namespace
}  // namespace openvpc::dataplane::services::testing
