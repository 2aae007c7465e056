// HealthProber: target health checks from a hyperplane node, against a faked target that
// answers the probes poll() writes with crafted segments (SYN-ACK, RST, HTTP responses);
// thresholds, timeouts, slot-correct source ports, the wire format, matcher and status line
// parsing, and replies that belong to no probe.
#include "hyperplane/health_prober.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "dataplane/nat_shard.h"
#include "packet/builder.h"
#include "packet/checksum.h"

namespace openvpc::hyperplane {
namespace {

using packet::IpAddress;
using packet::PacketMeta;

constexpr uint32_t kVpc = 7;
constexpr uint32_t kNode = 0xc0a80002;  // 192.168.0.2, slot 1 of 3
constexpr int kSlot = 1;
constexpr uint32_t kLbA = 0x0a00010a;     // 10.0.1.10 (subnet 1)
constexpr uint32_t kLbB = 0x0a00020a;     // 10.0.2.10 (subnet 2)
constexpr uint32_t kTarget = 0x0a000214;  // 10.0.2.20
constexpr uint32_t kTargetHost = 0xc0a80114;
constexpr uint32_t kTargetEni = 200;

program::LoadBalancer make_lb(program::HealthCheck hc, int targets = 1) {
  program::LoadBalancer lb;
  lb.id = 5;
  lb.vpc = kVpc;
  lb.interfaces = {{100, 1, IpAddress::v4(kLbA)}, {101, 2, IpAddress::v4(kLbB)}};
  lb.nodes = {IpAddress::v4(0xc0a80001), IpAddress::v4(kNode), IpAddress::v4(0xc0a80003)};
  lb.listeners = {{80, program::ListenerProtocol::tcp, 9}};
  program::LoadBalancerTargetGroup group;
  group.id = 9;
  group.health_check = hc;
  for (int i = 0; i < targets; ++i) {
    group.targets.push_back({IpAddress::v4(kTarget + uint32_t(i)), 80, kTargetEni + uint32_t(i),
                             IpAddress::v4(kTargetHost)});
  }
  lb.target_groups = {group};
  return lb;
}

program::HealthCheck tcp_check(uint32_t healthy = 3, uint32_t unhealthy = 2) {
  program::HealthCheck hc;
  hc.interval_seconds = 10;
  hc.timeout_seconds = 5;
  hc.healthy_threshold = healthy;
  hc.unhealthy_threshold = unhealthy;
  return hc;
}

program::HealthCheck http_check(std::string matcher = "") {
  program::HealthCheck hc = tcp_check();
  hc.protocol = program::HealthCheckProtocol::http;
  hc.path = "/health";
  hc.matcher = std::move(matcher);
  hc.port = 8080;
  return hc;
}

struct Sent {
  std::vector<uint8_t> bytes;
  PacketMeta meta;
  std::string payload() const {
    const size_t end = size_t(meta.l3_offset) + meta.l3_size;
    return {bytes.begin() + meta.payload_offset, bytes.begin() + long(end)};
  }
  uint8_t flags() const { return meta.tcp.flags; }
};

struct Harness {
  explicit Harness(const program::LoadBalancer& lb) {
    prober.set_targets(HealthProber::targets_of(lb, kNode, kSlot));
  }
  std::vector<Sent> poll(uint64_t now, size_t slots = 16) {
    std::vector<std::array<uint8_t, HealthProber::kPacketCapacity>> out(slots);
    std::vector<size_t> lengths(slots);
    const size_t n = prober.poll(now, out, lengths);
    std::vector<Sent> sent;
    for (size_t i = 0; i < n; ++i) {
      Sent s;
      s.bytes.assign(out[i].begin(), out[i].begin() + long(lengths[i]));
      s.meta = packet::parse_ip(s.bytes);
      EXPECT_TRUE(s.meta.ok());
      EXPECT_TRUE(s.meta.geneve.present);
      sent.push_back(std::move(s));
    }
    return sent;
  }
  // The target's answer to `probe` (a segment of the same connection).
  bool reply(const Sent& probe, uint8_t flags, uint32_t seq, uint32_t ack,
             const std::string& payload = "", uint64_t now = 0, uint32_t vni = kVpc) {
    packet::TcpSpec tcp;
    tcp.src_port = probe.meta.tuple.dst_port;
    tcp.dst_port = probe.meta.tuple.src_port;
    tcp.seq = seq;
    tcp.ack = ack;
    tcp.flags = flags;
    const std::vector<uint8_t> data(payload.begin(), payload.end());
    const auto ip =
        packet::build_tcp({.src = probe.meta.tuple.dst, .dst = probe.meta.tuple.src}, tcp, data);
    return prober.on_reply(vni, ip.data(), ip.size(), now);
  }
  TargetState state(uint32_t address = kTarget) const { return prober.state(9, address, 80); }

