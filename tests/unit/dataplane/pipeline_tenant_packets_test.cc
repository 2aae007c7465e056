// What an instance can send (issue 16), as tables through the real Pipeline: UDP to the Geneve
// port is plain UDP, 802.1Q-tagged frames and IPv4 headers with a wrong checksum are dropped,
// the source check comes before the local services, and gateways with nothing behind them
// are a named drop.
#include <gtest/gtest.h>

#include "dataplane/flowlog/flow_log_record.h"
#include "dataplane/pipeline.h"
#include "harness.h"
#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/dhcp.h"

namespace openvpc::dataplane::testing {
namespace {

using D = DropReason;
using V = Verdict;

const IpAddress kForged = address_literal("10.0.1.99");
const IpAddress kVpcResolver = address_literal("10.0.0.2");
const IpAddress kLinkLocalResolver = address_literal("169.254.169.253");
const IpAddress kSubnetRouter = address_literal("10.0.1.1");
const Port kUnderlay = Port::underlay();

// A Geneve header with the VPC option around a forged packet "from" the remote web ENI to
// web2: what an instance would put in a UDP datagram to port 6081 to smuggle a packet.
std::vector<uint8_t> geneve_payload() {
  const auto tunnel =
      geneve(kRemoteHost, kHost, 7, 201, 102, tcp_ip(kRemoteWeb.ip, kWeb2.ip, 5000, 22));
  return {tunnel.begin() + 28, tunnel.end()};  // after the outer IPv4 + UDP headers
}

std::vector<uint8_t> udp_6081(IpAddress src, IpAddress dst, uint8_t ttl = 64) {
  const auto payload = geneve_payload();
  return packet::build_udp({src, dst, ttl, 0, false, 77, 0, false}, {40000, packet::kGenevePort},
                           payload);
}

std::vector<uint8_t> tagged(const EniInfo& eni, std::span<const uint8_t> ip, uint16_t vlan) {
  return packet::with_ethernet({eni.mac, kRouterMac, vlan}, ip);
}

std::vector<uint8_t> with_bad_checksum(std::vector<uint8_t> ip) {
  ip[10] ^= 0x01;
  return ip;
}

// A UDP packet with 4 bytes of IPv4 options (NOP x3, EOL) and a correct or wrong checksum.
std::vector<uint8_t> with_options(IpAddress src, IpAddress dst, bool correct) {
  const auto plain = udp_ip(src, dst, 40000, 53);
  std::vector<uint8_t> ip(plain.size() + 4, 0);
  for (size_t i = 0; i < plain.size(); ++i) ip[i < 20 ? i : i + 4] = plain[i];
  ip[20] = ip[21] = ip[22] = 1;  // three NOPs, then End of Option List
  ip[0] = 0x46;
  packet::store_be16(&ip[2], uint16_t(ip.size()));
  packet::store_be16(&ip[10], 0);
  packet::store_be16(&ip[10], packet::ipv4_header_checksum(ip.data(), 24));
  if (!correct) ip[10] ^= 0x80;
  return ip;
}

std::vector<uint8_t> dns_tcp(IpAddress src, IpAddress dst) {
  return tcp_ip(src, dst, 40000, 53);
}

std::vector<uint8_t> dhcp_discover(IpAddress src) {
  return packet::build_udp({src, address_literal("255.255.255.255"), 64, 0, false, 1, 0, false},
                           {packet::kDhcpClientPort, packet::kDhcpServerPort},
                           std::vector<uint8_t>(240, 0));
}

void allow_udp_6081(program::Program& p) {
  program::SecurityGroupRule r;
  r.direction = program::Direction::ingress;
  r.traffic.protocol = packet::kProtoUdp;
  r.traffic.ports = {packet::kGenevePort, packet::kGenevePort};
  r.peer = cidr_literal("10.0.0.0/16");
  p.security_groups[0].rules.push_back(r);  // group 41 (web1, web2)
}

std::vector<Case> tenant_cases() {
  const auto web1 = port_of(kWeb1);
  const auto ssh = tcp_ip(kWeb1.ip, kWeb2.ip, 40000, 22);
  return {
      {"UDP_6081_to_a_local_ENI_is_delivered_as_plain_UDP_payload_intact",
       {{web1, from_eni(kWeb1, udp_6081(kWeb1.ip, kWeb2.ip))}},
       {{V::deliver, D::none, port_of(kWeb2), to_eni(kWeb2, udp_6081(kWeb1.ip, kWeb2.ip, 63))}},
       allow_udp_6081},
      {"UDP_6081_to_a_remote_ENI_is_encapsulated_whole",
       {{web1, from_eni(kWeb1, udp_6081(kWeb1.ip, kRemoteWeb.ip))}},
       {{V::encapsulate, D::none, kUnderlay,
         encapsulated(7, 101, 201, udp_6081(kWeb1.ip, kRemoteWeb.ip, 63))}}},
      {"UDP_6081_outside_the_VPC_goes_to_the_internet_gateway_as_UDP",
       {{web1, from_eni(kWeb1, udp_6081(kWeb1.ip, address_literal("8.8.8.8")))}},
       {{V::encapsulate, D::none, kUnderlay,
         geneve(kHost, kEdge, 7, 101, 0, udp_6081(kWeb1.ip, address_literal("8.8.8.8"), 63))}}},
      {"UDP_6081_inside_a_tunnel_is_delivered_as_plain_UDP",
       {{kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101, udp_6081(kRemoteWeb.ip, kWeb1.ip))}},
       {{V::deliver, D::none, web1, to_eni(kWeb1, udp_6081(kRemoteWeb.ip, kWeb1.ip))}},
       allow_udp_6081},
      {"VLAN_tagged_frames_from_an_ENI_are_dropped_untagged_pass",
       {{web1, tagged(kWeb1, ssh, 100)},
        {web1, tagged(kWeb1, ssh, 0)},
        {web1, tagged(kWeb1, udp_ip(kWeb1.ip, kVpcResolver, 40000, 53), 5)},
        {web1, from_eni(kWeb1, ssh)}},
       {{V::drop, D::vlan_tagged},
        {V::drop, D::vlan_tagged},  // priority-tagged (VLAN 0) too
        {V::drop, D::vlan_tagged},  // not even the resolver answers a tagged frame
        {V::deliver, D::none, port_of(kWeb2)}}},
      {"IPv4_header_checksum_is_verified_from_ENIs_and_inside_tunnels",
       {{web1, from_eni(kWeb1, with_bad_checksum(ssh))},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101,
                           with_bad_checksum(tcp_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 22)))},
        {web1, from_eni(kWeb1, with_options(kWeb1.ip, kRemoteWeb.ip, false))},
        {web1, from_eni(kWeb1, with_bad_checksum(udp_ip(kWeb1.ip, kVpcResolver, 40000, 53)))},
        {web1, from_eni(kWeb1, with_options(kWeb1.ip, kRemoteWeb.ip, true))},
        {kUnderlay,
         geneve(kRemoteHost, kHost, 7, 201, 101, tcp_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 22))}},
       {{V::drop, D::ipv4_bad_checksum},
        {V::drop, D::ipv4_bad_checksum},
        {V::drop, D::ipv4_bad_checksum},
        {V::drop, D::ipv4_bad_checksum},  // the resolver does not answer it either
        {V::encapsulate, D::none, kUnderlay},
        {V::deliver, D::none, web1}}},
      {"local_services_do_not_answer_a_forged_source",
       {{web1, from_eni(kWeb1, udp_ip(kForged, kVpcResolver, 40000, 53))},
        {web1, from_eni(kWeb1, udp_ip(kForged, kLinkLocalResolver, 40000, 53))},
        {web1, from_eni(kWeb1, udp_ip(kForged, address_literal("10.0.1.2"), 40000, 53))},
        {web1, from_eni(kWeb1, dns_tcp(kForged, kVpcResolver))},
        {web1, from_eni(kWeb1, ping_ip(kForged, kSubnetRouter, true, 9))},
        {web1, from_eni(kWeb1, dhcp_discover(kForged))},
        {web1, from_eni(kWeb1, udp_ip(kWeb1.ip, kVpcResolver, 40000, 53))},
        {web1, from_eni(kWeb1, dns_tcp(kWeb1.ip, kLinkLocalResolver))},
        {web1, from_eni(kWeb1, ping_ip(kWeb1.ip, kSubnetRouter, true, 9))},
        {web1, from_eni(kWeb1, dhcp_discover(address_literal("0.0.0.0")))},
        {web1, from_eni(kWeb1, dhcp_discover(kWeb1.ip))}},
       {{V::drop, D::source_address_spoofed},
        {V::drop, D::source_address_spoofed},
        {V::drop, D::source_address_spoofed},
        {V::drop, D::source_address_spoofed},
        {V::drop, D::source_address_spoofed},
        {V::drop, D::source_address_spoofed},
        {V::to_local_services, D::none, web1},
        {V::to_local_services, D::none, web1},
        {V::to_local_services, D::none, web1},
        {V::to_local_services, D::none, web1},  // a client without an address yet
        {V::to_local_services, D::none, web1}}},
      {"local_services_answer_any_source_when_the_check_is_off",
       {{web1, from_eni(kWeb1, udp_ip(kForged, kVpcResolver, 40000, 53))},
        {web1, from_eni(kWeb1, ping_ip(kForged, kSubnetRouter, true, 9))}},
       {{V::to_local_services, D::none, web1}, {V::to_local_services, D::none, web1}},
       [](program::Program& p) { p.enis[0].source_dest_check = false; }},
      {"gateways_with_nothing_behind_them_are_a_named_drop",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.9.9"), 40000, 22))},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.9.9"), 40000, 22))},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("8.8.8.8"), 40000, 443))}},
       {{V::drop, D::gateway_unavailable},
        {V::drop, D::gateway_unavailable},       // from the flow cache too
        {V::encapsulate, D::none, kUnderlay}}},  // the internet gateway: the edge
  };
}

