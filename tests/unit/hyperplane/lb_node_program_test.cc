// compile_node_program for network load balancers: slot, peers, interfaces, listeners (by
// protocol, to their target group), target groups sorted with Maglev tables over the
// non-draining targets, join times kept across programs, a program with only load balancers;
// and the load balancer families of the node's /metrics page, parsed strictly.
#include <gtest/gtest.h>

#include "hyperplane/node_metrics.h"
#include "hyperplane/node_program.h"
#include "router/prometheus_parser.h"

namespace openvpc::hyperplane {
namespace {

using packet::IpAddress;

constexpr uint32_t kSelf = 0x7f000c02;
constexpr uint32_t kA = 0x7f000c01;
constexpr uint32_t kC = 0x7f000c03;

program::Program lb_program(std::vector<uint32_t> nodes) {
  program::Program p;
  p.host_underlay = IpAddress::v4(kSelf);
  program::LoadBalancer lb;
  lb.id = 3;
  lb.name = "net/web/0123456789abcdef";
  lb.vpc = 7;
  lb.interfaces = {{90, 1, IpAddress::v4(0x0a000132)}, {91, 2, IpAddress::v4(0x0a000232)}};
  for (uint32_t n : nodes) lb.nodes.push_back(IpAddress::v4(n));
  lb.listeners = {{80, program::ListenerProtocol::tcp, 12},
                  {53, program::ListenerProtocol::tcp_udp, 11},
                  {99, program::ListenerProtocol::udp, 77}};  // no such group: left out
  program::LoadBalancerTargetGroup web;
  web.id = 12;
  web.name = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1";
  web.targets = {{IpAddress::v4(0x0a000203), 8080, 33, IpAddress::v4(0x7f000203), false},
                 {IpAddress::v4(0x0a000201), 8080, 31, IpAddress::v4(0x7f000201), true}};
  program::LoadBalancerTargetGroup dns;
  dns.id = 11;
  dns.stickiness = true;
  dns.targets = {{IpAddress::v4(0x0a000201), 53, 31, IpAddress::v4(0x7f000201), false}};
  lb.target_groups = {web, dns};
  p.load_balancers = {lb};
  return p;
}

TEST(LbNodeProgram, LoadBalancersCompile) {
  auto plan = compile_node_program(lb_program({kA, kSelf, kC}), kSelf, 50, nullptr);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_TRUE(plan->gateways.empty());
  ASSERT_EQ(plan->lb.lbs.size(), 1u);
  EXPECT_EQ(plan->lb.underlay_v4, kSelf);
  EXPECT_EQ(plan->lb_numbers, std::vector<uint32_t>{3});
  EXPECT_EQ(plan->lb_names[0], "net/web/0123456789abcdef");
  EXPECT_EQ(plan->lb_slots[0], 1);
  EXPECT_EQ(plan->lb_shards[0].gateway_number, 3u);
  EXPECT_EQ(plan->lb_shards[0].peers, (std::vector<uint32_t>{kA, kC}));
  const NodeLoadBalancer& lb = plan->lb.lbs[0];
  EXPECT_EQ(lb.vni, 7u);
  EXPECT_EQ(lb.joined_at, 50u);
  ASSERT_EQ(lb.interfaces.size(), 2u);
  EXPECT_EQ(lb.interfaces[1].eni, 91u);
  EXPECT_EQ(lb.interfaces[1].address, 0x0a000232u);
  ASSERT_EQ(lb.groups.size(), 2u);
  EXPECT_EQ(lb.groups[0].id, 11u);  // sorted by id
  EXPECT_TRUE(lb.groups[0].stickiness);
  const LbTargetGroup& web = lb.groups[1];
  ASSERT_EQ(web.targets.size(), 2u);
  EXPECT_EQ(web.targets[0].address, 0x0a000201u);  // sorted by address
  EXPECT_TRUE(web.targets[0].draining);
  EXPECT_EQ(web.targets[1].underlay, 0x7f000203u);
  EXPECT_EQ(web.selectable, std::vector<uint16_t>{1});  // the draining one is not
  EXPECT_EQ(web.maglev.size(), MaglevTable::kDefaultSize);
  ASSERT_EQ(lb.listeners.size(), 2u);
  EXPECT_EQ(lb.listeners[0].port, 80);
  EXPECT_EQ(lb.listeners[0].protocol, LbProtocol::tcp);
  EXPECT_EQ(lb.listeners[0].group, 1u);
  EXPECT_EQ(lb.listeners[1].protocol, LbProtocol::tcp_udp);
  EXPECT_EQ(lb.listeners[1].group, 0u);

  auto again = compile_node_program(lb_program({kA, kSelf, kC}), kSelf, 90, &*plan);
  EXPECT_EQ(again->lb.lbs[0].joined_at, 50u);
  auto moved = compile_node_program(lb_program({kSelf, kA, 0}), kSelf, 90, &*plan);
  EXPECT_EQ(moved->lb.lbs[0].joined_at, 90u);
  EXPECT_EQ(moved->lb_shards[0].peers, std::vector<uint32_t>{kA});
  // A load balancer whose shard does not list this node is refused.
  EXPECT_FALSE(compile_node_program(lb_program({kA, kC}), kSelf, 90, nullptr).ok());
}

TEST(LbNodeMetrics, LoadBalancerFamiliesParseStrictly) {
  NatNodeSnapshot s;
  NatNodeSnapshot::LoadBalancer lb;
  lb.name = "net/web/0123456789abcdef";
  lb.slot = 2;
  lb.counters[size_t(LbMetric::ActiveFlowCount)] = 4;
  lb.counters[size_t(LbMetric::NewFlowCount)] = 17;
  lb.counters[size_t(LbMetric::TCP_Target_Reset_Count)] = 1;
  s.load_balancers.push_back(lb);
  s.lb_counters.drops[size_t(LbDrop::no_target)] = 3;
  s.lb_counters.events[size_t(LbEvent::to_target)] = 8;
  s.lb_flows = 6;
  s.lb_replica_flows = 2;
  const std::string text = node_metrics_text(s, "hp2");
  const auto page = openvpc::testing::parse_prometheus(text);
  ASSERT_EQ(page.error, "") << text;
  const std::string labels = "{load_balancer=\"net/web/0123456789abcdef\",node=\"hp2\",slot=\"2\"}";
  EXPECT_EQ(page.at("openvpc_load_balancer_active_flow_count" + labels), 4);
  EXPECT_EQ(page.at("openvpc_load_balancer_new_flow_count_total" + labels), 17);
  EXPECT_EQ(page.at("openvpc_load_balancer_tcp_target_reset_count_total" + labels), 1);
  EXPECT_EQ(page.at("openvpc_hyperplane_lb_drops_total{node=\"hp2\",reason=\"no_target\"}"), 3);
  EXPECT_EQ(page.at("openvpc_hyperplane_lb_events_total{event=\"to_target\",node=\"hp2\"}"), 8);
  EXPECT_EQ(page.at("openvpc_hyperplane_lb_flows{kind=\"own\",node=\"hp2\"}"), 4);
}

}  // namespace
}  // namespace openvpc::hyperplane