  HealthProber prober{42};
};

constexpr uint8_t kSynAck = packet::kTcpSyn | packet::kTcpAck;

TEST(HealthProberTargets, BuiltFromTheProgram) {
  program::HealthCheck hc = http_check("200,202");
  hc.path = "/a b";
  const auto targets = HealthProber::targets_of(make_lb(hc, 2), kNode, kSlot);
  ASSERT_EQ(targets.size(), 2u);
  const ProbeTarget& t = targets[0];
  EXPECT_EQ(t.source, kLbB);  // the interface in the target's subnet
  EXPECT_EQ(t.source_eni, 101u);
  EXPECT_EQ(t.check_port, 8080);
  EXPECT_EQ(t.port, 80);
  EXPECT_EQ(t.vni, kVpc);
  EXPECT_EQ(t.slot, 1u);
  EXPECT_EQ(t.slots, 3u);
  EXPECT_TRUE(t.http);
  EXPECT_TRUE(t.matcher.matches(202));
  EXPECT_FALSE(t.matcher.matches(201));
  EXPECT_EQ(t.request,
            "GET /a%20b HTTP/1.1\r\nHost: 10.0.2.20\r\nUser-Agent: ELB-HealthChecker/2.0\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(t.listener_ports, std::vector<uint16_t>{80});
  EXPECT_EQ(t.interval_ms, 10000u);
  EXPECT_EQ(t.timeout_ms, 5000u);
  EXPECT_TRUE(HealthProber::targets_of(make_lb(hc), kNode, 3).empty());
  EXPECT_TRUE(HealthProber::targets_of(make_lb(hc), kNode, -1).empty());
  hc.port = 0;
  EXPECT_EQ(HealthProber::targets_of(make_lb(hc), kNode, 0)[0].check_port, 80);
  program::LoadBalancer unused = make_lb(hc);
  unused.listeners[0].target_group = 10;  // no listener forwards to group 9
  EXPECT_TRUE(HealthProber::targets_of(unused, kNode, 0).empty());
}

TEST(HealthProberTargets, OtherSubnetFallsBackToAnInterface) {
  program::LoadBalancer lb = make_lb(tcp_check());
  lb.target_groups[0].targets[0].address = IpAddress::v4(0x0a000514);  // 10.0.5.20
  const auto targets = HealthProber::targets_of(lb, kNode, kSlot);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_TRUE(targets[0].source == kLbA || targets[0].source == kLbB);
}

TEST(HealthProber, SynOnTheWire) {
  Harness h(make_lb(tcp_check()));
  const auto sent = h.poll(1000);
  ASSERT_EQ(sent.size(), 1u);
  const Sent& syn = sent[0];
  const packet::GeneveInfo& g = syn.meta.geneve;
  EXPECT_EQ(g.outer_src.v4_host_order(), kNode);
  EXPECT_EQ(g.outer_dst.v4_host_order(), kTargetHost);
  EXPECT_EQ(g.outer_dst_port, packet::kGenevePort);
  EXPECT_EQ(g.vni, kVpc);
  EXPECT_TRUE(g.has_vpc_option);
  EXPECT_EQ(g.source_eni, 101u);
  EXPECT_EQ(g.destination_eni, kTargetEni);
  EXPECT_EQ(g.vpc_flags, packet::kVpcFlagFromHyperplane);
  EXPECT_EQ(syn.meta.tuple.src.v4_host_order(), kLbB);
  EXPECT_EQ(syn.meta.tuple.dst.v4_host_order(), kTarget);
  EXPECT_EQ(syn.meta.tuple.dst_port, 80);
  EXPECT_EQ(syn.flags(), packet::kTcpSyn);
  EXPECT_NE(syn.meta.tcp.mss, 0);
  const uint16_t port = syn.meta.tuple.src_port;
  EXPECT_GE(port, 1024);
  EXPECT_NE(port, 80);
  EXPECT_EQ(dataplane::load_balancer_slot(kLbB, port, 3), size_t(kSlot));
  const uint8_t* inner = syn.bytes.data() + g.inner_offset;
  EXPECT_TRUE(packet::ipv4_header_checksum_valid(inner, 20));
  EXPECT_EQ(packet::l4_checksum(syn.meta.tuple.src, syn.meta.tuple.dst, packet::kProtoTcp,
                                syn.bytes.data() + syn.meta.l4_offset,
                                syn.meta.l3_offset + syn.meta.l3_size - syn.meta.l4_offset),
            0);
  EXPECT_TRUE(h.poll(1000).empty());  // nothing else due
  EXPECT_EQ(h.state(), TargetState::initial);
}

TEST(HealthProber, SourcePortsVaryAndKeepTheSlot) {
  program::HealthCheck hc = tcp_check(3, 2);
  hc.interval_seconds = 2;
  hc.timeout_seconds = 1;
  Harness h(make_lb(hc));
  std::set<uint16_t> ports;
  for (uint64_t now = 0; now < 200000; now += 1000) {
    for (const Sent& s : h.poll(now)) {
      ASSERT_EQ(s.flags(), packet::kTcpSyn);  // every probe times out: no RST for a SYN
      const uint16_t port = s.meta.tuple.src_port;
      EXPECT_EQ(dataplane::load_balancer_slot(kLbB, port, 3), size_t(kSlot));
      EXPECT_NE(port, 80);
      ports.insert(port);
    }
  }
  EXPECT_EQ(ports.size(), 100u);
  EXPECT_EQ(h.state(), TargetState::unhealthy);
}

TEST(HealthProber, SourcePortsAreNeverListenerPorts) {
  program::HealthCheck hc = tcp_check();
  hc.interval_seconds = 2;
  hc.timeout_seconds = 1;
  program::LoadBalancer lb = make_lb(hc);
  for (uint16_t port = 1024; port < 1400; ++port) {
    lb.listeners.push_back({port, program::ListenerProtocol::tcp, 9});
  }
  Harness h(lb);
  for (uint64_t now = 0; now < 40000; now += 1000) {
    for (const Sent& s : h.poll(now)) EXPECT_GE(s.meta.tuple.src_port, 1400);
  }
  EXPECT_EQ(h.prober.counters().probes, 20u);
}

TEST(HealthProber, TcpSynAckIsHealthyAfterThreshold) {
  Harness h(make_lb(tcp_check(3, 2)));
  std::vector<TargetHealth> changes;
  for (int probe = 0; probe < 3; ++probe) {
    const uint64_t now = uint64_t(probe) * 10000;
    const auto sent = h.poll(now);
    ASSERT_EQ(sent.size(), 1u);
    const Sent& syn = sent[0];
    EXPECT_TRUE(h.reply(syn, kSynAck, 5000, syn.meta.tcp.seq + 1, "", now + 3));
    const auto rst = h.poll(now + 3);
    ASSERT_EQ(rst.size(), 1u);
    EXPECT_EQ(rst[0].flags(), packet::kTcpRst | packet::kTcpAck);
    EXPECT_EQ(rst[0].meta.tcp.seq, syn.meta.tcp.seq + 1);
    EXPECT_EQ(rst[0].meta.tuple, syn.meta.tuple);
    h.prober.drain_changes([&](const TargetHealth& t) { changes.push_back(t); });
    EXPECT_EQ(h.state(), probe < 2 ? TargetState::initial : TargetState::healthy);
  }
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].state, TargetState::healthy);
  EXPECT_EQ(changes[0].address, kTarget);
  EXPECT_EQ(changes[0].target_group, 9u);
  EXPECT_EQ(h.prober.counters().successes, 3u);
}

TEST(HealthProber, RstIsAFailure) {
  Harness h(make_lb(tcp_check(3, 2)));
  for (int probe = 0; probe < 2; ++probe) {
    const uint64_t now = uint64_t(probe) * 10000;
    const auto sent = h.poll(now);
    ASSERT_EQ(sent.size(), 1u);
    // An RST that does not ack our SYN is not acceptable (RFC 793) and changes nothing.
    EXPECT_TRUE(h.reply(sent[0], packet::kTcpRst | packet::kTcpAck, 0, sent[0].meta.tcp.seq));
    EXPECT_TRUE(h.reply(sent[0], packet::kTcpRst | packet::kTcpAck, 0, sent[0].meta.tcp.seq + 1));
    EXPECT_TRUE(h.poll(now + 1).empty());  // nothing to close
  }
  EXPECT_EQ(h.state(), TargetState::unhealthy);
  h.prober.for_each(
      [](const TargetHealth& t) { EXPECT_EQ(t.last_failure, ProbeFailure::refused); });
}

TEST(HealthProber, TimeoutIsAFailureAndSuccessesResetIt) {
  Harness h(make_lb(tcp_check(2, 2)));
  auto probe = [&](uint64_t now, bool answer) {
    const auto sent = h.poll(now);
    ASSERT_EQ(sent.size(), 1u);
    if (answer) {
      h.reply(sent[0], kSynAck, 1, sent[0].meta.tcp.seq + 1);
      EXPECT_EQ(h.poll(now + 1).size(), 1u);  // the RST
    } else {
      EXPECT_EQ(h.poll(now + 4999).size(), 1u);  // the SYN again
      EXPECT_TRUE(h.poll(now + 5000).empty());   // timed out: no packet
    }
  };
  probe(0, true);
  probe(10000, true);
  EXPECT_EQ(h.state(), TargetState::healthy);
  probe(20000, false);
  probe(30000, true);  // resets the failures
  probe(40000, false);
  EXPECT_EQ(h.state(), TargetState::healthy);
  probe(50000, false);
  EXPECT_EQ(h.state(), TargetState::unhealthy);
  h.prober.for_each(
      [](const TargetHealth& t) { EXPECT_EQ(t.last_failure, ProbeFailure::timeout); });
  // A SYN-ACK after the timeout belongs to no probe any more.
  const auto sent = h.poll(60000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(h.poll(65000).empty());
  EXPECT_FALSE(h.reply(sent[0], kSynAck, 1, sent[0].meta.tcp.seq + 1));
}

TEST(HealthProber, LostPacketsAreSentAgainWithinTheTimeout) {
  program::HealthCheck hc = http_check();
  hc.timeout_seconds = 6;
  Harness h(make_lb(hc));
  const auto syn = h.poll(0);
  ASSERT_EQ(syn.size(), 1u);
  EXPECT_TRUE(h.poll(999).empty());
  const auto again = h.poll(1000);  // RTO 1 s
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].meta.tuple, syn[0].meta.tuple);
  EXPECT_EQ(again[0].meta.tcp.seq, syn[0].meta.tcp.seq);
  EXPECT_EQ(again[0].flags(), packet::kTcpSyn);
  EXPECT_TRUE(h.poll(2999).empty());  // then 2 s
  EXPECT_TRUE(h.reply(syn[0], kSynAck, 7000, syn[0].meta.tcp.seq + 1, "", 2999));
  const auto request = h.poll(2999);
  ASSERT_EQ(request.size(), 1u);
  EXPECT_TRUE(h.poll(3998).empty());
  const auto request_again = h.poll(3999);  // no answer to the request in 1 s
  ASSERT_EQ(request_again.size(), 1u);
  EXPECT_EQ(request_again[0].payload(), request[0].payload());
  EXPECT_EQ(request_again[0].meta.tcp.seq, request[0].meta.tcp.seq);
  const uint32_t after = syn[0].meta.tcp.seq + 1 + uint32_t(request[0].payload().size());
  EXPECT_TRUE(h.reply(syn[0], packet::kTcpAck, 7001, after, "HTTP/1.1 200 OK\r\n", 4500));
  EXPECT_EQ(h.poll(5999).size(), 1u);  // the RST; nothing sent again
  EXPECT_EQ(h.prober.counters().successes, 1u);
  EXPECT_EQ(h.prober.counters().retransmits, 2u);
}

