// EdgeTable: public <-> private bindings compiled from an edge program, looked up both ways.
#include "edge/edge_table.h"

#include <gtest/gtest.h>

#include <functional>

#include "edge_packets.h"

namespace openvpc::edge {
namespace {

using namespace testing;

std::shared_ptr<const EdgeTable> compiled(const program::Program& p) {
  auto table = compile_edge_table(p);
  EXPECT_TRUE(table.ok());
  return table ? *table : nullptr;
}

TEST(EdgeTable, LooksUpPublicToPrivate) {
  const auto table = compiled(edge_program(5));
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->generation, 5u);
  EXPECT_EQ(table->underlay_v4, kEdge);
  EXPECT_EQ(table->bindings.size(), 3u);  // 10.0.0.7 has no public address
  const PublicBinding* b = table->by_public(kPublic6);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->private_v4, kPrivate6);
  EXPECT_EQ(b->vpc, 7u);
  EXPECT_EQ(b->eni, 2u);
  EXPECT_EQ(b->host_v4, kHostB);
  const PublicBinding* c = table->by_public(kPublic9);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->vpc, 9u);
  EXPECT_EQ(c->private_v4, kPrivate5);
  EXPECT_EQ(c->host_v4, kHostC);
}

TEST(EdgeTable, LooksUpPrivateToPublicPerVpc) {
  const auto table = compiled(edge_program());
  ASSERT_NE(table, nullptr);
  const PublicBinding* a = table->by_private(7, kPrivate5);
  const PublicBinding* b = table->by_private(9, kPrivate5);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->public_v4, kPublic5);
  EXPECT_EQ(a->eni, 1u);
  EXPECT_EQ(b->public_v4, kPublic9);
  EXPECT_EQ(b->eni, 4u);
}

TEST(EdgeTable, MissesAreNull) {
  const auto table = compiled(edge_program());
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->by_public(kPrivate5), nullptr);  // a private address is not public
  EXPECT_EQ(table->by_public(0xcb007107), nullptr);
  EXPECT_EQ(table->by_public(0), nullptr);
  EXPECT_EQ(table->by_private(7, kPrivate7), nullptr);  // no public address
  EXPECT_EQ(table->by_private(8, kPrivate5), nullptr);  // VPC not on the edge
  EXPECT_EQ(table->by_private(7, kPublic5), nullptr);
  EXPECT_TRUE(table->serves_vpc(7));
  EXPECT_TRUE(table->serves_vpc(9));
  EXPECT_FALSE(table->serves_vpc(8));
  EXPECT_FALSE(table->serves_vpc(0));
}

TEST(EdgeTable, EmptyProgramMissesEverything) {
  program::Program p;
  p.host_underlay = v4(kEdge);
  const auto table = compiled(p);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->by_public(kPublic5), nullptr);
  EXPECT_EQ(table->by_private(7, kPrivate5), nullptr);
  EXPECT_FALSE(table->serves_vpc(7));
}

TEST(EdgeTable, ANewProgramReplacesTheBindings) {
  const auto before = compiled(edge_program(1));
  program::Program next = edge_program(2);
  next.mappings[0].public_address = v4(0xcb007155);  // ENI 1's public IP changed
  next.mappings[1].public_address.reset();           // ENI 2's was released
  next.mappings[2].public_address = v4(kPublic6);    // and now belongs to 10.0.0.7
  const auto after = compiled(next);
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->generation, 2u);
  EXPECT_EQ(after->by_public(kPublic5), nullptr);
  ASSERT_NE(after->by_public(0xcb007155), nullptr);
  EXPECT_EQ(after->by_public(0xcb007155)->private_v4, kPrivate5);
  ASSERT_NE(after->by_public(kPublic6), nullptr);
  EXPECT_EQ(after->by_public(kPublic6)->private_v4, kPrivate7);
  EXPECT_EQ(after->by_public(kPublic6)->eni, 3u);
  EXPECT_EQ(after->by_private(7, kPrivate6), nullptr);
  // The table the translator may still hold is immutable and unchanged.
  ASSERT_NE(before->by_public(kPublic5), nullptr);
  EXPECT_EQ(before->by_public(kPublic6)->private_v4, kPrivate6);
}