class TenantPackets : public ::testing::TestWithParam<Case> {};

TEST_P(TenantPackets, VerdictsAndBytes) {
  const Case& c = GetParam();
  ASSERT_EQ(c.inputs.size(), c.expected.size());
  program::Program p = standard_program();
  if (c.edit) c.edit(p);
  World world(p);
  for (size_t i = 0; i < c.inputs.size(); ++i) {  // one by one: later ones hit the flow cache
    Batch batch = run(world, {c.inputs[i]});
    SCOPED_TRACE("packet " + std::to_string(i));
    const Packet& got = batch.packets[0];
    const Expected& want = c.expected[i];
    EXPECT_EQ(to_string(got.verdict), to_string(want.verdict));
    EXPECT_EQ(to_string(got.drop_reason), to_string(want.reason));
    if (want.verdict != Verdict::drop) {
      EXPECT_EQ(got.out_port, want.out) << got.out_port.id;
    }
    if (!want.bytes.empty()) {
      EXPECT_EQ(batch.bytes(0), want.bytes);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, TenantPackets, ::testing::ValuesIn(tenant_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.description;
                         });

// Every new drop reason is counted for the ENI that sent the packet.
TEST(TenantPacketsCounters, DropsAreCountedPerEni) {
  World world(standard_program());
  run(world,
      {{port_of(kWeb1), tagged(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 40000, 22), 7)},
       {port_of(kWeb1), from_eni(kWeb1, with_bad_checksum(udp_ip(kWeb1.ip, kWeb2.ip, 1, 2)))},
       {port_of(kWeb1),
        from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.9.9"), 40000, 22))},
       {port_of(kWeb2), from_eni(kWeb2, udp_ip(kForged, kVpcResolver, 40000, 53))}});
  const EniCounters* web1 = world.pipeline.eni_counters(kWeb1.id);
  const EniCounters* web2 = world.pipeline.eni_counters(kWeb2.id);
  ASSERT_NE(web1, nullptr);
  ASSERT_NE(web2, nullptr);
  EXPECT_EQ(web1->drops[size_t(D::vlan_tagged)], 1u);
  EXPECT_EQ(web1->drops[size_t(D::ipv4_bad_checksum)], 1u);
  EXPECT_EQ(web1->drops[size_t(D::gateway_unavailable)], 1u);
  EXPECT_EQ(web2->drops[size_t(D::source_address_spoofed)], 1u);
  EXPECT_EQ(world.pipeline.counters().drops[size_t(D::gateway_unavailable)], 1u);
}

class Lines : public flowlog::FlowLogSink {
 public:
  void write(const flowlog::FlowLogRecord& r) override {
    flowlog::FlowLogInterface interface;
    interface.account_id = "123456789012";
    interface.interface_id = "eni-slot-" + std::to_string(r.eni);
    lines.push_back(flowlog::format_flow_log(r, interface));
  }
  std::vector<std::string> lines;
};

// A packet to a gateway with nothing behind it is REJECT in the flow log, not ACCEPT.
TEST(TenantPacketsFlowLog, GatewayWithNothingBehindItIsRejected) {
  Lines sink;
  PipelineConfig config{1024, 1024};
  config.flow_log_sink = &sink;
  config.flow_log_window_seconds = 60;
  config.unix_clock_offset_ns = int64_t{1'700'000'000 - 1000} * 1'000'000'000;
  program::Program p = standard_program();
  p.flow_logs.push_back({.id = 1,
                         .name = "fl-1",
                         .account_id = "123456789012",
                         .traffic = program::FlowLogTraffic::all,
                         .format = "",
                         .destination = "/unused",
                         .aggregation_seconds = 60,
                         .enis = {kWeb1.id}});
  World world(p, config);
  run(world, {{port_of(kWeb1),
               from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.9.9"), 40000, 22))}});
  run(world, {}, 1060);
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_NE(sink.lines[0].find(" 10.0.1.5 172.16.9.9 40000 22 6 1 40 "), std::string::npos)
      << sink.lines[0];
  EXPECT_NE(sink.lines[0].find(" REJECT OK"), std::string::npos) << sink.lines[0];
}

}  // namespace
}  // namespace openvpc::dataplane::testing