struct HttpProbe {
  Sent syn;
  Sent request;
};

HttpProbe handshake(Harness& h, uint64_t now, uint32_t irs = 7000) {
  auto sent = h.poll(now);
  EXPECT_EQ(sent.size(), 1u);
  HttpProbe p{sent.at(0), {}};
  EXPECT_EQ(p.syn.meta.tuple.dst_port, 8080);
  EXPECT_TRUE(h.reply(p.syn, kSynAck, irs, p.syn.meta.tcp.seq + 1));
  sent = h.poll(now + 1);
  EXPECT_EQ(sent.size(), 1u);
  p.request = sent.at(0);
  return p;
}

TEST(HealthProber, HttpRequestAndStatus200) {
  Harness h(make_lb(http_check()));
  const HttpProbe p = handshake(h, 0);
  const uint32_t iss = p.syn.meta.tcp.seq;
  EXPECT_EQ(p.request.flags(), packet::kTcpAck | packet::kTcpPsh);
  EXPECT_EQ(p.request.meta.tcp.seq, iss + 1);
  EXPECT_EQ(p.request.meta.tcp.ack, 7001u);
  const std::string request = p.request.payload();
  EXPECT_EQ(request,
            "GET /health HTTP/1.1\r\nHost: 10.0.2.20\r\nUser-Agent: ELB-HealthChecker/2.0\r\n"
            "Connection: close\r\n\r\n");
  const uint32_t after = iss + 1 + uint32_t(request.size());
  EXPECT_TRUE(h.reply(p.syn, packet::kTcpAck, 7001, after));  // acks the request
  EXPECT_TRUE(h.poll(2).empty());
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  EXPECT_TRUE(h.reply(p.syn, packet::kTcpAck | packet::kTcpPsh, 7001, after, response));
  const auto rst = h.poll(3);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags(), packet::kTcpRst | packet::kTcpAck);
  EXPECT_EQ(rst[0].meta.tcp.seq, after);
  EXPECT_EQ(rst[0].meta.tcp.ack, 7001u + response.size());
  EXPECT_EQ(h.prober.counters().successes, 1u);
  EXPECT_EQ(h.prober.counters().failures, 0u);
  // The FIN that follows belongs to no probe.
  EXPECT_FALSE(
      h.reply(p.syn, packet::kTcpAck | packet::kTcpFin, 7001 + uint32_t(response.size()), after));
}

