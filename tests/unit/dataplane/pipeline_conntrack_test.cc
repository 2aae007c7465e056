// Connection tracking and flow logs through the real Pipeline (issue 4): each test scripts an
// exchange as a table of {input, expected verdict / reason}, one batch per step.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/flowlog/flow_log_record.h"
#include "dataplane/pipeline.h"
#include "harness.h"

namespace openvpc::dataplane::testing {
namespace {

using packet::kTcpAck;
using packet::kTcpRst;
using packet::kTcpSyn;
using D = DropReason;
using V = Verdict;

const Port kUnderlay = Port::underlay();

struct Step {
  Input input;
  Expected expected;
  uint64_t now_s = 1000;
};

void play(World& world, const std::vector<Step>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    // Each step runs traced: on a failure the record says what the pipeline did.
    Batch batch({steps[i].input});
    std::string record;
    world.pipeline.process_traced(batch.packets[0], steps[i].now_s * 1'000'000'000, record);
    SCOPED_TRACE("step " + std::to_string(i) + "\n" + record);
    EXPECT_EQ(to_string(batch.packets[0].verdict), to_string(steps[i].expected.verdict));
    EXPECT_EQ(to_string(batch.packets[0].drop_reason), to_string(steps[i].expected.reason));
    if (!steps[i].expected.bytes.empty()) {
      EXPECT_EQ(batch.bytes(0), steps[i].expected.bytes);
    }
  }
}

Input from_web1(const std::vector<uint8_t>& ip) {
  return {port_of(kWeb1), from_eni(kWeb1, ip)};
}
Input from_remote(const std::vector<uint8_t>& ip) {
  return {kUnderlay, geneve(kRemoteHost, kHost, 7, 201, 101, ip)};
}
// web1 40000 -> remote web 5000, and back, with explicit sequence numbers.
std::vector<uint8_t> out_segment(uint8_t flags, uint32_t seq, uint32_t ack, size_t size = 0,
                                 uint16_t sport = 40000) {
  return tcp_segment(kWeb1.ip, kRemoteWeb.ip, sport, 5000, flags, seq, ack, size);
}
std::vector<uint8_t> in_segment(uint8_t flags, uint32_t seq, uint32_t ack, size_t size = 0) {
  return tcp_segment(kRemoteWeb.ip, kWeb1.ip, 5000, 40000, flags, seq, ack, size);
}
std::vector<Step> handshake() {
  return {{from_web1(out_segment(kTcpSyn, 100, 0)), {V::encapsulate}},
          {from_remote(in_segment(kTcpSyn | kTcpAck, 900, 101)), {V::deliver}},
          {from_web1(out_segment(kTcpAck, 101, 901)), {V::encapsulate}}};
}

TEST(ConntrackPipeline, TcpSegmentOutsideTheWindowIsDroppedWithItsReason) {
  World world(standard_program());
  std::vector<Step> steps = handshake();
  steps.push_back({from_web1(out_segment(kTcpAck, 101, 901, 10)), {V::encapsulate}});
  steps.push_back({from_web1(out_segment(kTcpAck, 101 + 50'000'000, 901, 10)),
                   {V::drop, D::tcp_seq_out_of_window}});
  steps.push_back({from_remote(in_segment(kTcpAck, 901, 111 + 50'000'000)),
                   {V::drop, D::tcp_ack_out_of_window}});
  steps.push_back({from_remote(in_segment(kTcpAck, 901, 111)), {V::deliver}});
  play(world, steps);
  const conntrack::EniCounters* web1 = world.pipeline.connection_counters(kWeb1.id);
  ASSERT_NE(web1, nullptr);
  EXPECT_EQ(web1->drops[size_t(D::tcp_seq_out_of_window)], 1u);
  EXPECT_EQ(world.pipeline.eni_counters(kWeb1.id)->drops[size_t(D::tcp_seq_out_of_window)], 1u);
}

// ICMP "fragmentation needed" from the remote side, quoting `quoted` (as web1 sent it).
std::vector<uint8_t> fragmentation_needed(const std::vector<uint8_t>& quoted) {
  std::vector<uint8_t> ip(256);
  ip.resize(packet::write_icmp_error(ip.data(), ip.size(), kRemoteWeb.ip, 3, 4, 1400,
                                     std::span(quoted).first(28)));
  return ip;
}

TEST(ConntrackPipeline, IcmpErrorOfAnEstablishedFlowIsRelatedAnUnrelatedOneIsDropped) {
  program::Program p = standard_program();
  auto& rules = p.security_groups[0].rules;  // web: keep only "out all"
  rules.erase(rules.begin(), rules.begin() + 2);
  World world(p);
  std::vector<Step> steps = handshake();
  steps.push_back(
      {from_remote(fragmentation_needed(out_segment(kTcpAck, 101, 901, 1500))), {V::deliver}});
  // The same ICMP 5-tuple (a cached flow), but about no connection: conntrack drops it.
  steps.push_back({from_remote(fragmentation_needed(out_segment(kTcpAck, 101, 901, 1500, 40001))),
                   {V::drop, D::icmp_error_no_connection}});
  // Quoting a sequence number this connection never sent.
  steps.push_back({from_remote(fragmentation_needed(out_segment(kTcpAck, 90'000'000, 901, 1500))),
                   {V::drop, D::icmp_error_out_of_window}});
  play(world, steps);
  EXPECT_EQ(world.pipeline.connection_counters(kWeb1.id)->related, 1u);
  // A fresh pipeline (no connection): the same error quotes nothing of web1's.
  World fresh(p);
  play(fresh, {{from_remote(fragmentation_needed(out_segment(kTcpAck, 101, 901, 1500))),
                {V::drop, D::icmp_error_no_connection}}});
}

// ICMP port unreachable from web1 to the remote web ENI, quoting `quoted` (as it received it).
std::vector<uint8_t> port_unreachable_from_web1(const std::vector<uint8_t>& quoted) {
  std::vector<uint8_t> ip(256);
  ip.resize(packet::write_icmp_error(ip.data(), ip.size(), kWeb1.ip, 3, 3, 0,
                                     std::span(quoted).first(28)));
  return ip;
}

// Issue 16: an ICMP error is delivered iff it quotes a tracked connection of the ENI, whether
// or not the security group's rules allow ICMP, and whatever came first between the same
// two addresses (all errors share one ICMP 5-tuple, so a cached verdict used to decide).
struct IcmpErrorOrder {
  const char* name;
  bool inbound;           // from the remote side to web1, else from web1 to the remote side
  bool rules_allow_icmp;  // web's group keeps its "icmp in from the VPC" rule
  bool related_first;
};

class IcmpErrors : public ::testing::TestWithParam<IcmpErrorOrder> {};

TEST_P(IcmpErrors, DeliveredIffTheyQuoteATrackedConnectionInEitherOrder) {
  const IcmpErrorOrder& c = GetParam();
  program::Program p = standard_program();
  auto& rules = p.security_groups[0].rules;  // web: tcp 22 in, icmp in, all out
  if (!c.rules_allow_icmp) rules.erase(rules.begin() + 1);
  World world(p);
  play(world, handshake());
  const Step related =
      c.inbound ? Step{from_remote(fragmentation_needed(out_segment(kTcpAck, 101, 901, 1500))),
                       {V::deliver}}
                : Step{from_web1(port_unreachable_from_web1(in_segment(kTcpAck, 901, 101))),
                       {V::encapsulate}};
  const Step unrelated =
      c.inbound
          ? Step{from_remote(fragmentation_needed(out_segment(kTcpAck, 101, 901, 1500, 40001))),
                 {V::drop, D::icmp_error_no_connection}}
          : Step{from_web1(port_unreachable_from_web1(
                     tcp_segment(kRemoteWeb.ip, kWeb1.ip, 5001, 40000, kTcpAck, 7, 8))),
                 {V::drop, D::icmp_error_no_connection}};
  if (c.related_first) {
    play(world, {related, unrelated, related, unrelated});
  } else {
    play(world, {unrelated, related, unrelated, related});
  }
}

INSTANTIATE_TEST_SUITE_P(
    Orders, IcmpErrors,
    ::testing::Values(IcmpErrorOrder{"in_rules_allow_related_first", true, true, true},
                      IcmpErrorOrder{"in_rules_allow_unrelated_first", true, true, false},
                      IcmpErrorOrder{"in_rules_deny_related_first", true, false, true},
                      IcmpErrorOrder{"in_rules_deny_unrelated_first", true, false, false},
                      IcmpErrorOrder{"out_related_first", false, true, true},
                      IcmpErrorOrder{"out_unrelated_first", false, true, false}),
    [](const ::testing::TestParamInfo<IcmpErrorOrder>& info) { return info.param.name; });

TEST(ConntrackPipeline, AllowanceExceededDropsNewConnectionsNotEstablishedOnes) {
  PipelineConfig config{1024, 1024};
  config.connection_settings.allowance = 1;
  World world(standard_program(), config);
  std::vector<Step> steps = handshake();
  steps.push_back({from_web1(out_segment(kTcpSyn, 100, 0, 0, 40001)),
                   {V::drop, D::conntrack_allowance_exceeded}});
  steps.push_back({from_web1(out_segment(kTcpAck, 101, 901, 10)), {V::encapsulate}});
  steps.push_back({from_remote(in_segment(kTcpAck, 901, 111)), {V::deliver}});
  play(world, steps);
  EXPECT_EQ(world.pipeline.connection_allowance_available(kWeb1.id), 0u);
  EXPECT_EQ(world.pipeline.connection_allowance_exceeded(kWeb1.id), 1u);
  EXPECT_EQ(world.pipeline.connection_allowance_available(kWeb2.id), 1u);
}

TEST(ConntrackPipeline, ACachedFlowStopsWhenItsConnectionIsReset) {
  World world(standard_program());
  std::vector<Step> steps = handshake();
  steps.push_back({from_remote(in_segment(kTcpAck, 901, 101)), {V::deliver}});  // cached
  steps.push_back({from_web1(out_segment(kTcpRst, 101, 0)), {V::encapsulate}});
  // CLOSED lives 10 s; then the cached reply entry is stale and the rules refuse it.
  steps.push_back({from_remote(in_segment(kTcpAck, 901, 101)),
                   {V::drop, D::security_group_ingress_denied},
                   1011});
  play(world, steps);
  EXPECT_GE(world.pipeline.counters().flow_stale, 1u);
}

TEST(ConntrackPipeline, RevokedRuleKeepsTrackedConnectionsAndCutsUntrackedFlows) {
  program::Program p = standard_program();
  World world(p);
  const Input tracked = from_remote(tcp_ip(kRemoteWeb.ip, kWeb1.ip, 5000, 22, kTcpAck));
  const Input untracked{port_of(kWeb1),
                        from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 40000, 8080, kTcpAck))};
  play(world, {{tracked, {V::deliver}}, {untracked, {V::deliver, D::none, port_of(kWeb2)}}});
  p.generation = 2;
  p.security_groups[0].rules.erase(p.security_groups[0].rules.begin());  // web: tcp 22 in
  p.security_groups[2].rules.clear();                                    // open: 8080 in
  world.publish(p);
  play(world, {{tracked, {V::deliver}, 1001},
               {untracked, {V::drop, D::security_group_ingress_denied}, 1001}});
}

