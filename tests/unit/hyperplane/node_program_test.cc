// compile_node_program: a hyperplane node's program -> its NAT gateways' port ranges (own slot,
// plus dead slots it succeeds), shard peers and join times; and the node's /metrics page,
// read back with the strict Prometheus parser.
#include "hyperplane/node_program.h"

#include <gtest/gtest.h>

#include "hyperplane/node_metrics.h"
#include "router/prometheus_parser.h"

namespace openvpc::hyperplane {
namespace {

using packet::IpAddress;

constexpr uint32_t kSelf = 0x7f000c02;  // 127.0.12.2
constexpr uint32_t kA = 0x7f000c01;
constexpr uint32_t kC = 0x7f000c03;
constexpr uint32_t kD = 0x7f000c04;
constexpr uint32_t kEdge = 0x7f000a01;

program::Program node_program(std::vector<uint32_t> nodes) {
  program::Program p;
  p.host_underlay = IpAddress::v4(kSelf);
  p.edge_nodes = {IpAddress::v4(kEdge)};
  program::NatGateway g;
  g.id = 4;
  g.name = "nat-0123456789abcdef0";
  g.vpc = 7;
  g.eni = 90;
  g.addresses = {IpAddress::v4(0x0a000164)};
  for (uint32_t n : nodes) g.nodes.push_back(IpAddress::v4(n));
  p.nat_gateways = {g};
  return p;
}

TEST(NodeProgram, OwnSlotAndPeers) {
  auto plan = compile_node_program(node_program({kA, kSelf, kC}), kSelf, 50, nullptr);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->gateways.size(), 1u);
  const NatGatewayConfig& g = plan->gateways[0];
  EXPECT_EQ(g.number, 4u);
  ASSERT_EQ(g.ranges.size(), 1u);
  EXPECT_EQ(g.ranges[0].first, slot_range(1, 3).first);
  EXPECT_EQ(g.cap_per_range, slot_cap(1, 3));
  EXPECT_EQ(plan->shards[0].peers, (std::vector<uint32_t>{kA, kC}));
  EXPECT_EQ(plan->config.edge_nodes, std::vector<uint32_t>{kEdge});
  EXPECT_EQ(plan->config.gateways[0].vni, 7u);
  EXPECT_EQ(plan->config.gateways[0].eni, 90u);
  EXPECT_EQ(plan->config.gateways[0].joined_at, 50u);
  EXPECT_EQ(plan->names[0], "nat-0123456789abcdef0");
  // The same slot later: the join time stays; another slot: it is a new join.
  auto again = compile_node_program(node_program({kA, kSelf, kC}), kSelf, 90, &*plan);
  EXPECT_EQ(again->config.gateways[0].joined_at, 50u);
  auto moved = compile_node_program(node_program({kSelf, kA, kC}), kSelf, 90, &*plan);
  EXPECT_EQ(moved->config.gateways[0].joined_at, 90u);
}

// A private gateway's node gets its VPC's interface addresses: sorted, unique, without the
// gateway's or a load balancer's own (no host serves those).
TEST(NodeProgram, APrivateGatewaysDestinationsAreItsVpcsInterfaces) {
  program::Program p = node_program({kA, kSelf});
  p.nat_gateways[0].is_public = false;
  auto mapping = [](uint32_t address, uint32_t underlay, uint32_t eni) {
    program::Mapping m;
    m.vpc = 7;
    m.address = IpAddress::v4(address);
    m.underlay = IpAddress::v4(underlay);
    m.eni = eni;
    return m;
  };
  p.mappings = {mapping(0x0a000305, kC, 33), mapping(0x0a000205, kD, 21),
                mapping(0x0a000305, kC, 33), mapping(0x0a000164, 0, 90)};
  p.mappings.back().nat_gateway = 4;
  auto plan = compile_node_program(p, kSelf, 50, nullptr);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_FALSE(plan->config.gateways[0].is_public);
  EXPECT_EQ(plan->config.gateways[0].addresses, std::vector<uint32_t>{0x0a000164});
  ASSERT_EQ(plan->config.destinations.size(), 2u);
  EXPECT_EQ(plan->config.destinations[0].address, 0x0a000205u);
  const NodeDestination* server = plan->config.find_destination(7, 0x0a000305);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->underlay, kC);
  EXPECT_EQ(server->eni, 33u);
  EXPECT_EQ(plan->config.find_destination(8, 0x0a000305), nullptr);
  EXPECT_EQ(plan->config.find_destination(7, 0x0a000164), nullptr);
}