TEST(HealthProber, HttpStatusSplitOverSegmentsIsAcked) {
  Harness h(make_lb(http_check()));
  const HttpProbe p = handshake(h, 0);
  const uint32_t after = p.syn.meta.tcp.seq + 1 + uint32_t(p.request.payload().size());
  EXPECT_TRUE(h.reply(p.syn, packet::kTcpAck, 7001, after, "HTTP/1."));
  auto sent = h.poll(2);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flags(), packet::kTcpAck);
  EXPECT_EQ(sent[0].meta.tcp.ack, 7008u);
  // A retransmission overlapping what we have, then a segment past a gap (re-ACKed).
  EXPECT_TRUE(h.reply(p.syn, packet::kTcpAck, 7020, after, "later"));
  sent = h.poll(3);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].meta.tcp.ack, 7008u);
  EXPECT_TRUE(h.reply(p.syn, packet::kTcpAck, 7005, after, "/1.1 204 No Content\r\n"));
  sent = h.poll(4);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flags(), packet::kTcpRst | packet::kTcpAck);
  EXPECT_EQ(h.prober.counters().successes, 1u);
}

TEST(HealthProber, HttpCodesAgainstTheMatcher) {
  struct Case {
    std::string matcher;
    std::string response;
    bool success;
    ProbeFailure failure;
  };
  const std::vector<Case> cases = {
      {"", "HTTP/1.1 503 Service Unavailable\r\n", false, ProbeFailure::response_code},
      {"", "HTTP/1.1 302 Found\r\n", true, ProbeFailure::none},
      {"503", "HTTP/1.1 503 Service Unavailable\r\n", true, ProbeFailure::none},
      {"200,202", "HTTP/1.0 201 Created\r\n", false, ProbeFailure::response_code},
      {"", "SSH-2.0-OpenSSH_9.2\r\n", false, ProbeFailure::bad_response},
      {"", "HTTP/1.1 2000 what\r\n", false, ProbeFailure::bad_response},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.matcher + " " + c.response);
    Harness h(make_lb(http_check(c.matcher)));
    const HttpProbe p = handshake(h, 0);
    const uint32_t after = p.syn.meta.tcp.seq + 1 + uint32_t(p.request.payload().size());
    EXPECT_TRUE(h.reply(p.syn, packet::kTcpAck, 7001, after, c.response));
    EXPECT_EQ(h.poll(2).size(), 1u);  // RST
    EXPECT_EQ(h.prober.counters().successes, c.success ? 1u : 0u);
    h.prober.for_each([&](const TargetHealth& t) { EXPECT_EQ(t.last_failure, c.failure); });
  }
}

