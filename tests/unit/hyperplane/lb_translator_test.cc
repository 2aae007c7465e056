// LbTranslator: real Geneve packets (packet/builder.h) from a client's router and from a
// target's router through a hyperplane node's network load balancer, outer headers and every
// inner checksum checked from scratch; target choice (spread, health, fail open, draining),
// resets for targets that left, replica flows, UDP, and the refused packets by reason.
#include "hyperplane/lb_translator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "hyperplane/nat_node_translator.h"
#include "node_packets.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/geneve.h"

namespace openvpc::hyperplane {
namespace {

using dataplane::Verdict;
using packet::IpAddress;

constexpr uint32_t kNode = 0x7f000c01;    // 127.0.12.1, this hyperplane node
constexpr uint32_t kRouter = 0x7f000101;  // 127.0.1.1, the client's router
constexpr uint32_t kHosts[3] = {0x7f000201, 0x7f000202, 0x7f000203};  // the targets' routers
constexpr uint32_t kClient = 0x0a000a05;                              // 10.0.10.5
constexpr uint32_t kListener = 0x0a000132;  // 10.0.1.50, the LB interface's address
constexpr uint32_t kTargets[3] = {0x0a000201, 0x0a000202, 0x0a000203};  // 10.0.2.1-3
constexpr uint32_t kTargetEnis[3] = {31, 32, 33};
constexpr uint16_t kTargetPort = 8080;
constexpr uint32_t kVpc = 7;
constexpr uint32_t kClientEni = 21;
constexpr uint32_t kLbEni = 90;
constexpr uint32_t kLbEni2 = 91;             // its interface in another subnet
constexpr uint32_t kListener2 = 0x0a000332;  // 10.0.3.50
constexpr uint32_t kLbNumber = 5;
constexpr uint32_t kTcpGroup = 11;
constexpr uint32_t kUdpGroup = 12;

using Buffer = testing::NodeBuffer;

std::vector<uint8_t> tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags,
                         uint32_t seq = 1000, uint32_t ack = 77) {
  return testing::node_tcp(src, sport, dst, dport, flags, seq, ack);
}

std::vector<uint8_t> udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport) {
  return testing::node_udp(src, sport, dst, dport);
}

std::vector<uint8_t> geneve(std::span<const uint8_t> inner, uint32_t from, uint32_t source_eni,
                            uint32_t destination_eni, uint16_t flags = 0, uint32_t vni = kVpc) {
  return testing::node_geneve(inner, from, kNode, vni, source_eni, destination_eni, flags);
}

std::vector<uint8_t> from_client(std::span<const uint8_t> inner) {
  return geneve(inner, kRouter, kClientEni, kLbEni);
}

std::vector<uint8_t> from_target(std::span<const uint8_t> inner, int t) {
  return geneve(inner, kHosts[t], kTargetEnis[t], kLbEni);
}

// The encapsulated result's meta, after checking the outer headers and every inner checksum.
packet::PacketMeta sent(const Buffer& b, uint32_t to, uint32_t source_eni,
                        uint32_t destination_eni) {
  EXPECT_EQ(b.packet.verdict, Verdict::encapsulate);
  const packet::PacketMeta meta = packet::parse_ip(b.bytes());
  EXPECT_TRUE(meta.ok()) << int(meta.error);
  EXPECT_TRUE(packet::ipv4_header_checksum_valid(b.packet.data, 20)) << "outer IPv4 checksum";
  const packet::GeneveInfo& g = meta.geneve;
  EXPECT_TRUE(g.present);
  EXPECT_EQ(g.outer_src.v4_host_order(), kNode);
  EXPECT_EQ(g.outer_dst.v4_host_order(), to);
  EXPECT_EQ(g.vni, kVpc);
  EXPECT_EQ(g.source_eni, source_eni);
  EXPECT_EQ(g.destination_eni, destination_eni);
  EXPECT_EQ(g.vpc_flags, packet::kVpcFlagFromHyperplane);
  const uint8_t* ip = b.packet.data + meta.l3_offset;
  EXPECT_TRUE(packet::ipv4_header_checksum_valid(ip, meta.ipv4_ihl * 4u));
  const size_t l4_size = meta.l3_offset + meta.l3_size - meta.l4_offset;
  EXPECT_EQ(packet::l4_checksum(meta.tuple.src, meta.tuple.dst, meta.tuple.protocol,
                                b.packet.data + meta.l4_offset, l4_size),
            0);
  return meta;
}