TEST(NodeProgram, DeadSlotsGoToTheirNextLiveSlot) {
  // Slots: 0 A, 1 down, 2 down, 3 self, 4 D. Slots 1 and 2 are taken over by slot 3 (self).
  auto plan = compile_node_program(node_program({kA, 0, 0, kSelf, kD}), kSelf, 1, nullptr);
  ASSERT_TRUE(plan.ok());
  const auto& ranges = plan->gateways[0].ranges;
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].first, slot_range(3, 5).first);
  EXPECT_EQ(ranges[1].first, slot_range(1, 5).first);
  EXPECT_EQ(ranges[2].first, slot_range(2, 5).first);
  EXPECT_EQ(plan->shards[0].peers, (std::vector<uint32_t>{kA, kD}));
  // A dead last slot wraps around to slot 0.
  auto wrap = compile_node_program(node_program({kSelf, kA, 0}), kSelf, 1, nullptr);
  ASSERT_EQ(wrap->gateways[0].ranges.size(), 2u);
  EXPECT_EQ(wrap->gateways[0].ranges[1].first, slot_range(2, 3).first);
}

TEST(NodeProgram, BadProgramsAreRefused) {
  EXPECT_FALSE(compile_node_program(node_program({kA, kC}), kSelf, 1, nullptr).ok());
  EXPECT_FALSE(compile_node_program(node_program({kSelf}), kA, 1, nullptr).ok());
  program::Program empty;  // nothing placed yet: no underlay set
  EXPECT_TRUE(compile_node_program(empty, kSelf, 1, nullptr).ok());
  empty.nat_gateways = node_program({kSelf}).nat_gateways;
  empty.host_underlay = IpAddress::v4(0);
  EXPECT_TRUE(compile_node_program(empty, kSelf, 1, nullptr).ok());
  auto no_address = node_program({kSelf});
  no_address.nat_gateways[0].addresses.clear();
  EXPECT_FALSE(compile_node_program(no_address, kSelf, 1, nullptr).ok());
}

TEST(NodeMetrics, PageParsesStrictly) {
  NatNodeSnapshot s;
  NatNodeSnapshot::Gateway g;
  g.name = "nat-0123456789abcdef0";
  g.slot = 1;
  g.counters[size_t(NatMetric::ActiveConnectionCount)] = 3;
  g.counters[size_t(NatMetric::BytesOutToDestination)] = 1234;
  s.gateways.push_back(g);
  s.counters.drops[size_t(NodeDrop::sync_pending)] = 2;
  s.flows = 5;
  s.replica_flows = 2;
  s.replication.records_sent = 9;
  s.latency.record(1'000, 31'000);   // 30 us
  s.latency.record(1'000, 401'000);  // 400 us
  const std::string text = node_metrics_text(s, "hp2");
  const auto page = openvpc::testing::parse_prometheus(text);
  ASSERT_EQ(page.error, "") << text;
  const std::string labels = "{nat_gateway_id=\"nat-0123456789abcdef0\",node=\"hp2\",slot=\"1\"}";
  EXPECT_EQ(page.at("openvpc_nat_gateway_active_connection_count" + labels), 3);
  EXPECT_EQ(page.at("openvpc_nat_gateway_bytes_out_to_destination_total" + labels), 1234);
  EXPECT_EQ(page.at("openvpc_hyperplane_drops_total{node=\"hp2\",reason=\"sync_pending\"}"), 2);
  EXPECT_EQ(page.at("openvpc_hyperplane_flows{kind=\"own\",node=\"hp2\"}"), 3);
  EXPECT_EQ(page.at("openvpc_hyperplane_flows{kind=\"replica\",node=\"hp2\"}"), 2);
  EXPECT_EQ(page.at("openvpc_hyperplane_replication_latency_seconds_count{node=\"hp2\"}"), 2);
  EXPECT_DOUBLE_EQ(page.at("openvpc_hyperplane_replication_latency_quantile_seconds{node=\"hp2\","
                           "quantile=\"0.5\"}"),
                   50e-6);
  EXPECT_DOUBLE_EQ(page.at("openvpc_hyperplane_replication_latency_quantile_seconds{node=\"hp2\","
                           "quantile=\"0.99\"}"),
                   500e-6);
}

}  // namespace
}  // namespace openvpc::hyperplane