TEST(HealthProber, HttpConnectionClosedBeforeStatus) {
  Harness h(make_lb(http_check()));
  const HttpProbe p = handshake(h, 0);
  const uint32_t after = p.syn.meta.tcp.seq + 1 + uint32_t(p.request.payload().size());
  EXPECT_TRUE(h.reply(p.syn, packet::kTcpAck | packet::kTcpFin, 7001, after, "HTTP/1.1 2"));
  EXPECT_EQ(h.poll(2).size(), 1u);
  h.prober.for_each(
      [&](const TargetHealth& t) { EXPECT_EQ(t.last_failure, ProbeFailure::bad_response); });
}

TEST(HealthProber, HttpTimeoutAfterHandshakeSendsRst) {
  Harness h(make_lb(http_check()));
  handshake(h, 0);
  const auto sent = h.poll(5000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flags(), packet::kTcpRst | packet::kTcpAck);
  EXPECT_EQ(h.prober.counters().failures, 1u);
}

TEST(HealthProber, RepliesOfNoProbe) {
  Harness h(make_lb(tcp_check()));
  const auto sent = h.poll(0);
  ASSERT_EQ(sent.size(), 1u);
  const Sent& syn = sent[0];
  const uint32_t ack = syn.meta.tcp.seq + 1;
  EXPECT_FALSE(h.reply(syn, kSynAck, 1, ack, "", 0, kVpc + 1));  // other VPC
  Sent other = syn;
  other.meta.tuple.dst = IpAddress::v4(kTarget + 1);  // from another address
  EXPECT_FALSE(h.reply(other, kSynAck, 1, ack));
  other = syn;
  other.meta.tuple.dst_port = 81;
  EXPECT_FALSE(h.reply(other, kSynAck, 1, ack));
  other = syn;
  other.meta.tuple.src_port = uint16_t(syn.meta.tuple.src_port + 1);
  EXPECT_FALSE(h.reply(other, kSynAck, 1, ack));
  EXPECT_TRUE(h.reply(syn, kSynAck, 1, ack + 5));  // its connection, a wrong ack: ignored
  const std::vector<uint8_t> garbage = {0x45, 0, 0, 40, 1, 2, 3};
  EXPECT_FALSE(h.prober.on_reply(kVpc, garbage.data(), garbage.size(), 0));
  EXPECT_FALSE(h.prober.on_reply(kVpc, nullptr, 0, 0));
  const auto udp = packet::build_udp({.src = IpAddress::v4(kTarget), .dst = IpAddress::v4(kLbB)},
                                     {80, syn.meta.tuple.src_port});
  EXPECT_FALSE(h.prober.on_reply(kVpc, udp.data(), udp.size(), 0));
  EXPECT_TRUE(h.poll(1).empty());
  EXPECT_EQ(h.prober.counters().successes + h.prober.counters().failures, 0u);
}

