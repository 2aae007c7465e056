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
#include "packet/builder.h"
#include "packet/geneve.h"

namespace openvpc::hyperplane {
namespace {

using packet::IpAddress;

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

// Waits (at most 5 s: a bound for a loaded machine, not a measurement) until done() holds.
bool wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 250; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// A UDP socket on ADDRESS:6081 playing a router or an edge node.
class Peer {
 public:
  explicit Peer(uint32_t address) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)), address_(address) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = htons(packet::kGenevePort);
    local.sin_addr.s_addr = htonl(address);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0;
  }
  ~Peer() { ::close(fd_); }
  bool bound() const { return bound_; }

  // Sends `inner` in Geneve to `node` as this peer would.
  void send(uint32_t node, std::span<const uint8_t> inner, uint32_t source_eni,
            uint32_t destination_eni, uint16_t flags, uint16_t gso_size = 0) const {
    packet::GeneveEncap e;
    e.outer_src_v4 = address_;
    e.outer_dst_v4 = node;
    e.src_port = packet::kGenevePort;
    e.vni = kVpc;
    e.source_eni = source_eni;
    e.destination_eni = destination_eni;
    e.vpc_flags = flags;
    e.gso_size = gso_size;
    const std::vector<uint8_t> whole = packet::build_geneve(e, inner);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(packet::kGenevePort);
    to.sin_addr.s_addr = htonl(node);
    ::sendto(fd_, whole.data() + 28, whole.size() - 28, 0, reinterpret_cast<sockaddr*>(&to),
             sizeof to);
  }

  // The next packet (outer headers rebuilt from the sender), parsed; nullopt after 5 s.
  std::optional<std::pair<std::vector<uint8_t>, uint32_t>> receive() const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return std::nullopt;
    std::vector<uint8_t> payload(65536);
    sockaddr_in from{};
    socklen_t size = sizeof from;
    const ssize_t n = ::recvfrom(fd_, payload.data(), payload.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &size);
    if (n <= 0) return std::nullopt;
    payload.resize(size_t(n));
    return std::pair{payload, ntohl(from.sin_addr.s_addr)};
  }

 private:
  int fd_;
  uint32_t address_;
  bool bound_ = false;
};

// The Geneve payload as a full outer packet from `from` (what parse_ip wants).
packet::PacketMeta parse_from(std::vector<uint8_t>& geneve, uint32_t from, uint32_t to) {
  packet::GeneveEncap e;
  e.outer_src_v4 = from;
  e.outer_dst_v4 = to;
  std::vector<uint8_t> whole = packet::build_geneve(e, {});
  whole.resize(28);
  whole.insert(whole.end(), geneve.begin(), geneve.end());
  packet::store_be16(&whole[2], uint16_t(whole.size()));
  packet::store_be16(&whole[24], uint16_t(whole.size() - 20));
  geneve = whole;
  return packet::parse_ip(geneve);
}

std::vector<uint8_t> tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                         uint8_t flags) {
  packet::TcpSpec spec;
  spec.src_port = sport;
  spec.dst_port = dport;
  spec.flags = flags;
  spec.seq = 1000;
  spec.ack = 5;
  const uint8_t payload[] = {'n', 'l', 'b'};
  return packet::build_tcp({.src = IpAddress::v4(src), .dst = IpAddress::v4(dst)}, spec, payload);
}

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
  Peer router(kRouter), host(kHost);
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
