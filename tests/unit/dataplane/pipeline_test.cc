// Table-driven forwarding cases through the real Pipeline (issue 3 acceptance list).
#include "dataplane/pipeline.h"
#include "dataplane/trace.h"

#include <gtest/gtest.h>

#include <cctype>

#include "harness.h"
#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/ecn.h"
#include "packet/geneve.h"

namespace openvpc::dataplane::testing {
namespace {

using packet::kEcnCe;
using packet::kEcnEct0;
using packet::kEcnEct1;
using packet::kEcnNotEct;
using packet::kTcpAck;
using packet::kTcpSyn;
using D = DropReason;
using V = Verdict;

const IpAddress kGatewayRouter = address_literal("10.0.1.1");
const Port kUnderlay = Port::underlay();

std::vector<uint8_t> time_exceeded(const EniInfo& to, std::span<const uint8_t> offending) {
  std::vector<uint8_t> ip(256);
  const size_t quoted = std::min<size_t>(offending.size(), 20 + 8);
  ip.resize(packet::write_icmp_error(ip.data(), ip.size(), kGatewayRouter, 11, 0, 0,
                                     offending.first(quoted)));
  return to_eni(to, ip);
}

// An IPv4 packet with its TOS byte set (header checksum recomputed from scratch).
std::vector<uint8_t> with_tos(std::vector<uint8_t> ip, uint8_t tos) {
  ip[1] = tos;
  ip[10] = ip[11] = 0;
  packet::store_be16(ip.data() + 10, packet::ipv4_header_checksum(ip.data(), 20));
  return ip;
}

// A Geneve packet whose outer header's ECN field a congested underlay switch set to `ecn`.
std::vector<uint8_t> with_outer_ecn(std::vector<uint8_t> outer, uint8_t ecn) {
  const uint8_t tos = uint8_t((outer[1] & ~packet::kEcnMask) | ecn);
  return with_tos(std::move(outer), tos);
}

// Geneve from the remote host with bytes changed after building (forgeries).
std::vector<uint8_t> truncated_geneve() {
  auto bytes = geneve(kRemoteHost, kHost, 7, 201, 101, tcp_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 22));
  bytes.resize(20 + 8 + 6);  // the Geneve header cut after 6 bytes
  packet::store_be16(&bytes[2], uint16_t(bytes.size()));
  packet::store_be16(&bytes[24], uint16_t(bytes.size() - 20));
  packet::store_be16(&bytes[10], 0);
  packet::store_be16(&bytes[10], packet::ipv4_header_checksum(bytes.data(), 20));
  return bytes;
}

std::vector<uint8_t> bad_option_length_geneve() {
  auto bytes = geneve(kRemoteHost, kHost, 7, 201, 101, tcp_ip(kRemoteWeb.ip, kWeb1.ip, 5001, 22));
  bytes[20 + 8 + 8 + 3] = 1;  // the VPC option claims 4 data bytes instead of 12
  return bytes;
}

std::vector<Case> forwarding_cases() {
  const auto web1 = port_of(kWeb1);
  const auto ssh = [](const EniInfo& a, const EniInfo& b, uint16_t sport, uint8_t ttl = 64,
                      uint16_t id = 1) { return tcp_ip(a.ip, b.ip, sport, 22, kTcpSyn, ttl, id); };
  return {
      {"same subnet: delivered with MACs rewritten and TTL decremented, per packet",
       {{web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000, 64, 1))},
        {web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40001, 30, 2))},
        {web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000, 9, 3))}},
       {{V::deliver, D::none, port_of(kWeb2), to_eni(kWeb2, ssh(kWeb1, kWeb2, 40000, 63, 1))},
        {V::deliver, D::none, port_of(kWeb2), to_eni(kWeb2, ssh(kWeb1, kWeb2, 40001, 29, 2))},
        {V::deliver, D::none, port_of(kWeb2), to_eni(kWeb2, ssh(kWeb1, kWeb2, 40000, 8, 3))}}},
      {"cross subnet: NACL allow rule 200, SG rule naming group 41",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, kDb.ip, 40000, 5432))}},
       {{V::deliver, D::none, port_of(kDb),
         to_eni(kDb, tcp_ip(kWeb1.ip, kDb.ip, 40000, 5432, kTcpSyn, 63))}}},
      {"NACL rule order: deny rule 100 wins over allow rule 200; other source allowed",
       {{port_of(kWeb2), from_eni(kWeb2, tcp_ip(kWeb2.ip, kDb.ip, 40000, 5432))},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, kDb.ip, 40000, 5432))}},
       {{V::drop, D::nacl_ingress_denied}, {V::deliver, D::none, port_of(kDb)}}},
      {"NACL * rule denies what no numbered rule matches, both directions",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, kDb.ip, 40000, 80))},
        {port_of(kDb), from_eni(kDb, ssh(kDb, kWeb1, 41000))},
        {port_of(kDb), from_eni(kDb, ping_ip(kDb.ip, kWeb1.ip, true, 7))}},
       {{V::drop, D::nacl_ingress_denied},
        {V::drop, D::nacl_egress_denied},
        {V::deliver, D::none, port_of(kWeb1),
         to_eni(kWeb1, ping_ip(kDb.ip, kWeb1.ip, true, 7, 63))}}},
      {"NACL not applied within a subnet (subnet 11 given the strict ACL 32)",
       {{web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000))},
        {web1, from_eni(kWeb1, ssh(kWeb1, kDb, 40000))}},
       {{V::deliver, D::none, port_of(kWeb2)}, {V::drop, D::nacl_egress_denied}},
       [](program::Program& p) { p.subnets[0].network_acl = 32; }},
      {"SG allow and deny on the destination ENI",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 40000, 80))},
        {web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000))}},
       {{V::drop, D::security_group_ingress_denied}, {V::deliver, D::none, port_of(kWeb2)}}},
      {"SG egress deny when the group has no egress rule",
       {{web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000))}},
       {{V::drop, D::security_group_egress_denied}},
       [](program::Program& p) { p.security_groups[0].rules.pop_back(); }},
      {"SG rule referencing a group: members pass, non-members do not (from the underlay)",
       {{kUnderlay,
         geneve(kRemoteHost, kHost, 7, 201, 103, tcp_ip(kRemoteWeb.ip, kDb.ip, 5000, 5432))},
        {kUnderlay,
         geneve(kRemoteHost, kHost, 7, 202, 103, tcp_ip(kRemoteDb.ip, kDb.ip, 5001, 5432))}},
       {{V::deliver, D::none, port_of(kDb), to_eni(kDb, tcp_ip(kRemoteWeb.ip, kDb.ip, 5000, 5432))},
        {V::drop, D::security_group_ingress_denied}}},
      {"encapsulation to a remote host: outer and inner bytes, source port per flow",
       {{web1, from_eni(kWeb1, ssh(kWeb1, kRemoteWeb, 40000, 64, 5))},
        {web1, from_eni(kWeb1, ssh(kWeb1, kRemoteWeb, 40002, 20, 6))}},
       {{V::encapsulate, D::none, kUnderlay,
         encapsulated(7, 101, 201, ssh(kWeb1, kRemoteWeb, 40000, 63, 5))},
        {V::encapsulate, D::none, kUnderlay,
         encapsulated(7, 101, 201, ssh(kWeb1, kRemoteWeb, 40002, 19, 6))}}},
      {"ECN across the tunnel (RFC 6040): outer CE marks an ECN-capable inner packet CE",
       {{kUnderlay, with_outer_ecn(geneve(kRemoteHost, kHost, 7, 201, 101,
                                          with_tos(ssh(kRemoteWeb, kWeb1, 5000), 0xb8 | kEcnEct0)),
                                   kEcnCe)},
        {kUnderlay, with_outer_ecn(geneve(kRemoteHost, kHost, 7, 201, 101,
                                          with_tos(ssh(kRemoteWeb, kWeb1, 5001), kEcnEct0)),
                                   kEcnEct1)},
        {kUnderlay, with_outer_ecn(geneve(kRemoteHost, kHost, 7, 201, 101,
                                          with_tos(ssh(kRemoteWeb, kWeb1, 5002), kEcnCe)),
                                   kEcnNotEct)},
        {kUnderlay,
         with_outer_ecn(geneve(kRemoteHost, kHost, 7, 201, 101, ssh(kRemoteWeb, kWeb1, 5003)),
                        kEcnCe)}},
       {{V::deliver, D::none, web1,
         to_eni(kWeb1, with_tos(ssh(kRemoteWeb, kWeb1, 5000), 0xb8 | kEcnCe))},
        {V::deliver, D::none, web1, to_eni(kWeb1, with_tos(ssh(kRemoteWeb, kWeb1, 5001), kEcnEct1))},
        {V::deliver, D::none, web1, to_eni(kWeb1, with_tos(ssh(kRemoteWeb, kWeb1, 5002), kEcnCe))},
        {V::drop, D::ecn_ce_not_ect}}},
      {"decapsulation and delivery",
       {{kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101, ssh(kRemoteWeb, kWeb1, 5000))},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 102, ssh(kRemoteWeb, kWeb2, 5001, 3))}},
       {{V::deliver, D::none, web1, to_eni(kWeb1, ssh(kRemoteWeb, kWeb1, 5000))},
        {V::deliver, D::none, port_of(kWeb2), to_eni(kWeb2, ssh(kRemoteWeb, kWeb2, 5001, 3))}}},
      {"return traffic of an allowed connection passes; unsolicited traffic does not",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 5000))},
        {kUnderlay,
         geneve(kRemoteHost, kHost, 7, 201, 101, syn_ack_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 40000))},
        {kUnderlay,
         geneve(kRemoteHost, kHost, 7, 201, 101, syn_ack_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 40001))},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, kDb.ip, 40003, 5432))},
        {port_of(kDb), from_eni(kDb, syn_ack_ip(kDb.ip, kWeb1.ip, 5432, 40003))}},
       {{V::encapsulate, D::none, kUnderlay},
        {V::deliver, D::none, web1},
        {V::drop, D::security_group_ingress_denied},
        {V::deliver, D::none, port_of(kDb)},
        {V::deliver, D::none, web1}}},
      {"spoofed source address and MAC from an instance are dropped",
       {{web1, from_eni(kWeb1, tcp_ip(address_literal("10.0.1.99"), kWeb2.ip, 40000, 22))},
        {web1, from_eni(kWeb2, ssh(kWeb2, kWeb1, 40000))},
        {web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000))}},
       {{V::drop, D::source_address_spoofed},
        {V::drop, D::source_mac_spoofed},
        {V::deliver, D::none, port_of(kWeb2)}}},
      {"a foreign source passes when the ENI's source/dest check is off",
       {{web1, from_eni(kWeb1, tcp_ip(address_literal("10.0.1.99"), kWeb2.ip, 40000, 22))}},
       {{V::deliver, D::none, port_of(kWeb2)}},
       [](program::Program& p) { p.enis[0].source_dest_check = false; }},
      {"forged Geneve: each isolation failure dropped with its reason",
       {{kUnderlay, geneve(kRemoteHost, kHost, 99, 201, 101, ssh(kRemoteWeb, kWeb1, 5000))},
        {kUnderlay,
         geneve(address_literal("192.168.0.66"), kHost, 7, 201, 101, ssh(kRemoteWeb, kWeb1, 5000))},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 999, ssh(kRemoteWeb, kWeb1, 5000))},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 301, ssh(kRemoteWeb, kOther1, 5000))},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 401, 101, ssh(kOtherRemote, kWeb1, 5000))},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101,
                           tcp_ip(address_literal("10.0.1.21"), kWeb1.ip, 5000, 22))},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101, ssh(kRemoteWeb, kWeb2, 5000))},
        {kUnderlay, truncated_geneve()},
        {kUnderlay, bad_option_length_geneve()},
        {kUnderlay, udp_ip(kRemoteHost, kHost, 5000, 4789)},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101, ssh(kRemoteWeb, kWeb1, 5002))}},
       {{V::drop, D::geneve_unknown_vni},
        {V::drop, D::geneve_outer_source_mismatch},
        {V::drop, D::geneve_destination_eni_not_local},
        {V::drop, D::geneve_destination_eni_other_vpc},
        {V::drop, D::geneve_source_eni_other_vpc},
        {V::drop, D::geneve_inner_source_mismatch},
        {V::drop, D::geneve_destination_address_mismatch},
        {V::drop, D::geneve_malformed},
        {V::drop, D::geneve_malformed},
        {V::drop, D::not_geneve},
        {V::deliver, D::none, web1}}},
      {"two VPCs with the same CIDR and addresses on one host stay apart",
       {{port_of(kOther1), from_eni(kOther1, ssh(kOther1, kOther2, 40000))},
        {web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000))},
        {port_of(kOther1), from_eni(kOther1, ssh(kOther1, kOtherRemote, 40000))},
        {kUnderlay, geneve(kRemoteHost, kHost, 8, 401, 101, ssh(kOtherRemote, kWeb1, 5000))},
        {kUnderlay, geneve(kRemoteHost, kHost, 8, 401, 301, ssh(kOtherRemote, kOther1, 5000))}},
       {{V::deliver, D::none, port_of(kOther2)},
        {V::deliver, D::none, port_of(kWeb2)},
        {V::encapsulate, D::none, kUnderlay,
         encapsulated(8, 301, 401, ssh(kOther1, kOtherRemote, 40000, 63))},
        {V::drop, D::geneve_destination_eni_other_vpc},
        {V::deliver, D::none, port_of(kOther1)}}},
      {"longest prefix wins",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("10.0.2.200"), 40000, 22))},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.5.9"), 40000, 22))},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.9.9"), 40000, 22))},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("8.8.8.8"), 40000, 443))},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("10.0.7.7"), 40000, 22))}},
       {{V::drop, D::blackhole_route},
        {V::deliver, D::none, port_of(kWeb2)},
        {V::drop, D::gateway_unavailable},  // the NAT gateway has nothing behind it yet
        {V::encapsulate, D::none, kUnderlay,
         geneve(kHost, kEdge, 7, 101, 0,
                tcp_ip(kWeb1.ip, address_literal("8.8.8.8"), 40000, 443, kTcpSyn, 63))},
        {V::drop, D::no_mapping}}},
      {"internet gateway: out through an edge node from a public address only, return traffic in",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("203.0.113.9"), 40001, 80))},
        {port_of(kWeb2), from_eni(kWeb2, tcp_ip(kWeb2.ip, address_literal("203.0.113.9"), 40001, 80))},
        {kUnderlay, geneve(kEdge, kHost, 7, 0, 101,
                           syn_ack_ip(address_literal("203.0.113.9"), kWeb1.ip, 80, 40001),
                           packet::kVpcFlagFromHyperplane)},
        {kUnderlay, geneve(kEdge, kHost, 7, 0, 101,
                           tcp_ip(address_literal("203.0.113.9"), kWeb1.ip, 5555, 22),
                           packet::kVpcFlagFromHyperplane)},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 0, 101,
                           tcp_ip(address_literal("203.0.113.9"), kWeb1.ip, 5556, 8080),
                           packet::kVpcFlagFromHyperplane)}},
       {{V::encapsulate, D::none, kUnderlay,
         geneve(kHost, kEdge, 7, 101, 0,
                tcp_ip(kWeb1.ip, address_literal("203.0.113.9"), 40001, 80, kTcpSyn, 63))},
        {V::drop, D::no_public_ip},
        {V::deliver, D::none, web1,
         to_eni(kWeb1, syn_ack_ip(address_literal("203.0.113.9"), kWeb1.ip, 80, 40001))},
        {V::drop, D::security_group_ingress_denied},
        {V::drop, D::geneve_untrusted_node}}},
      {"nat gateway: out through the flow's shard node, its reply in, a cached drop forgotten",
       {{kUnderlay, geneve(kNatNode1, kHost, 7, 0, 101,
                           syn_ack_ip(address_literal("172.16.1.1"), kWeb1.ip, 80, 40003),
                           packet::kVpcFlagFromHyperplane)},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.1.1"), 40003, 80))},
        {kUnderlay, geneve(kNatNode1, kHost, 7, 0, 101,
                           syn_ack_ip(address_literal("172.16.1.1"), kWeb1.ip, 80, 40003),
                           packet::kVpcFlagFromHyperplane)},
        {kUnderlay, geneve(kRemoteHost, kHost, 7, 0, 101,
                           syn_ack_ip(address_literal("172.16.1.1"), kWeb1.ip, 80, 40003),
                           packet::kVpcFlagFromHyperplane)}},
       {{V::drop, D::security_group_ingress_denied},
        {V::encapsulate, D::none, kUnderlay,
         geneve(kHost, kNatNode1, 7, 101, kNatGatewayEni,
                tcp_ip(kWeb1.ip, address_literal("172.16.1.1"), 40003, 80, kTcpSyn, 63))},
        {V::deliver, D::none, web1,
         to_eni(kWeb1, syn_ack_ip(address_literal("172.16.1.1"), kWeb1.ip, 80, 40003))},
        {V::drop, D::geneve_untrusted_node}},
       [](program::Program& p) { with_nat_gateway(p, {kNatNode1}); }},
      {"nat gateway: a public one's path MTU is the internet's 1500",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.1.1"), 40005, 80, kTcpSyn,
                                      64, 1, 1460))},
        {web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.1.1"), 40006, 80, kTcpSyn,
                                      64, 1, 1461))}},
       {{V::encapsulate, D::none, kUnderlay}, {V::icmp_error, D::mtu_exceeded, web1}},
       [](program::Program& p) { with_nat_gateway(p, {kNatNode1}); }},
      {"nat gateway: no node of its shard up",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("172.16.1.1"), 40004, 80))}},
       {{V::drop, D::gateway_unavailable}},
       [](program::Program& p) { with_nat_gateway(p, {kNodeDown, kNodeDown}); }},
      {"internet gateway: no edge node up",
       {{web1, from_eni(kWeb1, tcp_ip(kWeb1.ip, address_literal("203.0.113.9"), 40002, 80))}},
       {{V::drop, D::no_edge_node}},
       [](program::Program& p) { p.edge_nodes.clear(); }},
      {"TTL expiry answered with ICMP time exceeded from the subnet router",
       {{web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000, 1))},
        {web1, from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000, 2))},
        {web1, from_eni(kWeb1, ssh(kWeb1, kRemoteWeb, 40000, 1))}},
       {{V::icmp_error, D::ttl_expired, web1, time_exceeded(kWeb1, ssh(kWeb1, kWeb2, 40000, 1))},
        {V::deliver, D::none, port_of(kWeb2), to_eni(kWeb2, ssh(kWeb1, kWeb2, 40000, 1))},
        {V::icmp_error, D::ttl_expired, web1,
         time_exceeded(kWeb1, ssh(kWeb1, kRemoteWeb, 40000, 1))}}},
      {"local services: ARP and the DNS resolver are never filtered",
       {{web1, packet::build_arp_request(kWeb1.mac, kWeb1.ip, kGatewayRouter)},
        {web1, from_eni(kWeb1, udp_ip(kWeb1.ip, address_literal("10.0.0.2"), 40000, 53))},
        {web1, from_eni(kWeb1, udp_ip(kWeb1.ip, address_literal("169.254.169.253"), 4, 53))},
        {web1, from_eni(kWeb1, udp_ip(kWeb1.ip, kWeb2.ip, 40000, 53))}},
       {{V::to_local_services, D::none, web1},
        {V::to_local_services, D::none, web1},
        {V::to_local_services, D::none, web1},
        {V::drop, D::security_group_egress_denied}},
       [](program::Program& p) { p.security_groups[0].rules.pop_back(); }},
      {"unknown port and non-IP frames",
       {{Port::eni(999), from_eni(kWeb1, ssh(kWeb1, kWeb2, 40000))},
        {web1, std::vector<uint8_t>(60, 0)},
        {web1,
         [] {
           auto f = from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 40000, 22));
           f[12] = 0x88, f[13] = 0xcc;  // LLDP
           return f;
         }()}},
       {{V::drop, D::unknown_port},
        {V::drop, D::source_mac_spoofed},
        {V::drop, D::unsupported_ethertype}}},
  };
}

