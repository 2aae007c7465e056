// Pipeline state across batches: program swaps, connection tracking, counters, eviction.
#include <gtest/gtest.h>

#include "dataplane/pipeline.h"
#include "harness.h"

namespace openvpc::dataplane::testing {
namespace {

using packet::kTcpAck;

const Port kUnderlay = Port::underlay();

Input remote_ssh_to_web1(uint16_t sport) {
  return {kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101,
                            tcp_ip(kRemoteWeb.ip, kWeb1.ip, sport, 22, kTcpAck))};
}

Input web1_to_web2_8080(uint16_t sport) {
  return {port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, sport, 8080, kTcpAck))};
}

TEST(ProgramSwap, TrackedConnectionSurvivesRemovalOfItsRuleNewOnesDoNot) {
  program::Program p = standard_program();
  World world(p);
  EXPECT_EQ(run(world, {remote_ssh_to_web1(5000)}).packets[0].verdict, Verdict::deliver);

  p.generation = 2;
  p.security_groups[0].rules.erase(p.security_groups[0].rules.begin());  // tcp 22 ingress
  world.publish(p);
  Batch after = run(world, {remote_ssh_to_web1(5000), remote_ssh_to_web1(5001)}, 1010);
  EXPECT_EQ(after.packets[0].verdict, Verdict::deliver);
  EXPECT_EQ(after.packets[1].drop_reason, DropReason::security_group_ingress_denied);
  EXPECT_EQ(world.pipeline.counters().program_swaps, 2u);
  EXPECT_GE(world.pipeline.counters().flow_stale, 1u);
}

TEST(ProgramSwap, UntrackedFlowIsCutWhenItsRuleGoes) {
  program::Program p = standard_program();
  World world(p);
  // 8080 from 0.0.0.0/0 in, everything out: untracked on web2 (REFERENCE.md).
  EXPECT_EQ(run(world, {web1_to_web2_8080(40000)}).packets[0].verdict, Verdict::deliver);
  // web1's egress (tracked) and web2's ingress (an untracked entry: it remembers only the
  // generation that allowed it).
  EXPECT_EQ(world.pipeline.connection_count(), 2u);

  p.generation = 2;
  p.security_groups[2].rules.clear();  // group 43 "open"
  world.publish(p);
  Batch after = run(world, {web1_to_web2_8080(40000)}, 1001);
  EXPECT_EQ(after.packets[0].drop_reason, DropReason::security_group_ingress_denied);
}

TEST(ProgramSwap, UnchangedProgramKeepsServingFromTheCache) {
  program::Program p = standard_program();
  World world(p);
  run(world, {web1_to_web2_8080(40000)});
  run(world, {web1_to_web2_8080(40000)}, 1001);
  EXPECT_EQ(world.pipeline.counters().flow_hits, 1u);
  EXPECT_EQ(world.pipeline.counters().flow_misses, 1u);
}

TEST(Connections, ReplyAfterTheTimeoutIsDropped) {
  World world(standard_program());
  const Input out{port_of(kWeb1), from_eni(kWeb1, udp_ip(kWeb1.ip, kRemoteWeb.ip, 6000, 5000))};
  const Input reply{kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101,
                                      udp_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 6000))};
  EXPECT_EQ(run(world, {out}, 1000).packets[0].verdict, Verdict::encapsulate);
  EXPECT_EQ(run(world, {reply}, 1020).packets[0].verdict, Verdict::deliver);
  // A single exchange lives 30 s after its last packet...
  EXPECT_EQ(run(world, {reply}, 1049).packets[0].verdict, Verdict::deliver);
  // ...the third packet made it a stream: 180 s.
  EXPECT_EQ(run(world, {reply}, 1228).packets[0].verdict, Verdict::deliver);
  EXPECT_EQ(run(world, {reply}, 1228 + 181).packets[0].drop_reason,
            DropReason::security_group_ingress_denied);
}