int target_of(uint32_t address) {
  for (int t = 0; t < 3; ++t) {
    if (kTargets[t] == address) return t;
  }
  return -1;
}

LbTargetGroup group(uint32_t id) {
  LbTargetGroup g;
  g.id = id;
  for (int t = 0; t < 3; ++t) {
    g.targets.push_back({kTargets[t], kTargetPort, kTargetEnis[t], kHosts[t], false, true});
  }
  rebuild_selection(g);
  return g;
}

LbConfig config(bool draining0 = false, bool without0 = false) {
  NodeLoadBalancer lb;
  lb.number = kLbNumber;
  lb.vni = kVpc;
  lb.joined_at = 0;
  lb.interfaces = {{kLbEni, kListener}, {kLbEni2, kListener2}};
  lb.groups = {group(kTcpGroup), group(kUdpGroup)};
  if (draining0) {
    lb.groups[0].targets[0].draining = true;
    rebuild_selection(lb.groups[0]);
  }
  if (without0) {  // deregistered from both groups, its delay over
    for (LbTargetGroup& g : lb.groups) {
      g.targets.erase(g.targets.begin());
      rebuild_selection(g);
    }
  }
  lb.listeners = {{80, LbProtocol::tcp, 0}, {53, LbProtocol::udp, 1}};
  LbConfig c;
  c.underlay_v4 = kNode;
  c.lbs = {lb};
  return c;
}

struct RecordingSink : ProbeSink {
  int replies = 0;
  uint32_t lb = 0;
  void on_probe_reply(const packet::PacketMeta&, std::span<const uint8_t> inner, uint32_t lb_number,
                      uint32_t, uint32_t) override {
    ++replies;
    lb = lb_number;
    EXPECT_EQ(inner[0] >> 4, 4);
  }
};

class LbTranslatorTest : public ::testing::Test {
 protected:
  LbTranslatorTest() : table(8192), translator(table) {
    const uint32_t numbers[] = {kLbNumber};
    table.set_load_balancers(numbers);
    translator.set_config(config());
  }

  Buffer run(std::span<const uint8_t> bytes, uint32_t now = 10) {
    Buffer b(bytes);
    translator.process({&b.packet, 1}, now);
    return b;
  }
  // A SYN from the client's port; the target it went to.
  int connect(uint16_t port, uint32_t now = 10) {
    const Buffer b = run(from_client(tcp(kClient, port, kListener, 80, packet::kTcpSyn)), now);
    if (b.packet.verdict != Verdict::encapsulate) return -1;
    return target_of(packet::parse_ip(b.bytes()).tuple.dst.v4_host_order());
  }
  uint64_t drops(LbDrop d) const { return translator.counters().drops[size_t(d)]; }
  uint64_t metric(LbMetric m) const { return table.counters(0)[size_t(m)]; }

  LbTable table;
  LbTranslator translator;
};