TEST(HealthProber, FirstProbesSpreadOverTheInterval) {
  Harness h(make_lb(tcp_check(), 10));  // 10 targets, interval 10 s
  std::vector<uint64_t> times;
  std::set<uint32_t> seen;
  for (uint64_t now = 0; now < 10000; now += 100) {
    for (const Sent& s : h.poll(now)) {
      if (seen.insert(s.meta.tuple.dst.v4_host_order()).second) times.push_back(now);
    }
  }
  ASSERT_EQ(times.size(), 10u);
  for (size_t i = 0; i < times.size(); ++i) EXPECT_EQ(times[i], i * 1000);
}

TEST(HealthProber, OutputSlotsLimitABatch) {
  Harness h(make_lb(tcp_check(), 3));
  h.prober.set_targets({});
  auto targets = HealthProber::targets_of(make_lb(tcp_check(), 3), kNode, kSlot);
  for (auto& t : targets) t.interval_ms = 1;  // all due at once after the spread
  h.prober.set_targets(targets);
  EXPECT_TRUE(h.poll(0, 0).empty());
  for (int call = 0; call < 3; ++call) EXPECT_EQ(h.poll(0, 1).size(), 1u);  // one per call
  EXPECT_TRUE(h.poll(0, 1).empty());
  EXPECT_EQ(h.prober.counters().probes, 3u);
}

