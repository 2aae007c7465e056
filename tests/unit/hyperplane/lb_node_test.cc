// LbNode end to end on loopback, real sockets (raw send: needs CAP_NET_RAW, as the NAT node's
// test): two hyperplane nodes A and B (127.31.87.1-2) in one network load balancer's shard, the
// client's router and the target's host played by UDP sockets on 127.31.87.10 and .11 port
// 6081. A connection goes through A to the target; A replicates the flow to B; A stops and B,
// told A's slot is down, carries the client's next packet (no SYN: not reset) to the same
// target and the target's reply back to the client with the listener's address.
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

#include "hyperplane/nat_node.h"
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

constexpr uint32_t kA = 0x7f1f5701;       // 127.31.87.1
constexpr uint32_t kB = 0x7f1f5702;       // 127.31.87.2
constexpr uint32_t kRouter = 0x7f1f570a;  // 127.31.87.10: the client's host
constexpr uint32_t kHost = 0x7f1f570b;    // 127.31.87.11: the target's host
constexpr uint32_t kClient = 0x0a000a05;  // 10.0.10.5
constexpr uint32_t kListener = 0x0a000132;
constexpr uint32_t kTarget = 0x0a000201;
constexpr uint32_t kVpc = 7;
constexpr uint32_t kClientEni = 21;
constexpr uint32_t kTargetEni = 31;
constexpr uint32_t kLbEni = 90;

program::Program lb_program(uint32_t self, std::vector<uint32_t> nodes) {
  program::Program p;
  p.host_underlay = IpAddress::v4(self);
  program::LoadBalancer lb;
  lb.id = 3;
  lb.name = "net/web/0123456789abcdef";
  lb.vpc = kVpc;
  lb.interfaces = {{kLbEni, 1, IpAddress::v4(kListener)}};
  for (uint32_t n : nodes) lb.nodes.push_back(IpAddress::v4(n));
  lb.listeners = {{80, program::ListenerProtocol::tcp, 12}};
  program::LoadBalancerTargetGroup web;
  web.id = 12;
  web.health_check.enabled = false;  // no probes among the packets the fake host receives
  web.targets = {{IpAddress::v4(kTarget), 8080, kTargetEni, IpAddress::v4(kHost), false}};
  lb.target_groups = {web};
  p.load_balancers = {lb};
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

TEST(LbNode, AConnectionSurvivesItsNode) {
  Peer router(kRouter, kVpc), host(kHost, kVpc);
  ASSERT_TRUE(router.bound() && host.bound()) << "127.31.87.10/.11:6081 in use";
  RunningNode a(kA), b(kB);
  ASSERT_TRUE(a.node && b.node);
  a.program(lb_program(kA, {kA, kB}), 1);
  b.program(lb_program(kB, {kA, kB}), 1);

  router.send(kA, tcp(kClient, 40000, kListener, 80, packet::kTcpSyn), kClientEni, kLbEni, 0);
  auto out = host.receive();
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->second, kA);
  const packet::PacketMeta m = parse_from(out->first, kA, kHost);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.geneve.source_eni, kLbEni);
  EXPECT_EQ(m.geneve.destination_eni, kTargetEni);
  EXPECT_TRUE(m.geneve.vpc_flags & packet::kVpcFlagFromHyperplane);
  EXPECT_EQ(m.tuple.src.v4_host_order(), kClient);
  EXPECT_EQ(m.tuple.dst.v4_host_order(), kTarget);
  EXPECT_EQ(m.tuple.dst_port, 8080);

  ASSERT_TRUE(wait_for([&] { return b.node->snapshot().lb_replica_flows == 1; }));
  a.stop();
  b.program(lb_program(kB, {0, kB}), 2);

  router.send(kB, tcp(kClient, 40000, kListener, 80, packet::kTcpAck), kClientEni, kLbEni, 0);
  auto next = host.receive();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->second, kB);
  const packet::PacketMeta n = parse_from(next->first, kB, kHost);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.tuple.dst.v4_host_order(), kTarget);
  EXPECT_EQ(n.tcp.flags, packet::kTcpAck);

  host.send(kB, tcp(kTarget, 8080, kClient, 40000, packet::kTcpAck), kTargetEni, kLbEni, 0);
  auto back = router.receive();
  ASSERT_TRUE(back.has_value());
  const packet::PacketMeta r = parse_from(back->first, kB, kRouter);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.geneve.source_eni, kLbEni);
  EXPECT_EQ(r.geneve.destination_eni, kClientEni);
  EXPECT_EQ(r.tuple.src.v4_host_order(), kListener);
  EXPECT_EQ(r.tuple.src_port, 80);

  ASSERT_TRUE(wait_for([&] {
    const NatNodeSnapshot s = b.node->snapshot();
    return s.load_balancers.size() == 1 &&
           s.load_balancers[0].counters[size_t(LbMetric::ActiveFlowCount)] == 1;
  }));
  const NatNodeSnapshot s = b.node->snapshot();
  EXPECT_EQ(s.lb_replica_flows, 0u);  // used: B's own now
  EXPECT_EQ(s.lb_counters.events[size_t(LbEvent::to_client)], 1u);
  const std::string text = node_metrics_text(s, "hp2");
  EXPECT_NE(text.find("openvpc_load_balancer_active_flow_count{node=\"hp2\","
                      "load_balancer=\"net/web/0123456789abcdef\",slot=\"1\"} 1"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace openvpc::hyperplane