TEST_F(LbTranslatorTest, NewFlowPicksATargetAndTheReplyRestoresTheListener) {
  const Buffer out = run(from_client(tcp(kClient, 40000, kListener, 80, packet::kTcpSyn)));
  const packet::PacketMeta m = packet::parse_ip(out.bytes());
  const int t = target_of(m.tuple.dst.v4_host_order());
  ASSERT_GE(t, 0);
  sent(out, kHosts[t], kLbEni, kTargetEnis[t]);
  EXPECT_EQ(m.tuple.src.v4_host_order(), kClient);  // preserve_client_ip
  EXPECT_EQ(m.tuple.src_port, 40000);
  EXPECT_EQ(m.tuple.dst_port, kTargetPort);
  EXPECT_EQ(metric(LbMetric::ActiveFlowCount), 1u);
  EXPECT_EQ(metric(LbMetric::NewFlowCount), 1u);
  ASSERT_EQ(table.journal().size(), 1u);
  EXPECT_EQ(table.journal()[0].lb_number, kLbNumber);

  const Buffer back = run(from_target(
      tcp(kTargets[t], kTargetPort, kClient, 40000, packet::kTcpSyn | packet::kTcpAck), t));
  const packet::PacketMeta r = sent(back, kRouter, kLbEni, kClientEni);
  EXPECT_EQ(r.tuple.src.v4_host_order(), kListener);
  EXPECT_EQ(r.tuple.src_port, 80);
  EXPECT_EQ(r.tuple.dst.v4_host_order(), kClient);
  EXPECT_EQ(r.tuple.dst_port, 40000);
  // The next client packet sticks to the same target.
  const Buffer again =
      run(from_client(tcp(kClient, 40000, kListener, 80, packet::kTcpAck, 1001, 5001)));
  sent(again, kHosts[t], kLbEni, kTargetEnis[t]);
  EXPECT_EQ(metric(LbMetric::NewFlowCount), 1u);
  EXPECT_GT(metric(LbMetric::ProcessedBytes), 0u);
  EXPECT_EQ(translator.counters().events[size_t(LbEvent::to_target)], 2u);
  EXPECT_EQ(translator.counters().events[size_t(LbEvent::to_client)], 1u);
}

// The target sees (client address, client port) whatever listener address the client used: a
// SYN from a port the client just used toward the other address, landing on the same target,
// replaces the old flow, and the target's replies then come back from the new address.
TEST_F(LbTranslatorTest, ASynReusingAPortTowardTheOtherAddressReplacesTheOldFlow) {
  int replaced = 0;
  for (uint16_t port = 30000; port < 30060; ++port) {
    const int first = connect(port);
    ASSERT_GE(first, 0);
    const Buffer out = run(
        geneve(tcp(kClient, port, kListener2, 80, packet::kTcpSyn), kRouter, kClientEni, kLbEni2));
    ASSERT_EQ(out.packet.verdict, Verdict::encapsulate) << port;
    const packet::PacketMeta m = packet::parse_ip(out.bytes());
    const int second = target_of(m.tuple.dst.v4_host_order());
    ASSERT_GE(second, 0) << port;
    if (second != first) continue;
    ++replaced;
    const Buffer back = run(from_target(
        tcp(kTargets[second], kTargetPort, kClient, port, packet::kTcpSyn | packet::kTcpAck),
        second));
    const packet::PacketMeta r = packet::parse_ip(back.bytes());
    ASSERT_EQ(back.packet.verdict, Verdict::encapsulate);
    EXPECT_EQ(r.tuple.src.v4_host_order(), kListener2) << port;
  }
  EXPECT_GT(replaced, 5);
}

// A client that opens a new connection from the port of one that closed (curl does) while the
// old flow lingers gets a new flow, and its target is chosen again.
TEST_F(LbTranslatorTest, ASynOnAClosedFlowIsANewFlowWithItsTargetChosenAgain) {
  const int first = connect(41000);
  ASSERT_GE(first, 0);
  run(from_client(
      tcp(kClient, 41000, kListener, 80, packet::kTcpFin | packet::kTcpAck, 1001, 5001)));
  run(from_target(tcp(kTargets[first], kTargetPort, kClient, 41000,
                      packet::kTcpFin | packet::kTcpAck, 5001, 1002),
                  first));
  EXPECT_TRUE(translator.on_health(kTcpGroup, kTargets[first], kTargetPort, false));
  const int second = connect(41000);
  ASSERT_GE(second, 0);
  EXPECT_NE(second, first);
  EXPECT_EQ(metric(LbMetric::NewFlowCount), 2u);
  EXPECT_EQ(metric(LbMetric::ActiveFlowCount), 1u);
}