// Fragments of web1 -> web2 TCP datagram `id` to `port`: the first (TCP header + 12 bytes)
// and the later one (16 bytes at offset 32).
std::vector<uint8_t> first_fragment(uint16_t id, uint16_t port, uint8_t ttl = 64) {
  packet::IpSpec ip{kWeb1.ip, kWeb2.ip, ttl, 0, false, id, 0, true};
  packet::TcpSpec tcp;
  tcp.src_port = 40000;
  tcp.dst_port = port;
  tcp.flags = kTcpSyn;
  return packet::build_tcp(ip, tcp, std::vector<uint8_t>(12, 0xab));
}
std::vector<uint8_t> later_fragment(uint16_t id, uint8_t ttl = 64) {
  packet::IpSpec ip{kWeb1.ip, kWeb2.ip, ttl, 0, false, id, 32, false};
  return packet::build_ip(ip, packet::kProtoTcp, std::vector<uint8_t>(16, 0xcd));
}

TEST(ConntrackPipeline, LaterFragmentsFollowTheirFirstFragment) {
  World world(standard_program());
  const Port web2 = port_of(kWeb2);
  play(world, {{from_web1(later_fragment(78)), {V::held}},  // waits for its first one
               {from_web1(first_fragment(77, 22)), {V::deliver, D::none, web2}},
               {from_web1(later_fragment(77)),
                {V::deliver, D::none, web2, to_eni(kWeb2, later_fragment(77, 63))}},
               {from_web1(later_fragment(77)), {V::drop, D::fragment_overlap}},
               {from_web1(first_fragment(79, 80)), {V::drop, D::security_group_ingress_denied}},
               {from_web1(later_fragment(79)), {V::drop, D::fragment_rejected}}});
}

