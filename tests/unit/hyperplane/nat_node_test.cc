// NatNode end to end on loopback, real sockets (raw send: needs CAP_NET_RAW, as the router's
// tests): two hyperplane nodes A and B (127.31.84.1-2) in one NAT gateway's shard, a router
// and an edge node played by UDP sockets on 127.31.84.10 and .20 port 6081. A flow goes out
// through A; A replicates it to B; A stops and B, told A's slot is down, carries the reply
// back to the instance and the instance's next packet out with A's port.
#include "hyperplane/nat_node.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "hyperplane/node_metrics.h"
#include "node_peers.h"
#include "packet/builder.h"
#include "packet/geneve.h"

namespace openvpc::hyperplane {
namespace {

using packet::IpAddress;
using testing::parse_from;
using testing::Peer;
using testing::tcp;
using testing::wait_for;

constexpr uint32_t kA = 0x7f1f5401;       // 127.31.84.1
constexpr uint32_t kB = 0x7f1f5402;       // 127.31.84.2
constexpr uint32_t kRouter = 0x7f1f540a;  // 127.31.84.10
constexpr uint32_t kEdge = 0x7f1f5414;    // 127.31.84.20
constexpr uint32_t kInside = 0x0a000a05;  // 10.0.10.5
constexpr uint32_t kNat = 0x0a000164;     // 10.0.1.100
constexpr uint32_t kRemote = 0xcb00710a;  // 203.0.113.10
constexpr uint32_t kVpc = 7;
constexpr uint32_t kInstanceEni = 21;
constexpr uint32_t kGatewayEni = 90;

program::Program shard_program(uint32_t self, std::vector<uint32_t> nodes) {
  program::Program p;
  p.host_underlay = IpAddress::v4(self);
  p.edge_nodes = {IpAddress::v4(kEdge)};
  program::NatGateway g;
  g.id = 4;
  g.name = "nat-0aa0000000000000a";
  g.vpc = kVpc;
  g.eni = kGatewayEni;
  g.addresses = {IpAddress::v4(kNat)};
  for (uint32_t n : nodes) g.nodes.push_back(IpAddress::v4(n));
  p.nat_gateways = {g};
  return p;
}

struct RunningNode {
  std::unique_ptr<NatNode> node;
  std::thread loop;
  explicit RunningNode(uint32_t address) {
    NatNodeOptions options;
    options.node_id = "hp";
    options.underlay_ip = IpAddress::v4(address).to_string();
    options.max_flows = 1024;
    auto created = NatNode::create(options);
    EXPECT_TRUE(created.ok()) << created.error().message;
    if (!created) return;
    node = std::move(*created);
    loop = std::thread([n = node.get()] { n->run(); });
  }
  ~RunningNode() { stop(); }
  void stop() {
    if (!node) return;
    node->stop();
    loop.join();
    node.reset();
  }
  void program(const program::Program& p, uint64_t version) {
    ASSERT_TRUE(node->offer_program(p, version).ok());
    ASSERT_TRUE(wait_for([&] { return node->snapshot().program_version == version; }));
  }
};

TEST(NatNode, AFlowSurvivesItsNode) {
  Peer router(kRouter, kVpc), edge(kEdge, kVpc);
  ASSERT_TRUE(router.bound() && edge.bound()) << "127.31.84.10/.20:6081 in use";
  RunningNode a(kA), b(kB);
  ASSERT_TRUE(a.node && b.node);
  a.program(shard_program(kA, {kA, kB}), 1);
  b.program(shard_program(kB, {kA, kB}), 1);

  // Out through A (slot 0) to the edge.
  router.send(kA, tcp(kInside, 40000, kRemote, 443, packet::kTcpSyn), kInstanceEni, kGatewayEni, 0);
  auto out = edge.receive();
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->second, kA);
  const packet::PacketMeta m = parse_from(out->first, kA, kEdge);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.geneve.source_eni, kGatewayEni);
  EXPECT_EQ(m.geneve.destination_eni, 0u);
  EXPECT_TRUE(m.geneve.vpc_flags & packet::kVpcFlagFromHyperplane);
  EXPECT_EQ(m.tuple.src.v4_host_order(), kNat);
  const uint16_t nat_port = m.tuple.src_port;
  EXPECT_TRUE(slot_range(0, 2).contains(nat_port));