TEST_F(LbTranslatorTest, ThreeThousandConnectionsSpreadWithinFifteenPercent) {
  std::map<int, int> per_target;
  for (uint16_t port = 20000; port < 23000; ++port) ++per_target[connect(port)];
  ASSERT_EQ(per_target.count(-1), 0u);
  for (int t = 0; t < 3; ++t) {
    EXPECT_GE(per_target[t], 850) << t;
    EXPECT_LE(per_target[t], 1150) << t;
  }
  EXPECT_EQ(metric(LbMetric::ActiveFlowCount), 3000u);
}

TEST_F(LbTranslatorTest, AnUnhealthyTargetIsNeverChosenAndAllUnhealthyFailsOpen) {
  EXPECT_EQ(metric(LbMetric::HealthyHostCount), 6u);  // three targets in each of two groups
  ASSERT_TRUE(translator.on_health(kTcpGroup, kTargets[1], kTargetPort, false));
  EXPECT_FALSE(translator.on_health(kTcpGroup, kTargets[1], 9999, false));
  EXPECT_EQ(metric(LbMetric::HealthyHostCount), 5u);
  EXPECT_EQ(metric(LbMetric::UnHealthyHostCount), 1u);
  std::map<int, int> per_target;
  for (uint16_t port = 20000; port < 20600; ++port) ++per_target[connect(port)];
  EXPECT_EQ(per_target[1], 0);
  EXPECT_GT(per_target[0], 0);
  EXPECT_GT(per_target[2], 0);

  translator.on_health(kTcpGroup, kTargets[0], kTargetPort, false);
  translator.on_health(kTcpGroup, kTargets[2], kTargetPort, false);
  per_target.clear();
  for (uint16_t port = 30000; port < 30600; ++port) ++per_target[connect(port)];
  for (int t = 0; t < 3; ++t) EXPECT_GT(per_target[t], 100) << t;  // fail open

  // Health survives a new program; healthy again: chosen again.
  translator.set_config(config());
  translator.on_health(kTcpGroup, kTargets[0], kTargetPort, true);
  per_target.clear();
  for (uint16_t port = 40000; port < 40600; ++port) ++per_target[connect(port)];
  EXPECT_EQ(per_target[0], 600);
}

TEST_F(LbTranslatorTest, ADrainingTargetKeepsItsFlowsButGetsNoNewOnes) {
  uint16_t port = 20000;
  while (connect(port) != 0) ++port;  // a flow on target 0
  translator.set_config(config(/*draining0=*/true));
  const Buffer again =
      run(from_client(tcp(kClient, port, kListener, 80, packet::kTcpAck, 1001, 5001)));
  sent(again, kHosts[0], kLbEni, kTargetEnis[0]);
  const Buffer back = run(from_target(tcp(kTargets[0], kTargetPort, kClient, port, 0x10), 0));
  sent(back, kRouter, kLbEni, kClientEni);
  std::map<int, int> per_target;
  for (uint16_t p = 30000; p < 30600; ++p) ++per_target[connect(p)];
  EXPECT_EQ(per_target[0], 0);
  EXPECT_EQ(metric(LbMetric::HealthyHostCount), 5u);  // draining is not counted
}