TEST(Connections, ACachedDropOfTheReplyDirectionIsForgottenWhenTheConnectionStarts) {
  World world(standard_program());
  const Input in{kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101,
                                   udp_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 6000))};
  const Input out{port_of(kWeb1), from_eni(kWeb1, udp_ip(kWeb1.ip, kRemoteWeb.ip, 6000, 5000))};
  Batch batch = run(world, {in, out, in});
  EXPECT_EQ(batch.packets[0].drop_reason, DropReason::security_group_ingress_denied);
  EXPECT_EQ(batch.packets[1].verdict, Verdict::encapsulate);
  EXPECT_EQ(batch.packets[2].verdict, Verdict::deliver);
}

TEST(Counters, DropsCountedPerReasonAndPerEni) {
  World world(standard_program());
  const Input spoofed{port_of(kWeb1),
                      from_eni(kWeb1, tcp_ip(address_literal("10.0.1.99"), kWeb2.ip, 1, 22))};
  const Input good{port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 40000, 22))};
  const Input forged{kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 103,
                                       tcp_ip(address_literal("10.0.1.21"), kDb.ip, 1, 5432))};
  run(world, {spoofed, good, spoofed, forged});
  const auto& c = world.pipeline.counters();
  EXPECT_EQ(c.drops[size_t(DropReason::source_address_spoofed)], 2u);
  EXPECT_EQ(c.drops[size_t(DropReason::geneve_inner_source_mismatch)], 1u);
  EXPECT_EQ(c.verdicts[size_t(Verdict::deliver)], 1u);
  const EniCounters* web1 = world.pipeline.eni_counters(kWeb1.id);
  const EniCounters* web2 = world.pipeline.eni_counters(kWeb2.id);
  const EniCounters* db = world.pipeline.eni_counters(kDb.id);
  ASSERT_TRUE(web1 && web2 && db);
  EXPECT_EQ(web1->rx_packets, 3u);
  EXPECT_EQ(web1->rx_bytes, 3 * good.bytes.size());
  EXPECT_EQ(web1->drops[size_t(DropReason::source_address_spoofed)], 2u);
  EXPECT_EQ(web2->tx_packets, 1u);
  EXPECT_EQ(web2->tx_bytes, good.bytes.size());
  EXPECT_EQ(db->drops[size_t(DropReason::geneve_inner_source_mismatch)], 1u);
  EXPECT_EQ(world.pipeline.eni_counters(999), nullptr);
}

TEST(FlowCacheBound, ManyFlowsInASmallCacheEvictButAllForward) {
  World world(standard_program(), PipelineConfig{8, 1024});
  std::vector<Input> inputs;
  for (uint16_t sport = 1000; sport < 1100; ++sport) {
    inputs.push_back({port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, sport, 22))});
  }
  Batch batch = run(world, inputs);
  for (const Packet& p : batch.packets) EXPECT_EQ(p.verdict, Verdict::deliver);
  EXPECT_LE(world.pipeline.flow_count(), 8u);
  EXPECT_EQ(world.pipeline.counters().flow_evictions, 100u - 8u);
}

TEST(Batches, MoreThanOneChunkIsProcessedInOrder) {
  World world(standard_program());
  std::vector<Input> inputs;
  for (size_t i = 0; i < kMaxBatch + 10; ++i) {
    const uint8_t ttl = uint8_t(2 + i % 60);
    inputs.push_back({port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 40000, 22,
                                                             packet::kTcpSyn, ttl))});
  }
  Batch batch = run(world, inputs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const uint8_t ttl = uint8_t(2 + i % 60);
    EXPECT_EQ(batch.bytes(i), to_eni(kWeb2, tcp_ip(kWeb1.ip, kWeb2.ip, 40000, 22, packet::kTcpSyn,
                                                   uint8_t(ttl - 1))));
  }
}

TEST(NoProgram, EveryPacketIsDroppedAsUnknownPort) {
  ProgramPublisher publisher;
  Pipeline pipeline(publisher, {});
  Batch batch({{port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 1, 22))}});
  pipeline.process(batch.packets, 0);
  EXPECT_EQ(batch.packets[0].drop_reason, DropReason::unknown_port);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