class Lines : public flowlog::FlowLogSink {
 public:
  explicit Lines(const Pipeline*& pipeline) : pipeline_(pipeline) {}
  void write(const flowlog::FlowLogRecord& r) override {
    flowlog::FlowLogInterface interface;
    interface.account_id = "123456789012";
    interface.interface_id = "eni-" + std::to_string(pipeline_->eni_of_slot(r.eni));
    lines.push_back(flowlog::format_flow_log(r, interface));
  }
  std::vector<std::string> lines;

 private:
  const Pipeline*& pipeline_;
};

TEST(ConntrackPipeline, FlowLogRecordsOfAScriptedExchangeAreExactV2Lines) {
  const Pipeline* pipeline = nullptr;
  Lines sink(pipeline);
  PipelineConfig config{1024, 1024};
  config.flow_log_sink = &sink;
  config.flow_log_window_seconds = 60;
  config.unix_clock_offset_ns = int64_t{1'700'000'000 - 1000} * 1'000'000'000;  // 1000 s -> ...
  program::Program with_flow_log = standard_program();
  with_flow_log.flow_logs.push_back({.id = 1,
                                     .name = "fl-1",
                                     .account_id = "123456789012",
                                     .traffic = program::FlowLogTraffic::all,
                                     .format = "",
                                     .destination = "/unused",
                                     .aggregation_seconds = 60,
                                     .enis = {kWeb1.id, kWeb2.id}});
  World world(with_flow_log, config);
  pipeline = &world.pipeline;
  std::vector<Step> steps = handshake();  // at 1'700'000'000 (a window start)
  steps.push_back({from_web1(out_segment(kTcpAck, 101, 901, 100)), {V::encapsulate}, 1005});
  steps.push_back({from_remote(tcp_ip(kRemoteWeb.ip, kWeb1.ip, 6000, 80)),
                   {V::drop, D::security_group_ingress_denied},
                   1007});
  steps.push_back({from_web1(udp_ip(kWeb1.ip, address_literal("10.0.0.2"), 4000, 53)),
                   {V::to_local_services},
                   1008});
  steps.push_back({{port_of(kWeb2), from_eni(kWeb2, tcp_ip(kWeb2.ip, kWeb1.ip, 41000, 22))},
                   {V::deliver, D::none, port_of(kWeb1)},
                   1009});
  play(world, steps);
  EXPECT_TRUE(sink.lines.empty());  // the window has not ended
  run(world, {}, 1060);
  const std::vector<std::string> expected = {
      "2 123456789012 eni-101 10.0.1.5 10.0.1.20 40000 5000 6 3 220 1700000000 1700000005 "
      "ACCEPT OK",
      "2 123456789012 eni-101 10.0.1.20 10.0.1.5 5000 40000 6 1 40 1700000000 1700000000 "
      "ACCEPT OK",
      "2 123456789012 eni-101 10.0.1.20 10.0.1.5 6000 80 6 1 40 1700000007 1700000007 "
      "REJECT OK",
      "2 123456789012 eni-102 10.0.1.6 10.0.1.5 41000 22 6 1 40 1700000009 1700000009 "
      "ACCEPT OK",
      "2 123456789012 eni-101 10.0.1.6 10.0.1.5 41000 22 6 1 40 1700000009 1700000009 "
      "ACCEPT OK",
  };
  EXPECT_EQ(sink.lines, expected);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