TEST_F(LbTranslatorTest, AFlowWhoseTargetLeftIsResetBothWays) {
  uint16_t port = 20000;
  while (connect(port) != 0) ++port;
  run(from_client(tcp(kClient, port, kListener, 80, packet::kTcpAck, 1001, 5001)));
  run(from_target(tcp(kTargets[0], kTargetPort, kClient, port, packet::kTcpAck, 5001, 1006), 0));
  translator.set_config(config(false, /*without0=*/true));
  table.clear_journal();

  const size_t before = table.flows();
  std::vector<Buffer> out;
  out.reserve(4);
  for (int i = 0; i < 4; ++i) out.emplace_back(std::vector<uint8_t>(200));
  std::vector<dataplane::Packet> packets;
  for (Buffer& b : out) packets.push_back(b.packet);
  const size_t written = translator.reap(20, table.capacity(), packets);
  ASSERT_EQ(written, 2u);
  for (size_t i = 0; i < 2; ++i) {
    out[i].packet = packets[i];
  }
  const packet::PacketMeta to_client = sent(out[0], kRouter, kLbEni, kClientEni);
  EXPECT_EQ(to_client.tuple.src.v4_host_order(), kListener);
  EXPECT_EQ(to_client.tuple.src_port, 80);
  EXPECT_EQ(to_client.tuple.dst.v4_host_order(), kClient);
  EXPECT_EQ(to_client.tuple.dst_port, port);
  EXPECT_EQ(to_client.tcp.flags, packet::kTcpRst);
  EXPECT_EQ(to_client.tcp.seq, 5001u);  // what the client acknowledged last
  const packet::PacketMeta to_target = sent(out[1], kHosts[0], kLbEni, kTargetEnis[0]);
  EXPECT_EQ(to_target.tuple.src.v4_host_order(), kClient);
  EXPECT_EQ(to_target.tuple.dst.v4_host_order(), kTargets[0]);
  EXPECT_EQ(to_target.tuple.dst_port, kTargetPort);
  EXPECT_EQ(to_target.tcp.seq, 1006u);
  EXPECT_EQ(table.flows(), before - 1);
  ASSERT_EQ(table.journal().size(), 1u);
  EXPECT_TRUE(table.journal()[0].retired);
  EXPECT_EQ(translator.counters().events[size_t(LbEvent::target_gone_reset)], 1u);
}

TEST_F(LbTranslatorTest, AClientPacketForATargetThatLeftIsAnsweredWithAReset) {
  uint16_t port = 20000;
  while (connect(port) != 0) ++port;
  translator.set_config(config(false, /*without0=*/true));
  const Buffer out =
      run(from_client(tcp(kClient, port, kListener, 80, packet::kTcpAck, 1001, 5001)));
  const packet::PacketMeta rst = sent(out, kRouter, kLbEni, kClientEni);
  EXPECT_EQ(rst.tuple.src.v4_host_order(), kListener);
  EXPECT_EQ(rst.tuple.dst_port, port);
  EXPECT_TRUE(rst.tcp.flags & packet::kTcpRst);
  EXPECT_EQ(rst.tcp.seq, 5001u);  // what the packet acknowledged
  EXPECT_EQ(table.find_client(0, packet::kProtoTcp, kClient, port, kListener, 80), LbTable::kNone);
  EXPECT_EQ(translator.counters().events[size_t(LbEvent::target_gone_reset)], 1u);
}

// An internet-facing load balancer: a client on the internet comes through an edge node (source
// ENI 0, the flag); its replies go back to that edge as the interface. Only live edges may.
TEST_F(LbTranslatorTest, AnInternetClientComesAndGoesThroughTheEdge) {
  constexpr uint32_t kEdge = 0x7f000a01;      // 127.0.10.1
  constexpr uint32_t kInternet = 0xcb007109;  // 203.0.113.9
  LbConfig c = config();
  c.edge_nodes = {kEdge};
  translator.set_config(c);
  const auto syn = tcp(kInternet, 45000, kListener, 80, packet::kTcpSyn);
  const Buffer out = run(geneve(syn, kEdge, 0, kLbEni, packet::kVpcFlagFromHyperplane));
  ASSERT_EQ(out.packet.verdict, Verdict::encapsulate);
  const packet::PacketMeta m = packet::parse_ip(out.bytes());
  const int t = target_of(m.tuple.dst.v4_host_order());
  ASSERT_GE(t, 0);
  EXPECT_EQ(m.tuple.src.v4_host_order(), kInternet);
  const Buffer back = run(from_target(
      tcp(kTargets[t], kTargetPort, kInternet, 45000, packet::kTcpSyn | packet::kTcpAck), t));
  const packet::PacketMeta r = sent(back, kEdge, kLbEni, 0);
  EXPECT_EQ(r.tuple.src.v4_host_order(), kListener);
  EXPECT_EQ(r.tuple.dst.v4_host_order(), kInternet);
  // The same from a host that is no edge node, or to a port no listener serves.
  EXPECT_EQ(run(geneve(tcp(kInternet, 45001, kListener, 80, packet::kTcpSyn), kRouter, 0, kLbEni,
                       packet::kVpcFlagFromHyperplane))
                .packet.verdict,
            Verdict::drop);
  EXPECT_EQ(drops(LbDrop::bad_direction), 1u);
  run(geneve(tcp(kInternet, 45002, kListener, 81, packet::kTcpSyn), kEdge, 0, kLbEni,
             packet::kVpcFlagFromHyperplane));
  EXPECT_EQ(drops(LbDrop::no_listener), 1u);
}

