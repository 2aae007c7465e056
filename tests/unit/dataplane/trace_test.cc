#include "dataplane/trace.h"

#include <gtest/gtest.h>

#include "harness.h"

namespace openvpc::dataplane::testing {
namespace {

std::shared_ptr<const CompiledProgram> compiled() {
  auto c = compile(standard_program());
  if (!c) throw std::runtime_error(c.error().message);
  return *c;
}

TEST(Trace, NamesEveryStageAndTheRulesThatDecided) {
  const auto frame = from_eni(kWeb2, tcp_ip(kWeb2.ip, kDb.ip, 40000, 5432));
  const std::string text = trace(*compiled(), port_of(kWeb2), frame);
  EXPECT_EQ(text,
            "packet: 10.0.1.6:40000 -> 10.0.2.7:5432 tcp ttl 64 (54 bytes)\n"
            "port: eni 102 (eni-102) vpc 7 subnet 11\n"
            "flow-cache: miss: classify\n"
            "source-check: 10.0.1.6 belongs to eni 102\n"
            "nacl-egress: subnet 11 network-acl 31 egress rule 100 allow all 0.0.0.0/0 -> allow\n"
            "sg-egress: eni 102 allowed by security-group 41 (web) rule 2: egress all to "
            "0.0.0.0/0 (tracked)\n"
            "route: route-table 21 10.0.0.0/16 -> local\n"
            "target: eni 103 is local\n"
            "nacl-ingress: subnet 12 network-acl 32 ingress rule 100 deny tcp 5432 10.0.1.6/32 "
            "-> deny\n"
            "verdict: drop (nacl_ingress_denied)\n");
}

TEST(Trace, UnderlayIsolationAndDelivery) {
  const auto packet =
      geneve(kRemoteHost, kHost, 7, 201, 103, tcp_ip(kRemoteWeb.ip, kDb.ip, 5000, 5432));
  const std::string text = trace(*compiled(), Port::underlay(), packet);
  EXPECT_NE(text.find("decap: geneve vni 7 from 192.168.0.2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("isolation: vni 7: eni 201 at 192.168.0.2 sends 10.0.1.20 to local eni "
                      "103\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("sg-ingress: eni 103 allowed by security-group 42 (db) rule 0: ingress "
                      "tcp 5432 from security-group 41 (tracked)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("verdict: deliver out eni 103\n"), std::string::npos) << text;
}

TEST(Trace, ForgedAndExpiredPackets) {
  const auto program = compiled();
  const auto forged = geneve(kRemoteHost, kHost, 7, 201, 101,
                             tcp_ip(address_literal("10.0.1.77"), kWeb1.ip, 1, 22));
  EXPECT_NE(trace(*program, Port::underlay(), forged)
                .find("isolation: refused: geneve_inner_source_mismatch"),
            std::string::npos);
  const auto expiring = from_eni(kWeb1, tcp_ip(kWeb1.ip, kRemoteWeb.ip, 1, 22, 2, 1));
  EXPECT_NE(trace(*program, port_of(kWeb1), expiring)
                .find("verdict: icmp_error (ttl_expired) out eni 101"),
            std::string::npos);
}

// The trace runs the real pipeline (issue 16): a SYN-ACK that no SYN preceded passes every
// rule, and the connection stage refuses it as the pipeline does.
TEST(Trace, IsTheRealPipelineSynAckWithoutSynIsAnInvalidNewConnection) {
  const auto synack = from_eni(kWeb1, syn_ack_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 5000));
  const std::string text = trace(*compiled(), port_of(kWeb1), synack);
  EXPECT_NE(text.find("sg-egress: eni 101 allowed by"), std::string::npos) << text;
  EXPECT_NE(text.find("conntrack: eni 101: new connection: tcp_invalid_new\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("verdict: drop (tcp_invalid_new)\n"), std::string::npos) << text;
  World world(standard_program());
  const Packet got = run(world, {{port_of(kWeb1), synack}}).packets[0];
  EXPECT_EQ(to_string(got.verdict), "drop");
  EXPECT_EQ(to_string(got.drop_reason), "tcp_invalid_new");
}

TEST(Trace, ShowsThePathMtu) {
  packet::IpSpec ip{kWeb1.ip, address_literal("8.8.8.8"), 64, 0, true, 9, 0, false};
  const auto big = packet::build_icmp_echo(ip, {true, 1, 1}, std::vector<uint8_t>(3000, 1));
  const std::string text = trace(*compiled(), port_of(kWeb1), from_eni(kWeb1, big));
  EXPECT_NE(text.find("path-mtu: 3028 bytes > 1500 with DF: fragmentation needed\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("verdict: icmp_error (mtu_exceeded) out eni 101\n"), std::string::npos)
      << text;
}

TEST(Trace, ShowsTheAllowance) {
  PipelineConfig config{1024, 1024};
  config.connection_settings.allowance = 1;
  World world(standard_program(), config);
  run(world, {{port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 80))}});
  Batch second({{port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kRemoteWeb.ip, 40001, 80))}});
  std::string text;
  world.pipeline.process_traced(second.packets[0], 1000'000'000'000, text);
  EXPECT_NE(text.find("conntrack: eni 101: new connection: conntrack_allowance_exceeded\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("verdict: drop (conntrack_allowance_exceeded)\n"), std::string::npos) << text;
}

TEST(Trace, AgainstAPipelinesStateSeesItsConnectionsAndFlows) {
  World world(standard_program());
  const auto out = from_eni(kWeb1, tcp_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 80));
  const auto reply =
      geneve(kRemoteHost, kHost, 7, 201, 101, syn_ack_ip(kRemoteWeb.ip, kWeb1.ip, 80, 40000));
  const auto traced = [&](const std::vector<uint8_t>& bytes) {
    Batch batch({{Port::underlay(), bytes}});
    std::string text;
    world.pipeline.process_traced(batch.packets[0], 1000'000'000'000, text);
    return text;
  };
  EXPECT_NE(traced(reply).find("verdict: drop (security_group_ingress_denied)"), std::string::npos);
  run(world, {{port_of(kWeb1), out}});
  const std::string text = traced(reply);
  EXPECT_NE(text.find("allowed by a tracked connection"), std::string::npos) << text;
  EXPECT_NE(text.find("verdict: deliver out eni 101"), std::string::npos) << text;
  const std::string again = traced(reply);  // a retransmitted SYN-ACK: the cached flow
  EXPECT_NE(again.find("flow-cache: hit: deliver"), std::string::npos) << again;
}

TEST(Trace, OutPortNames) {
  Packet p;
  EXPECT_EQ(to_string(p), "-");
  p.out_port = Port{PortKind::gateway, 901};
  p.gateway_kind = program::RouteTargetKind::internet_gateway;
  EXPECT_EQ(to_string(p), "gateway internet-gateway 901");
  p.out_port = Port::underlay();
  EXPECT_EQ(to_string(p), "underlay");
}

}  // namespace
}  // namespace openvpc::dataplane::testing
