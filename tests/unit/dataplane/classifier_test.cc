#include "dataplane/classifier.h"

#include <gtest/gtest.h>

#include "packet/checksum.h"
#include "packet/geneve.h"
#include "topology.h"

namespace openvpc::dataplane::testing {
namespace {

class ClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto compiled = compile(standard_program());
    ASSERT_TRUE(compiled.ok());
    program_ = *compiled;
  }
  const LocalEni& eni(uint32_t id) {
    return program_->local_enis[size_t(program_->find_local_eni(id))];
  }
  Classification outbound(uint32_t id, const std::vector<uint8_t>& ip) {
    Classifier classifier(*program_, view(), nullptr);
    return classifier.outbound(eni(id), packet::parse_ip(ip));
  }
  // Connection-table ENI slot = the program's local ENI index, as a fresh pipeline assigns.
  ConnectionView view() {
    slots_.clear();
    for (size_t i = 0; i < program_->local_enis.size(); ++i) slots_.push_back(uint16_t(i));
    return {&table_, slots_, 100, 1};
  }
  std::shared_ptr<const CompiledProgram> program_;
  conntrack::ConntrackTable table_{64, 8};
  std::vector<uint16_t> slots_;
};

TEST_F(ClassifierTest, EncapsulationActionCarriesTheTunnelFields) {
  const auto ip = tcp_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 443);
  const Classification c = outbound(101, ip);
  EXPECT_EQ(c.action.verdict, Verdict::encapsulate);
  EXPECT_EQ(c.action.outer_dst_v4, kRemoteHost.v4_host_order());
  EXPECT_EQ(c.action.vni, 7u);
  EXPECT_EQ(c.action.source_eni, 101u);
  EXPECT_EQ(c.action.destination_eni, 201u);
  EXPECT_EQ(c.action.outer_src_port, packet::flow_source_port(packet::parse_ip(ip).tuple));
  EXPECT_TRUE(c.action.decrement_ttl);
  // Egress tracked: ingress has no everywhere all-ports rule.
  EXPECT_EQ(c.groups[0].local_index, program_->find_local_eni(101));
  EXPECT_TRUE(c.groups[0].allowed_by_rules);
  EXPECT_FALSE(c.groups[0].untracked);
  EXPECT_EQ(c.groups[1].local_index, -1);
}

TEST_F(ClassifierTest, LocalDeliveryTracksBothEnis) {
  const Classification c = outbound(101, tcp_ip(kWeb1.ip, kDb.ip, 40000, 5432));
  EXPECT_EQ(c.action.verdict, Verdict::deliver);
  EXPECT_EQ(c.action.out_id, 103u);
  EXPECT_EQ(c.action.dst_mac, kDb.mac);
  EXPECT_EQ(c.action.src_mac, kRouterMac);
  EXPECT_EQ(c.groups[0].local_index, program_->find_local_eni(101));
  EXPECT_EQ(c.groups[1].local_index, program_->find_local_eni(103));
  EXPECT_EQ(c.groups[1].denied, DropReason::security_group_ingress_denied);
}

TEST_F(ClassifierTest, ALiveConnectionAllowsWhatTheRulesDoNot) {
  const auto out = tcp_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 80);
  const auto reply = geneve(kRemoteHost, kHost, 7, 201, 101,
                            tcp_ip(kRemoteWeb.ip, kWeb1.ip, 80, 40000, packet::kTcpAck));
  {
    Classifier classifier(*program_, view(), nullptr);
    EXPECT_EQ(classifier.inbound(packet::parse_ip(reply)).action.drop_reason,
              DropReason::security_group_ingress_denied);
  }
  const uint16_t web1 = uint16_t(program_->find_local_eni(101));
  ASSERT_TRUE(table_.open(web1, packet::parse_ip(out), 100).ok());
  Classifier classifier(*program_, view(), nullptr);
  const Classification c = classifier.inbound(packet::parse_ip(reply));
  EXPECT_EQ(c.action.verdict, Verdict::deliver);
  EXPECT_FALSE(c.groups[0].allowed_by_rules);  // the connection allowed it
  EXPECT_EQ(c.groups[0].local_index, int32_t(web1));
}

TEST_F(ClassifierTest, GatewayTargets) {
  const Classification igw = outbound(101, udp_ip(kWeb1.ip, address_literal("8.8.8.8"), 1, 2));
  EXPECT_EQ(igw.action.verdict, Verdict::encapsulate);  // to the edge node
  EXPECT_EQ(igw.action.outer_dst_v4, kEdge.v4_host_order());
  // A NAT gateway has nothing behind it yet: a named drop, not a packet sent nowhere.
  const Classification nat = outbound(101, udp_ip(kWeb1.ip, address_literal("172.16.1.1"), 1, 2));
  EXPECT_EQ(nat.action.verdict, Verdict::drop);
  EXPECT_EQ(nat.action.drop_reason, DropReason::gateway_unavailable);
}

TEST_F(ClassifierTest, InboundIsolationChecksInOrder) {
  const ConnectionView connections = view();
  Classifier classifier(*program_, connections, nullptr);
  const auto inner = tcp_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 22);
  const auto ok =
      classifier.inbound(packet::parse_ip(geneve(kRemoteHost, kHost, 7, 201, 101, inner)));
  EXPECT_EQ(ok.action.verdict, Verdict::deliver);
  EXPECT_FALSE(ok.action.decrement_ttl);
  EXPECT_EQ(ok.groups[0].local_index, program_->find_local_eni(101));
  // Missing option: a Geneve packet built without it is not possible with the builder, so
  // strip it: option length 0 and no option bytes.
  auto bytes = geneve(kRemoteHost, kHost, 7, 201, 101, inner);
  bytes.erase(bytes.begin() + 36, bytes.begin() + 52);
  bytes[28] = 0;
  packet::store_be16(&bytes[2], uint16_t(bytes.size()));
  packet::store_be16(&bytes[24], uint16_t(bytes.size() - 20));
  packet::store_be16(&bytes[10], 0);
  packet::store_be16(&bytes[10], packet::ipv4_header_checksum(bytes.data(), 20));
  const auto meta = packet::parse_ip(bytes);
  ASSERT_TRUE(meta.ok()) << packet::to_string(meta.error);
  EXPECT_EQ(classifier.inbound(meta).action.drop_reason, DropReason::geneve_missing_vpc_option);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