TEST(EdgeTable, RefusesAPublicAddressBoundTwice) {
  program::Program p = edge_program();
  p.mappings[2].public_address = v4(kPublic5);
  const auto table = compile_edge_table(p);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.error().code, "edge.invalid_program");
  EXPECT_NE(table.error().message.find("203.0.113.5"), std::string::npos);
}

TEST(EdgeTable, RefusesIpv6Bindings) {
  program::Program p = edge_program();
  p.mappings[0].public_address = packet::IpAddress::v6_from_wire(
      std::array<uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}.data());
  EXPECT_FALSE(compile_edge_table(p).ok());
  program::Program q = edge_program();
  q.host_underlay = p.mappings[0].public_address.value();
  EXPECT_FALSE(compile_edge_table(q).ok());
}

TEST(EdgeTable, ANatGatewaysAddressIsBoundToItsShard) {
  program::Program p = edge_program();
  with_nat_gateway(p, {kNode1, kDown, kNode3});
  p.mappings.back().eni = 0;  // the gateway's ENI comes from the gateway
  const auto table = compiled(p);
  ASSERT_NE(table, nullptr);
  const PublicBinding* b = table->by_public(kNatPublic);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(table->by_private(7, kNatPrivate), b);
  EXPECT_EQ(b->eni, kNatEni);
  EXPECT_EQ(b->host_v4, 0u);
  ASSERT_GE(b->shard, 0);
  const NatShard& shard = table->nat_shards[size_t(b->shard)];
  EXPECT_EQ(shard.gateway, kNatGateway);
  EXPECT_EQ(shard.nodes_v4, (std::vector<uint32_t>{kNode1, kDown, kNode3}));
  EXPECT_TRUE(table->sends_for(*b, kNode3));
  EXPECT_FALSE(table->sends_for(*b, kNode2));
  EXPECT_FALSE(table->sends_for(*b, kDown));
  const PublicBinding* instance = table->by_public(kPublic5);
  EXPECT_EQ(instance->shard, -1);
  EXPECT_TRUE(table->sends_for(*instance, kHostA));
  EXPECT_FALSE(table->sends_for(*instance, kNode1));
}

TEST(EdgeTable, RefusesMalformedNatGateways) {
  const std::vector<std::pair<const char*, std::function<void(program::Program&)>>> cases = {
      {"duplicate nat gateway", [](auto& p) { p.nat_gateways.push_back(p.nat_gateways[0]); }},
      {"has no eni", [](auto& p) { p.nat_gateways[0].eni = 0; }},
      {"is not IPv4",
       [](auto& p) {
         p.nat_gateways[0].nodes[1] = packet::IpAddress::v6_from_wire(
             std::array<uint8_t, 16>{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}.data());
       }},
      {"names unknown nat gateway 51", [](auto& p) { p.mappings.back().nat_gateway = 51; }},
      {"has eni 61", [](auto& p) { p.mappings.back().eni = 61; }},
  };
  for (const auto& [message, edit] : cases) {
    program::Program p = edge_program();
    with_nat_gateway(p);
    edit(p);
    const auto table = compile_edge_table(p);
    ASSERT_FALSE(table.ok()) << message;
    EXPECT_EQ(table.error().code, "edge.invalid_program");
    EXPECT_NE(table.error().message.find(message), std::string::npos) << table.error().message;
  }
}

TEST(EdgeTable, TenThousandBindingsAllFoundBothWays) {
  program::Program p = edge_program();
  p.mappings.clear();
  for (uint32_t i = 0; i < 10'000; ++i) {
    p.mappings.push_back(
        {7, v4(0x0a010000 + i), v4(kHostA + i % 50), 100 + i, true, v4(0x64400000 + i)});
  }
  const auto table = compiled(p);
  ASSERT_NE(table, nullptr);
  for (uint32_t i = 0; i < 10'000; ++i) {
    const PublicBinding* b = table->by_public(0x64400000 + i);
    ASSERT_NE(b, nullptr) << i;
    ASSERT_EQ(b->private_v4, 0x0a010000 + i);
    const PublicBinding* r = table->by_private(7, 0x0a010000 + i);
    ASSERT_EQ(r, b) << i;
  }
  EXPECT_EQ(table->by_public(0x64400000 + 10'000), nullptr);
}

}  // namespace
}  // namespace openvpc::edge
