// LbTable: a load balancer's flows found by client side and by target side, idle timeouts by
// protocol and TCP state, counters, the replication journal, replicas (insert, refresh,
// conflicts, promotion on use), load balancers coming and going, and the open-addressing
// indexes under churn (checked against a std::map).
#include "hyperplane/lb_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>

#include "packet/parser.h"

namespace openvpc::hyperplane {
namespace {

LbFlow flow(uint16_t client_port, uint8_t protocol = packet::kProtoTcp, uint16_t lb = 0) {
  LbFlow f;
  f.lb = lb;
  f.protocol = protocol;
  f.client_address = 0x0a000a05;
  f.client_port = client_port;
  f.listener_address = 0x0a000132;
  f.listener_port = 80;
  f.target_address = 0x0a000201 + client_port % 3;
  f.target_port = 8080;
  f.client_underlay = 0x7f000101;
  f.client_eni = 21;
  return f;
}

uint32_t find_client(const LbTable& t, const LbFlow& f) {
  return t.find_client(f.lb, f.protocol, f.client_address, f.client_port, f.listener_address,
                       f.listener_port);
}
uint32_t find_target(const LbTable& t, const LbFlow& f) {
  return t.find_target(f.lb, f.protocol, f.target_address, f.target_port, f.client_address,
                       f.client_port);
}

class LbTableTest : public ::testing::Test {
 protected:
  LbTableTest() : table(64) {
    const uint32_t numbers[] = {5, 6};
    table.set_load_balancers(numbers);
  }
  LbTable table;
};

TEST(LbMetric, NamesAndFamilies) {
  EXPECT_EQ(to_string(LbMetric::ActiveFlowCount), "ActiveFlowCount");
  EXPECT_EQ(metric_family(LbMetric::ActiveFlowCount), "openvpc_load_balancer_active_flow_count");
  EXPECT_EQ(metric_family(LbMetric::NewFlowCount), "openvpc_load_balancer_new_flow_count_total");
  EXPECT_EQ(metric_family(LbMetric::UnHealthyHostCount),
            "openvpc_load_balancer_un_healthy_host_count");
  EXPECT_EQ(metric_family(LbMetric::TCP_Client_Reset_Count),
            "openvpc_load_balancer_tcp_client_reset_count_total");
  EXPECT_EQ(metric_family(LbMetric::ProcessedBytes), "openvpc_load_balancer_processed_bytes_total");
}

TEST_F(LbTableTest, BothSidesFindTheFlow) {
  const LbFlow f = flow(40000);
  const uint32_t id = table.create(f, 10);
  ASSERT_NE(id, LbTable::kNone);
  EXPECT_EQ(find_client(table, f), id);
  EXPECT_EQ(find_target(table, f), id);
  EXPECT_EQ(find_client(table, flow(40001)), LbTable::kNone);
  EXPECT_EQ(find_client(table, flow(40000, packet::kProtoUdp)), LbTable::kNone);
  EXPECT_EQ(find_client(table, flow(40000, packet::kProtoTcp, 1)), LbTable::kNone);
  EXPECT_EQ(table.create(f, 10), LbTable::kNone);  // the key is taken
  EXPECT_EQ(table.counters(0)[size_t(LbMetric::ActiveFlowCount)], 1u);
  EXPECT_EQ(table.counters(0)[size_t(LbMetric::NewFlowCount)], 1u);
  ASSERT_EQ(table.journal().size(), 1u);
  EXPECT_EQ(table.journal()[0].lb_number, 5u);
  EXPECT_FALSE(table.journal()[0].retired);
  table.erase(id);
  EXPECT_EQ(find_client(table, f), LbTable::kNone);
  EXPECT_EQ(find_target(table, f), LbTable::kNone);
  EXPECT_EQ(table.counters(0)[size_t(LbMetric::ActiveFlowCount)], 0u);
  ASSERT_EQ(table.journal().size(), 2u);
  EXPECT_TRUE(table.journal()[1].retired);
}

TEST_F(LbTableTest, IdleTimeoutsByProtocolAndState) {
  const uint32_t tcp = table.create(flow(1), 0);
  const uint32_t udp = table.create(flow(2, packet::kProtoUdp), 0);
  const uint32_t closed = table.create(flow(3), 0);
  EXPECT_TRUE(table.touch(closed, 0, 100, packet::kTcpFin, true));
  EXPECT_TRUE(table.touch(closed, 0, 100, packet::kTcpFin | packet::kTcpAck, false));
  EXPECT_EQ(table.expire(10, 64), 0u);
  EXPECT_EQ(table.expire(11, 64), 1u);  // closed: 10 s
  EXPECT_EQ(table.flows(), 2u);
  EXPECT_EQ(table.expire(120, 64), 0u);
  EXPECT_EQ(table.expire(121, 64), 1u);  // UDP: 120 s
  EXPECT_EQ(find_client(table, flow(2, packet::kProtoUdp)), LbTable::kNone);
  EXPECT_TRUE(table.touch(tcp, 300, 10, packet::kTcpAck, true));
  EXPECT_EQ(table.expire(650, 64), 0u);
  EXPECT_FALSE(table.touch(tcp, 651, 10, packet::kTcpAck, true));  // idle: retired by the packet
  EXPECT_EQ(table.flows(), 0u);
  (void)udp;
}

TEST_F(LbTableTest, ResetsAreCountedBySide) {
  const uint32_t id = table.create(flow(1), 0);
  table.touch(id, 1, 40, packet::kTcpRst, true);
  const uint32_t other = table.create(flow(2), 0);
  table.touch(other, 1, 40, packet::kTcpRst, false);
  EXPECT_EQ(table.counters(0)[size_t(LbMetric::TCP_Client_Reset_Count)], 1u);
  EXPECT_EQ(table.counters(0)[size_t(LbMetric::TCP_Target_Reset_Count)], 1u);
  EXPECT_EQ(table.counters(0)[size_t(LbMetric::ProcessedBytes)], 80u);
}

TEST_F(LbTableTest, ReplicasInsertRefreshConflictAndPromotion) {
  const LbFlow f = flow(7);
  EXPECT_EQ(table.insert_replica(9, f, 5), LbReplicaResult::unknown_lb);
  EXPECT_EQ(table.insert_replica(6, f, 5), LbReplicaResult::inserted);
  EXPECT_EQ(table.insert_replica(6, f, 6), LbReplicaResult::refreshed);
  LbFlow moved = f;
  moved.target_address += 1;
  EXPECT_EQ(table.insert_replica(6, moved, 6), LbReplicaResult::conflict);
  EXPECT_EQ(table.replica_flows(), 1u);
  EXPECT_TRUE(table.journal().empty());  // replicas are not journaled
  EXPECT_EQ(table.counters(1)[size_t(LbMetric::ActiveFlowCount)], 0u);
  const uint32_t id = find_client(table, flow(7, packet::kProtoTcp, 1));
  ASSERT_NE(id, LbTable::kNone);
  EXPECT_TRUE(table.touch(id, 7, 10, packet::kTcpAck, true));
  EXPECT_EQ(table.replica_flows(), 0u);
  EXPECT_EQ(table.counters(1)[size_t(LbMetric::ActiveFlowCount)], 1u);
  ASSERT_EQ(table.journal().size(), 1u);
  // Our own flow is ours to retire; a replica goes with its owner's erase.
  EXPECT_EQ(table.erase_replica(6, f), LbReplicaResult::not_found);
  EXPECT_EQ(table.insert_replica(6, flow(8), 5), LbReplicaResult::inserted);
  EXPECT_EQ(table.erase_replica(6, flow(8)), LbReplicaResult::erased);
  EXPECT_EQ(table.erase_replica(6, flow(8)), LbReplicaResult::not_found);
  // Replicas idle out quietly.
  EXPECT_EQ(table.insert_replica(6, flow(9), 5), LbReplicaResult::inserted);
  table.clear_journal();
  table.expire(7 + 351, 64);
  EXPECT_EQ(table.flows(), 0u);
  ASSERT_EQ(table.journal().size(), 1u);  // the own flow's retirement only
}

TEST_F(LbTableTest, TrafficRefreshesPeersAQuarterTimeoutLater) {
  const uint32_t id = table.create(flow(1), 0);
  table.clear_journal();
  table.touch(id, 50, 10, packet::kTcpAck, true);
  table.expire(60, 64);
  EXPECT_TRUE(table.journal().empty());  // before timeout / 4
  table.expire(100, 64);
  ASSERT_EQ(table.journal().size(), 1u);
  table.expire(101, 64);
  EXPECT_EQ(table.journal().size(), 1u);  // no traffic since
}

TEST_F(LbTableTest, LoadBalancersComeAndGo) {
  table.create(flow(1, packet::kProtoTcp, 0), 0);
  table.create(flow(2, packet::kProtoTcp, 1), 0);
  const uint32_t numbers[] = {7, 6};  // 5 left, 6 moved to index 1 -> still 1; 7 new at 0
  table.set_load_balancers(numbers);
  EXPECT_EQ(table.flows(), 1u);
  EXPECT_NE(find_client(table, flow(2, packet::kProtoTcp, 1)), LbTable::kNone);
  EXPECT_EQ(table.counters(1)[size_t(LbMetric::ActiveFlowCount)], 1u);
  const uint32_t swapped[] = {6, 7};
  table.set_load_balancers(swapped);
  EXPECT_NE(find_client(table, flow(2, packet::kProtoTcp, 0)), LbTable::kNone);
  EXPECT_NE(find_target(table, flow(2, packet::kProtoTcp, 0)), LbTable::kNone);
  EXPECT_EQ(table.counters(0)[size_t(LbMetric::ActiveFlowCount)], 1u);
}

TEST(LbTable, FullTableRefusesAndChurnKeepsTheIndexesRight) {
  LbTable table(256, {}, 0);
  const uint32_t numbers[] = {1};
  table.set_load_balancers(numbers);
  std::mt19937 rng(7);
  std::map<uint16_t, uint32_t> held;  // client port -> id
  for (int step = 0; step < 20000; ++step) {
    const uint16_t port = uint16_t(1 + rng() % 600);
    const auto it = held.find(port);
    if (it != held.end() && rng() % 2 == 0) {
      table.erase(it->second);
      held.erase(it);
    } else if (it == held.end()) {
      const uint32_t id = table.create(flow(port), 0);
      if (held.size() == 256) {
        EXPECT_EQ(id, LbTable::kNone);
      } else {
        ASSERT_NE(id, LbTable::kNone);
        held[port] = id;
      }
    }
    if (step % 997 == 0) {
      for (uint16_t p = 1; p <= 600; ++p) {
        const auto h = held.find(p);
        const uint32_t want = h == held.end() ? LbTable::kNone : h->second;
        ASSERT_EQ(find_client(table, flow(p)), want) << p;
        ASSERT_EQ(find_target(table, flow(p)), want) << p;
      }
    }
  }
  EXPECT_EQ(table.flows(), held.size());
  EXPECT_GT(table.journal_overflows(), 0u);  // journal capacity 0
}

}  // namespace
}  // namespace openvpc::hyperplane