  // A TSO super-frame of 20,000 payload bytes (the router's GSO) goes out whole.
  packet::TcpSpec spec;
  spec.src_port = 40000;
  spec.dst_port = 443;
  spec.flags = packet::kTcpAck;
  const std::vector<uint8_t> bulk(20000, 0x33);
  router.send(
      kA,
      packet::build_tcp({.src = IpAddress::v4(kInside), .dst = IpAddress::v4(kRemote)}, spec, bulk),
      kInstanceEni, kGatewayEni, packet::kVpcFlagGsoTcpv4, 1448);
  auto big = edge.receive();
  ASSERT_TRUE(big.has_value());
  const packet::PacketMeta gm = parse_from(big->first, kA, kEdge);
  ASSERT_TRUE(gm.ok());
  EXPECT_EQ(gm.l3_size, 20000u + 40u);
  EXPECT_EQ(gm.geneve.vpc_flags, packet::kVpcFlagFromHyperplane | packet::kVpcFlagGsoTcpv4);
  EXPECT_EQ(gm.geneve.gso_size, 1448);
  EXPECT_EQ(gm.tuple.src_port, nat_port);

  // B holds the replica; A goes; B learns that A's slot is down and owns its range.
  ASSERT_TRUE(wait_for([&] { return b.node->snapshot().replica_flows == 1; }));
  a.stop();
  b.program(shard_program(kB, {0, kB}), 2);
  EXPECT_EQ(b.node->snapshot().replica_flows, 0u);  // now B's own

  // The reply, sent by the edge to B (A's successor), reaches the instance's router.
  edge.send(kB, tcp(kRemote, 443, kNat, nat_port, packet::kTcpSyn | packet::kTcpAck), 0,
            kGatewayEni, packet::kVpcFlagFromHyperplane);
  auto back = router.receive();
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->second, kB);
  const packet::PacketMeta r = parse_from(back->first, kB, kRouter);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.geneve.destination_eni, kInstanceEni);
  EXPECT_EQ(r.geneve.source_eni, 0u);
  EXPECT_EQ(r.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(r.tuple.dst_port, 40000);

  // The instance's next packet goes out through B with A's port (no RST).
  router.send(kB, tcp(kInside, 40000, kRemote, 443, packet::kTcpAck), kInstanceEni, kGatewayEni, 0);
  auto next = edge.receive();
  ASSERT_TRUE(next.has_value());
  const packet::PacketMeta n = parse_from(next->first, kB, kEdge);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.tuple.src_port, nat_port);
  EXPECT_EQ(n.tcp.flags, packet::kTcpAck);

  ASSERT_TRUE(wait_for([&] { return b.node->snapshot().counters.events[1] == 1; }));
  const NatNodeSnapshot s = b.node->snapshot();
  EXPECT_EQ(s.counters.drops[size_t(NodeDrop::sync_pending)], 0u);
  EXPECT_EQ(s.replication.records_received, 1u);
  EXPECT_EQ(s.latency.count(), 1u);
  const std::string text = node_metrics_text(s, "hp2");
  EXPECT_NE(text.find("openvpc_nat_gateway_packets_out_to_source_total{node=\"hp2\","
                      "nat_gateway_id=\"nat-0aa0000000000000a\",slot=\"1\"} 1"),
            std::string::npos)
      << text;

  // A restarts and takes slot 0 back: B sends it the flow in a bulk sync (after its delay),
  // A owns it again and B keeps a replica; the next reply through A reaches the instance.
  RunningNode again(kA);
  ASSERT_TRUE(again.node);
  again.program(shard_program(kA, {kA, kB}), 1);
  b.program(shard_program(kB, {kA, kB}), 3);
  ASSERT_TRUE(wait_for([&] { return again.node->snapshot().flows == 1; }));
  EXPECT_EQ(again.node->snapshot().replica_flows, 0u);
  // (Snapshots are a few hundred milliseconds old at most: wait for B's to show the sync.)
  EXPECT_TRUE(wait_for([&] {
    const NatNodeSnapshot now = b.node->snapshot();
    return now.replica_flows == 1 && now.replication.bulk_records_sent == 1;
  }));
  edge.send(kA, tcp(kRemote, 443, kNat, nat_port, packet::kTcpAck), 0, kGatewayEni,
            packet::kVpcFlagFromHyperplane);
  auto via_a = router.receive();
  ASSERT_TRUE(via_a.has_value());
  EXPECT_EQ(via_a->second, kA);
  const packet::PacketMeta v = parse_from(via_a->first, kA, kRouter);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(v.tuple.dst_port, 40000);
}

}  // namespace
}  // namespace openvpc::hyperplane