TEST(HealthProber, DisabledChecksSendNothing) {
  program::HealthCheck hc = tcp_check();
  hc.enabled = false;
  Harness h(make_lb(hc));
  for (uint64_t now = 0; now < 100000; now += 1000) EXPECT_TRUE(h.poll(now).empty());
  EXPECT_EQ(h.state(), TargetState::initial);
}

TEST(HealthProber, SetTargetsKeepsStateOfTargetsThatStay) {
  Harness h(make_lb(tcp_check(1, 1), 2));
  const auto sent = h.poll(0);
  ASSERT_EQ(sent.size(), 1u);  // the second target is due at 5 s
  h.reply(sent[0], kSynAck, 1, sent[0].meta.tcp.seq + 1);
  ASSERT_EQ(h.state(), TargetState::healthy);
  const auto second = h.poll(5000);
  ASSERT_EQ(second.size(), 2u);  // the RST, then the second target's SYN
  // The program changes: the first target stays, the second goes, a third comes; the
  // second's in-flight probe goes with it.
  program::LoadBalancer lb = make_lb(tcp_check(1, 1), 3);
  lb.target_groups[0].targets.erase(lb.target_groups[0].targets.begin() + 1);
  h.prober.set_targets(HealthProber::targets_of(lb, kNode, kSlot));
  EXPECT_EQ(h.prober.size(), 2u);
  EXPECT_EQ(h.state(), TargetState::healthy);
  EXPECT_EQ(h.state(kTarget + 1), TargetState::initial);
  EXPECT_FALSE(h.reply(second[1], kSynAck, 1, second[1].meta.tcp.seq + 1));
  const auto third = h.poll(5001);  // the new target's first probe, at once
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].meta.tuple.dst.v4_host_order(), kTarget + 2);
}