// "NACL * rule denies ..." -> "NACL_rule_denies_..." (gtest names are [A-Za-z0-9_]).
std::string test_name(const std::string& description) {
  std::string name;
  for (char ch : description) {
    const bool word = std::isalnum(static_cast<unsigned char>(ch));
    if (word) name += ch;
    if (!word && !name.empty() && name.back() != '_') name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name;
}

class ForwardingTest : public ::testing::TestWithParam<Case> {};

TEST_P(ForwardingTest, VerdictsAndBytes) {
  const Case& c = GetParam();
  ASSERT_EQ(c.inputs.size(), c.expected.size());
  program::Program p = standard_program();
  if (c.edit) c.edit(p);
  World world(p);
  Batch batch = run(world, c.inputs);
  for (size_t i = 0; i < c.expected.size(); ++i) {
    SCOPED_TRACE("packet " + std::to_string(i) + "\n" +
                 trace(*world.publisher.current(), c.inputs[i].port, c.inputs[i].bytes));
    const Packet& got = batch.packets[i];
    const Expected& want = c.expected[i];
    EXPECT_EQ(to_string(got.verdict), to_string(want.verdict));
    EXPECT_EQ(to_string(got.drop_reason), to_string(want.reason));
    if (want.verdict != Verdict::drop) {
      EXPECT_EQ(got.out_port, want.out) << "out " << got.out_port.id;
    }
    if (!want.bytes.empty()) {
      EXPECT_EQ(batch.bytes(i), want.bytes);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ForwardingTest, ::testing::ValuesIn(forwarding_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return test_name(info.param.description);
                         });

// Every case's packets interleaved in one batch: a mix-up between packets of a batch (a
// wrong index, a shared scratch slot) shows up as a wrong verdict or wrong bytes here.
TEST(ForwardingBatch, InterleavedCasesWithoutEditsMatchTheirOwnResults) {
  std::vector<Input> inputs;
  std::vector<Expected> expected;
  for (const Case& c : forwarding_cases()) {
    if (c.edit || c.description.find("return traffic") != std::string::npos) continue;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      inputs.push_back(c.inputs[i]);
      expected.push_back(c.expected[i]);
    }
  }
  // Interleave: odd positions reversed, so neighbours come from different cases.
  const size_t n = inputs.size();
  ASSERT_GE(n, 2u);
  std::vector<size_t> order;
  for (size_t i = 0; i < n; i += 2) order.push_back(i);
  for (size_t i = n % 2 == 0 ? n - 1 : n - 2;; i -= 2) {
    order.push_back(i);
    if (i < 2) break;
  }
  std::vector<Input> mixed;
  for (size_t i : order) mixed.push_back(inputs[i]);
  ASSERT_EQ(mixed.size(), inputs.size());
  World world(standard_program());
  Batch batch = run(world, mixed);
  for (size_t n = 0; n < order.size(); ++n) {
    const Expected& want = expected[order[n]];
    SCOPED_TRACE("input " + std::to_string(order[n]));
    EXPECT_EQ(to_string(batch.packets[n].verdict), to_string(want.verdict));
    EXPECT_EQ(to_string(batch.packets[n].drop_reason), to_string(want.reason));
    if (!want.bytes.empty()) {
      EXPECT_EQ(batch.bytes(n), want.bytes);
    }
  }
}

// Encapsulation copies the inner TOS byte whole into the outer header (RFC 6040 normal mode:
// ECN copied; DSCP kept), with the outer header checksum still right.
TEST(Encapsulation, OuterHeaderCarriesTheInnerTos) {
  World world(standard_program());
  const uint8_t tos = 0xb8 | kEcnEct0;  // DSCP EF, ECT(0)
  Batch batch =
      run(world, {{port_of(kWeb1),
                   from_eni(kWeb1, with_tos(tcp_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 22), tos))}});
  ASSERT_EQ(to_string(batch.packets[0].verdict), "encapsulate");
  const auto outer = batch.bytes(0);
  EXPECT_EQ(outer[1], tos);
  EXPECT_EQ(outer[packet::kGeneveEncapSize + 1], tos);
  EXPECT_EQ(packet::ipv4_header_checksum(outer.data(), 20), 0);  // over a filled checksum
}

}  // namespace
}  // namespace openvpc::dataplane::testing