TEST_F(LbTranslatorTest, AReplicaFlowServesTrafficAndBecomesOwn) {
  LbFlow f;
  f.protocol = packet::kProtoTcp;
  f.client_address = kClient;
  f.client_port = 41000;
  f.listener_address = kListener;
  f.listener_port = 80;
  f.target_address = kTargets[2];
  f.target_port = kTargetPort;
  f.client_underlay = kRouter;
  f.client_eni = kClientEni;
  ASSERT_EQ(table.insert_replica(kLbNumber, f, 10), LbReplicaResult::inserted);
  EXPECT_EQ(table.replica_flows(), 1u);
  EXPECT_EQ(metric(LbMetric::ActiveFlowCount), 0u);
  // Mid-connection (no SYN) on this node: forwarded, not reset, even inside the sync window.
  const Buffer b =
      run(from_client(tcp(kClient, 41000, kListener, 80, packet::kTcpAck, 1001, 5001)), 11);
  sent(b, kHosts[2], kLbEni, kTargetEnis[2]);
  EXPECT_EQ(table.replica_flows(), 0u);
  EXPECT_EQ(metric(LbMetric::ActiveFlowCount), 1u);
  ASSERT_EQ(table.journal().size(), 1u);
  EXPECT_FALSE(table.journal()[0].retired);
  // The reply of a replica flow also works.
  sent(run(from_target(tcp(kTargets[2], kTargetPort, kClient, 41000, packet::kTcpAck), 2), 11),
       kRouter, kLbEni, kClientEni);
}

TEST_F(LbTranslatorTest, UdpFlowOutAndBack) {
  const Buffer out = run(from_client(udp(kClient, 5353, kListener, 53)));
  const packet::PacketMeta m = packet::parse_ip(out.bytes());
  const int t = target_of(m.tuple.dst.v4_host_order());
  ASSERT_GE(t, 0);
  sent(out, kHosts[t], kLbEni, kTargetEnis[t]);
  const Buffer back = run(from_target(udp(kTargets[t], kTargetPort, kClient, 5353), t));
  const packet::PacketMeta r = sent(back, kRouter, kLbEni, kClientEni);
  EXPECT_EQ(r.tuple.src.v4_host_order(), kListener);
  EXPECT_EQ(r.tuple.src_port, 53);
  // TCP to the UDP listener is no listener's: it goes to the prober (none here).
  run(from_client(tcp(kClient, 5353, kListener, 53, packet::kTcpSyn)));
  EXPECT_EQ(drops(LbDrop::no_prober), 1u);
}

TEST_F(LbTranslatorTest, TcpWithoutAFlowIsResetExceptJustAfterJoining) {
  const Buffer b = run(from_client(tcp(kClient, 42000, kListener, 80, packet::kTcpAck)), 1);
  EXPECT_EQ(b.packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(LbDrop::sync_pending), 1u);
  const Buffer r = run(from_client(tcp(kClient, 42000, kListener, 80, packet::kTcpAck)), 10);
  const packet::PacketMeta m = sent(r, kRouter, kLbEni, kClientEni);
  EXPECT_EQ(m.tuple.src.v4_host_order(), kListener);
  EXPECT_EQ(m.tcp.flags & packet::kTcpRst, packet::kTcpRst);
  EXPECT_EQ(translator.counters().events[size_t(LbEvent::reset_sent)], 1u);
  EXPECT_EQ(table.flows(), 0u);
}

