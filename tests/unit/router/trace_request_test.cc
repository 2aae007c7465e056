#include "router/trace_request.h"

#include <gtest/gtest.h>

#include "dataplane/compiled_program.h"
#include "test_programs.h"

namespace openvpc::router {
namespace {

using testing::v4;

// ENIs 101 (10.0.1.5) and 102 (10.0.1.6) on this host; their group admits TCP 80 from the VPC
// and sends anything; the network ACL allows everything.
std::shared_ptr<const dataplane::CompiledProgram> web_program() {
  program::Program p = testing::small_program(0x7f000302, true);
  auto& group = p.security_groups.front();
  program::SecurityGroupRule http;
  http.direction = program::Direction::ingress;
  http.traffic.protocol = packet::kProtoTcp;
  http.traffic.ports = {80, 80};
  http.peer = *program::Cidr::parse("10.0.0.0/16");
  group.rules.push_back(http);
  program::SecurityGroupRule out;
  out.direction = program::Direction::egress;
  out.peer = *program::Cidr::parse("0.0.0.0/0");
  group.rules.push_back(out);
  for (auto direction : {program::Direction::ingress, program::Direction::egress}) {
    program::NetworkAclEntry all;
    all.direction = direction;
    all.cidr = *program::Cidr::parse("0.0.0.0/0");
    all.action = program::AclAction::allow;
    p.network_acls.front().entries.push_back(all);
  }
  program::Eni second = p.enis.front();
  second.id = 102;
  second.name = "eni-b";
  second.mac = packet::MacAddress{{0x02, 0, 0, 0, 1, 2}};
  second.private_addresses = {v4(10, 0, 1, 6)};
  p.enis.push_back(second);
  p.mappings.push_back({7, v4(10, 0, 1, 6), p.host_underlay, 102, true});
  auto compiled = dataplane::compile(p);
  EXPECT_TRUE(compiled.ok()) << compiled.error().message;
  return *compiled;
}

TraceRequest tcp_to(const std::string& eni, const std::string& dst, uint16_t port) {
  TraceRequest request;
  request.eni = eni;
  request.destination = dst;
  request.destination_port = port;
  return request;
}

TEST(TraceRequest, NamesTheStageThatDecides) {
  const auto program = web_program();
  const struct {
    const char* description;
    TraceRequest request;
    const char* stage;    // a line of the trace that must be there
    const char* verdict;  // the verdict line's start
  } cases[] = {
      {"ssh refused by the destination's group", tcp_to("eni-a", "10.0.1.6", 22), "sg-ingress",
       "verdict: drop (security_group_ingress_denied)"},
      {"http allowed and delivered", tcp_to("101", "10.0.1.6", 80), "sg-ingress",
       "verdict: deliver out eni 102"},
      {"unknown remote: no mapping", tcp_to("eni-a", "10.0.1.99", 80),
       "packet:", "verdict: drop (no_mapping)"},
  };
  for (const auto& c : cases) {
    auto text = trace_packet(*program, c.request);
    ASSERT_TRUE(text.ok()) << c.description << ": " << text.error().message;
    EXPECT_NE(text->find(c.stage), std::string::npos) << c.description << "\n" << *text;
    EXPECT_NE(text->find(c.verdict), std::string::npos) << c.description << "\n" << *text;
  }
}

TEST(TraceRequest, IngressArrivesEncapsulatedFromTheSourcesHost) {
  const auto program = web_program();
  TraceRequest request;
  request.eni = "eni-b";
  request.direction = TraceRequest::Direction::ingress;
  request.source = "10.0.1.5";
  request.destination_port = 80;
  auto text = trace_packet(*program, request);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_NE(text->find("10.0.1.5:40000 -> 10.0.1.6:80 tcp"), std::string::npos) << *text;
  EXPECT_NE(text->find("verdict: deliver out eni 102"), std::string::npos) << *text;
  request.destination_port = 22;
  text = trace_packet(*program, request);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("security_group_ingress_denied"), std::string::npos) << *text;
}

TEST(TraceRequest, ParsesJsonAndRefusesBadInput) {
  auto parsed = parse_trace_request(
      R"({"eni":"eni-a","direction":"ingress","proto":"udp","src":"10.0.1.6","sport":53,)"
      R"("dport":"5353","tcp_flags":"SA"})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->direction, TraceRequest::Direction::ingress);
  EXPECT_EQ(parsed->protocol, "udp");
  EXPECT_EQ(parsed->source_port, 53);
  EXPECT_EQ(parsed->destination_port, 5353);
  for (const char* bad : {"", "[]", R"({"dst":"10.0.0.1"})", R"({"eni":"a","dport":70000})",
                          R"({"eni":"a","direction":"sideways"})", R"({"eni":"a","color":1})",
                          R"({"eni":"a","sport":-1})", R"({"eni":"a","src":5})"}) {
    EXPECT_FALSE(parse_trace_request(bad).ok()) << bad;
  }
  const auto program = web_program();
  EXPECT_EQ(trace_packet(*program, tcp_to("eni-zzz", "10.0.1.6", 80)).error().code,
            "trace.unknown_eni");
  EXPECT_FALSE(trace_packet(*program, tcp_to("eni-a", "not-an-address", 80)).ok());
  EXPECT_FALSE(trace_packet(*program, tcp_to("eni-a", "", 80)).ok());
  TraceRequest icmp = tcp_to("eni-a", "10.0.1.6", 0);
  icmp.protocol = "icmp";
  icmp.icmp_type = 3;
  EXPECT_FALSE(trace_packet(*program, icmp).ok());
  icmp.protocol = "sctp";
  EXPECT_FALSE(trace_packet(*program, icmp).ok());
}

}  // namespace
}  // namespace openvpc::router
