// Load balancer flow replication: ops 3 / 4 records (flow_replication.h) — round trip beside
// NAT records, every bad field refused — and two nodes' Replicators over real UDP sockets on
// loopback (127.31.86.x:6082): a flow created on A reaches B's LbTable as a replica, a retired
// one is erased there, and a new peer gets a bulk sync of A's load balancer flows.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <vector>

#include "hyperplane/flow_replication.h"
#include "hyperplane/replicator.h"
#include "packet/parser.h"

namespace openvpc::hyperplane {
namespace {

constexpr uint32_t kA = 0x7f1f5601;  // 127.31.86.1
constexpr uint32_t kB = 0x7f1f5602;
constexpr uint32_t kC = 0x7f1f5603;
constexpr uint32_t kLb = 9;

LbFlow lb_flow(uint16_t client_port) {
  LbFlow f;
  f.protocol = packet::kProtoTcp;
  f.tcp_state = LbTable::kFinClient;
  f.client_address = 0x0a000a05;
  f.client_port = client_port;
  f.target_address = 0x0a000202;
  f.target_port = 8080;
  f.listener_address = 0x0a000132;
  f.listener_port = 80;
  f.client_underlay = 0x7f000101;
  f.client_eni = 21;
  return f;
}

std::vector<uint8_t> encode(std::span<const ReplicationRecord> records) {
  std::vector<uint8_t> out(kReplicationHeaderSize + records.size() * kReplicationRecordSize);
  encode_header(out.data(), {0, uint16_t(records.size()), 42});
  for (size_t i = 0; i < records.size(); ++i) {
    encode_record(out.data() + kReplicationHeaderSize + i * kReplicationRecordSize, records[i]);
  }
  return out;
}

TEST(LbReplication, RecordsRoundTripBesideNatRecords) {
  std::vector<ReplicationRecord> in(3);
  in[0].op = ReplicationOp::lb_upsert;
  in[0].gateway_number = kLb;
  in[0].lb_flow = lb_flow(40000);
  in[1].op = ReplicationOp::upsert;  // a NAT record between
  in[1].gateway_number = 4;
  in[1].flow.protocol = packet::kProtoUdp;
  in[1].flow.inside_port = 5353;
  in[1].flow.nat_port = 2000;
  in[2].op = ReplicationOp::lb_erase;
  in[2].gateway_number = kLb;
  in[2].lb_flow = lb_flow(40001);
  in[2].lb_flow.protocol = packet::kProtoUdp;
  in[2].lb_flow.tcp_state = 0;
  const auto bytes = encode(in);
  ReplicationHeader header;
  std::vector<ReplicationRecord> out(kMaxRecords);
  ASSERT_EQ(decode(bytes, header, out), ReplicationError::none);
  ASSERT_EQ(header.count, 3u);
  for (size_t i : {size_t(0), size_t(2)}) {
    EXPECT_EQ(out[i].op, in[i].op);
    EXPECT_EQ(out[i].gateway_number, kLb);
    const LbFlow& a = in[i].lb_flow;
    const LbFlow& b = out[i].lb_flow;
    EXPECT_EQ(std::tie(a.protocol, a.tcp_state, a.client_address, a.client_port, a.target_address,
                       a.target_port, a.listener_address, a.listener_port, a.client_underlay,
                       a.client_eni),
              std::tie(b.protocol, b.tcp_state, b.client_address, b.client_port, b.target_address,
                       b.target_port, b.listener_address, b.listener_port, b.client_underlay,
                       b.client_eni));
  }
  EXPECT_EQ(out[1].op, ReplicationOp::upsert);
  EXPECT_EQ(out[1].flow.inside_port, 5353);
  // The same bytes again (one spelling per meaning).
  EXPECT_EQ(encode(std::span<const ReplicationRecord>(out.data(), 3)), bytes);
}

TEST(LbReplication, BadLoadBalancerFieldsAreRefused) {
  ReplicationRecord r;
  r.op = ReplicationOp::lb_upsert;
  r.gateway_number = kLb;
  r.lb_flow = lb_flow(40000);
  const auto good = encode({&r, 1});
  const auto mutated = [&](auto change) {
    auto bytes = good;
    change(bytes.data() + kReplicationHeaderSize);
    ReplicationHeader header;
    std::vector<ReplicationRecord> out(kMaxRecords);
    return decode(bytes, header, out);
  };
  EXPECT_EQ(mutated([](uint8_t*) {}), ReplicationError::none);
  EXPECT_EQ(mutated([](uint8_t* b) { b[0] = 5; }), ReplicationError::bad_op);
  EXPECT_EQ(mutated([](uint8_t* b) { b[0] = 0; }), ReplicationError::bad_op);
  EXPECT_EQ(mutated([](uint8_t* b) { b[1] = packet::kProtoIcmp; }), ReplicationError::bad_protocol);
  EXPECT_EQ(mutated([](uint8_t* b) { b[3] = 1; }), ReplicationError::bad_reserved);
  EXPECT_EQ(mutated([](uint8_t* b) { b[27] = 1; }), ReplicationError::bad_reserved);
  EXPECT_EQ(mutated([](uint8_t* b) { b[2] = 4; }), ReplicationError::bad_field);
  EXPECT_EQ(mutated([](uint8_t* b) { b[1] = packet::kProtoUdp; }), ReplicationError::bad_field);
  for (size_t port : {20, 22, 24}) {
    EXPECT_EQ(mutated([&](uint8_t* b) { b[port] = b[port + 1] = 0; }), ReplicationError::bad_field)
        << port;
  }
}

// Receives on `r` until `table` holds `flows` flows or 5 s pass (a bound, not a measurement).
void receive_until(Replicator& r, NatTable& nat, LbTable& table, size_t flows) {
  for (int i = 0; i < 50 && table.flows() != flows; ++i) {
    pollfd p{r.fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    r.receive(nat, 10, 1000);
  }
}

TEST(LbReplication, FlowsReachPeersAndNewPeersGetABulkSync) {
  auto a = Replicator::open(kA);
  auto b = Replicator::open(kB);
  auto c = Replicator::open(kC);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  NatTable nat_a(16), nat_b(16), nat_c(16);
  LbTable table_a(64), table_b(64), table_c(64);
  const uint32_t numbers[] = {kLb};
  for (LbTable* t : {&table_a, &table_b, &table_c}) t->set_load_balancers(numbers);
  a->set_lb_table(&table_a);
  b->set_lb_table(&table_b);
  c->set_lb_table(&table_c);
  a->set_shards({}, 0, {ShardPeers{kLb, 0, {kB}}});
  b->set_shards({}, 0, {ShardPeers{kLb, 0, {kA}}});
  c->set_shards({}, 0, {ShardPeers{kLb, 0, {kA}}});

  LbFlow f = lb_flow(40000);
  f.tcp_state = 0;
  const uint32_t id = table_a.create(f, 10);
  ASSERT_NE(id, LbTable::kNone);
  table_a.create(lb_flow(40001), 10);
  a->drain(nat_a, 1000);
  EXPECT_TRUE(table_a.journal().empty());
  receive_until(*b, nat_b, table_b, 2);
  ASSERT_EQ(table_b.flows(), 2u);
  EXPECT_EQ(table_b.replica_flows(), 2u);
  const uint32_t held = table_b.find_target(0, packet::kProtoTcp, f.target_address, f.target_port,
                                            f.client_address, f.client_port);
  ASSERT_NE(held, LbTable::kNone);
  EXPECT_EQ(table_b.flow(held).client_underlay, f.client_underlay);
  EXPECT_EQ(b->stats().lb_applied[size_t(LbReplicaResult::inserted)], 2u);

  table_a.erase(id);
  a->drain(nat_a, 1000);
  receive_until(*b, nat_b, table_b, 1);
  EXPECT_EQ(table_b.flows(), 1u);

  // C joins the shard: A's bulk sync brings it A's load balancer flows.
  a->set_shards({}, 0, {ShardPeers{kLb, 0, {kB, kC}}});
  while (a->pump(nat_a, 1024, Replicator::kBulkDelayNs + 1)) {
  }
  receive_until(*c, nat_c, table_c, 1);
  EXPECT_EQ(table_c.flows(), 1u);
  // One to C, and one to B, whose own bulk sync (B was new at the first set_shards) was due.
  EXPECT_EQ(a->stats().bulk_records_sent, 2u);
  // Records from a node that is no peer of the load balancer are refused.
  table_c.clear_journal();
  LbTable stray(8);
  stray.set_load_balancers(numbers);
  b->set_lb_table(&stray);
  stray.create(lb_flow(50000), 10);
  b->set_shards({}, 0, {ShardPeers{kLb, 0, {kC}}});
  b->drain(nat_b, 1000);
  for (int i = 0; i < 10; ++i) {
    pollfd p{c->fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    c->receive(nat_c, 10, 1000);
  }
  EXPECT_EQ(table_c.flows(), 1u);
  EXPECT_GE(c->stats().dropped[size_t(ReplicationError::not_a_peer)], 1u);
}

}  // namespace
}  // namespace openvpc::hyperplane