TEST(HealthProber, ReasonCodes) {
  EXPECT_EQ(reason_code(ProbeFailure::timeout), "Target.Timeout");
  EXPECT_EQ(reason_code(ProbeFailure::refused), "Target.FailedHealthChecks");
  EXPECT_EQ(reason_code(ProbeFailure::bad_response), "Target.FailedHealthChecks");
  EXPECT_EQ(reason_code(ProbeFailure::response_code), "Target.ResponseCodeMismatch");
}

TEST(HttpMatcher, Parses) {
  const auto matches = [](std::string_view text, std::vector<int> codes) {
    const auto m = HttpMatcher::parse(text);
    if (!m) return false;
    for (int code = 0; code < 1000; ++code) {
      const bool want = std::find(codes.begin(), codes.end(), code) != codes.end();
      if (m->matches(code) != want) return false;
    }
    return true;
  };
  std::vector<int> default_codes;
  for (int code = 200; code <= 399; ++code) default_codes.push_back(code);
  EXPECT_TRUE(matches("", default_codes));
  EXPECT_TRUE(matches("200-399", default_codes));
  EXPECT_TRUE(matches("200", {200}));
  EXPECT_TRUE(matches("200,202", {200, 202}));
  EXPECT_TRUE(matches(" 200 , 300-302", {200, 300, 301, 302}));
  for (const char* bad : {"20", "2000", "abc", "200-", "-200", "300-200", "200,,202", "099", "600",
                          "200;202", ",", "200 202"}) {
    EXPECT_FALSE(HttpMatcher::parse(bad)) << bad;
  }
}

TEST(StatusLine, Parses) {
  const auto parse = [](std::string_view text, bool complete) {
    return parse_status_line(reinterpret_cast<const uint8_t*>(text.data()), text.size(), complete);
  };
  using R = StatusLine::Result;
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\n", false).code, 200);
  EXPECT_EQ(parse("HTTP/1.0 404\r\n", false).code, 404);
  EXPECT_EQ(parse("HTTP/2 503 x", false).code, 503);
  EXPECT_EQ(parse("HTTP/1.1 200", true).code, 200);
  EXPECT_EQ(parse("HTTP/1.1 200", false).result, R::need_more);
  EXPECT_EQ(parse("", false).result, R::need_more);
  EXPECT_EQ(parse("HTTP/1.", false).result, R::need_more);
  EXPECT_EQ(parse("HTTP/1.", true).result, R::invalid);
  EXPECT_EQ(parse("HTTP/1.1 20", true).result, R::invalid);
  EXPECT_EQ(parse("http/1.1 200 OK", false).result, R::invalid);
  EXPECT_EQ(parse("HTTP/1.1 2x0 OK", false).result, R::invalid);
  EXPECT_EQ(parse("HTTP/1.1 2000 OK", false).result, R::invalid);
  EXPECT_EQ(parse("HTTP/1.1 099 OK", false).result, R::invalid);
  EXPECT_EQ(parse("HTTP/1.1  200 OK", false).result, R::invalid);
  EXPECT_EQ(parse("HTTP/x.1 200 OK", false).result, R::invalid);
}

}  // namespace
}  // namespace openvpc::hyperplane