TEST_F(LbTranslatorTest, MalformedAndForgedPacketsAreCountedDrops) {
  const auto good = from_client(tcp(kClient, 43000, kListener, 80, packet::kTcpSyn));
  Buffer truncated(std::span<const uint8_t>(good).first(40));
  translator.process({&truncated.packet, 1}, 10);
  EXPECT_EQ(drops(LbDrop::malformed), 1u);
  run(geneve(tcp(kClient, 43000, kListener, 80, packet::kTcpSyn), kRouter, kClientEni, 77));
  EXPECT_EQ(drops(LbDrop::unknown_lb), 1u);
  run(geneve(tcp(kClient, 43000, kListener, 80, packet::kTcpSyn), kRouter, kClientEni, kLbEni,
             packet::kVpcFlagFromHyperplane));
  EXPECT_EQ(drops(LbDrop::bad_direction), 1u);
  const auto echo = packet::build_icmp_echo(
      {.src = IpAddress::v4(kClient), .dst = IpAddress::v4(kListener)}, {true, 1, 1});
  run(from_client(echo));
  EXPECT_EQ(drops(LbDrop::unsupported), 1u);
  // A reply matching no flow; a flow's reply from another ENI; a client packet from another.
  run(from_target(tcp(kTargets[0], kTargetPort, kClient, 43000, packet::kTcpAck), 0));
  EXPECT_EQ(drops(LbDrop::no_flow), 1u);
  const int t = connect(43000);
  ASSERT_GE(t, 0);
  run(geneve(tcp(kTargets[t], kTargetPort, kClient, 43000, packet::kTcpAck), kHosts[t], 99,
             kLbEni));
  EXPECT_EQ(drops(LbDrop::forged), 1u);
  run(geneve(tcp(kClient, 43000, kListener, 80, packet::kTcpAck), kRouter, 98, kLbEni));
  EXPECT_EQ(drops(LbDrop::forged), 2u);
  EXPECT_EQ(table.flows(), 1u);
}

TEST_F(LbTranslatorTest, NoTargetAtAllDrops) {
  LbConfig c = config();
  for (LbTarget& t : c.lbs[0].groups[0].targets) t.draining = true;
  rebuild_selection(c.lbs[0].groups[0]);
  translator.set_config(c);
  EXPECT_EQ(connect(44000), -1);
  EXPECT_EQ(drops(LbDrop::no_target), 1u);
}

TEST_F(LbTranslatorTest, ProbeRepliesGoToTheSink) {
  RecordingSink sink;
  translator.set_probe_sink(&sink);
  const Buffer b = run(from_target(
      tcp(kTargets[0], kTargetPort, kListener, 33000, packet::kTcpSyn | packet::kTcpAck), 0));
  EXPECT_EQ(b.packet.verdict, Verdict::drop);
  EXPECT_EQ(sink.replies, 1);
  EXPECT_EQ(sink.lb, kLbNumber);
  EXPECT_EQ(translator.counters().events[size_t(LbEvent::probe_reply)], 1u);
}

TEST_F(LbTranslatorTest, TheNatTranslatorHandsLoadBalancerPacketsOver) {
  NatTable nat(16);
  NatNodeTranslator node(nat);
  NodeConfig c;
  c.underlay_v4 = kNode;
  node.set_config(c);
  node.set_lb(&translator);
  Buffer b(from_client(tcp(kClient, 45000, kListener, 80, packet::kTcpSyn)));
  Buffer other(
      geneve(tcp(kClient, 45000, kListener, 80, packet::kTcpSyn), kRouter, kClientEni, 77));
  dataplane::Packet batch[] = {b.packet, other.packet};
  node.process(batch, 10);
  b.packet = batch[0];
  const packet::PacketMeta m = packet::parse_ip(b.bytes());
  const int t = target_of(m.tuple.dst.v4_host_order());
  ASSERT_GE(t, 0);
  sent(b, kHosts[t], kLbEni, kTargetEnis[t]);
  EXPECT_EQ(batch[1].verdict, Verdict::drop);
  EXPECT_EQ(node.counters().drops[size_t(NodeDrop::unknown_gateway)], 1u);
  EXPECT_EQ(node.counters().drops[size_t(NodeDrop::unknown_gateway)] +
                translator.counters().drops[size_t(LbDrop::unknown_lb)],
            1u);
}

}  // namespace
}  // namespace openvpc::hyperplane
