#include "program/program.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

namespace openvpc::program {
namespace {

Program sample() {
  Program p;
  p.generation = 3;
  p.host_underlay = address_literal("192.168.0.1");
  p.router_mac = mac_literal("02:00:00:00:00:01");
  p.region = "eu-west-1";
  p.vpcs = {{7, "blue", {cidr_literal("10.0.0.0/16")}, true, true}};
  p.subnets = {{12, "b", 7, cidr_literal("10.0.2.0/24"), 31, 21},
               {11, "a", 7, cidr_literal("10.0.1.0/24"), 31, 21}};
  p.route_tables = {{21,
                     "main",
                     7,
                     {{cidr_literal("0.0.0.0/0"), RouteTargetKind::internet_gateway, 901},
                      {cidr_literal("10.0.0.0/16"), RouteTargetKind::local, 0}}}};
  p.network_acls = {
      {31,
       "acl",
       7,
       {{200,
         Direction::ingress,
         {6, {22, 22}, -1, -1},
         cidr_literal("0.0.0.0/0"),
         AclAction::allow},
        {100, Direction::egress, {}, cidr_literal("0.0.0.0/0"), AclAction::allow},
        {100, Direction::ingress, {1, {}, 8, -1}, cidr_literal("10.0.0.0/8"), AclAction::deny}}}};
  p.security_groups = {{41,
                        "web",
                        7,
                        {{Direction::egress, {}, cidr_literal("0.0.0.0/0"), 0},
                         {Direction::ingress, {6, {80, 81}, -1, -1}, {}, 42}},
                        {address_literal("10.0.1.6"), address_literal("10.0.1.5")}}};
  p.enis = {{101,
             "web1",
             11,
             mac_literal("02:00:00:00:01:01"),
             {address_literal("10.0.1.5")},
             {41},
             true,
             "i-0123",
             "ip-10-0-1-5"}};
  p.mappings = {{7, address_literal("10.0.1.6"), address_literal("192.168.0.2"), 102, false},
                {7, address_literal("10.0.1.5"), address_literal("192.168.0.1"), 101, true}};
  p.flow_logs = {{52, "fl-b", "123456789012", FlowLogTraffic::accept, "", "/b.log", 600, {101}},
                 {51,
                  "fl-a",
                  "123456789012",
                  FlowLogTraffic::all,
                  "${version} ${action}",
                  "/a.log",
                  60,
                  {102, 101}}};
  return p;
}

TEST(ToText, GoldenDump) {
  EXPECT_EQ(to_text(sample()),
            "generation 3\n"
            "host underlay=192.168.0.1 router-mac=02:00:00:00:00:01 region=eu-west-1\n"
            "vpc 7 name=blue cidrs=10.0.0.0/16 dns-support=on dns-hostnames=on\n"
            "subnet 11 vpc=7 cidr=10.0.1.0/24 network-acl=31 route-table=21 name=a\n"
            "subnet 12 vpc=7 cidr=10.0.2.0/24 network-acl=31 route-table=21 name=b\n"
            "route-table 21 vpc=7 name=main\n"
            "  route 10.0.0.0/16 -> local\n"
            "  route 0.0.0.0/0 -> internet-gateway 901\n"
            "network-acl 31 vpc=7 name=acl\n"
            "  ingress 100 deny icmp type 8 10.0.0.0/8\n"
            "  ingress 200 allow tcp 22 0.0.0.0/0\n"
            "  egress 100 allow all 0.0.0.0/0\n"
            "  ingress * deny all\n"
            "  egress * deny all\n"
            "security-group 41 vpc=7 name=web members=10.0.1.5,10.0.1.6\n"
            "  egress all to 0.0.0.0/0\n"
            "  ingress tcp 80-81 from sg 42\n"
            "eni 101 subnet=11 mac=02:00:00:00:01:01 addresses=10.0.1.5 groups=41 "
            "source-dest-check=on name=web1 instance=i-0123 hostname=ip-10-0-1-5\n"
            "mapping vpc=7 10.0.1.5 -> 192.168.0.1 eni=101 source-dest-check=on\n"
            "mapping vpc=7 10.0.1.6 -> 192.168.0.2 eni=102 source-dest-check=off\n"
            "flow-log 51 name=fl-a account=123456789012 traffic=ALL window=60 destination=/a.log "
            "enis=101,102 format=${version} ${action}\n"
            "flow-log 52 name=fl-b account=123456789012 traffic=ACCEPT window=600 "
            "destination=/b.log enis=101 format=-\n");
}

TEST(ToText, OrderOfListsDoesNotMatter) {
  Program a = sample();
  Program b = sample();
  std::reverse(b.subnets.begin(), b.subnets.end());
  std::reverse(b.mappings.begin(), b.mappings.end());
  std::reverse(b.security_groups[0].rules.begin(), b.security_groups[0].rules.end());
  std::reverse(b.network_acls[0].entries.begin(), b.network_acls[0].entries.end());
  std::reverse(b.route_tables[0].routes.begin(), b.route_tables[0].routes.end());
  EXPECT_EQ(to_text(a), to_text(b));
  b.mappings[0].source_dest_check = !b.mappings[0].source_dest_check;
  EXPECT_NE(to_text(a), to_text(b));
}

TEST(ToText, EveryInstanceAndDnsFieldShows) {
  const std::string base = to_text(sample());
  std::vector<std::function<void(Program&)>> changes = {
      [](Program& p) { p.region.clear(); },
      [](Program& p) { p.vpcs[0].dns_support = false; },
      [](Program& p) { p.vpcs[0].dns_hostnames = false; },
      [](Program& p) { p.enis[0].instance_id = "i-other"; },
      [](Program& p) { p.enis[0].hostname.clear(); },
      [](Program& p) { p.flow_logs[0].traffic = FlowLogTraffic::reject; },
      [](Program& p) { p.flow_logs[0].enis.pop_back(); },
      [](Program& p) { p.flow_logs[1].destination = "/c.log"; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    Program changed = sample();
    changes[i](changed);
    EXPECT_NE(to_text(changed), base) << "change " << i;
  }
}

// A load balancer as a hyperplane node gets it: one line for it, then its interfaces,
// listeners, target groups and their targets, each list sorted; nodes stay in slot order.
Program load_balancer_sample() {
  Program p;
  p.host_underlay = address_literal("127.0.12.1");
  p.router_mac = mac_literal("02:00:00:00:00:01");
  p.mappings = {{7, address_literal("10.0.1.50"), address_literal("0.0.0.0"), 105, true,
                 std::nullopt, 0, 91}};
  LoadBalancerTargetGroup web{
      202,
      "arn:tg/web",
      {true, HealthCheckProtocol::http, 0, "/healthz", "200-399", 10, 5, 3, 2},
      30,
      true,
      false,
      {{address_literal("10.0.2.9"), 80, 102, address_literal("192.168.0.2"), true},
       {address_literal("10.0.1.5"), 80, 101, address_literal("192.168.0.1"), false}}};
  LoadBalancerTargetGroup dns{201, "arn:tg/dns", {}, 300, true, true, {}};
  p.load_balancers = {
      {91,
       "net/front/00000000000000aa",
       7,
       "front-00000000000000aa.elb.eu-west-1.amazonaws.com",
       {{106, 12, address_literal("10.0.2.50"), address_literal("198.51.100.5")},
        {105, 11, address_literal("10.0.1.50"), std::nullopt}},
       {address_literal("127.0.12.3"), address_literal("0.0.0.0"), address_literal("127.0.12.1")},
       true,
       {{80, ListenerProtocol::tcp, 202}, {53, ListenerProtocol::udp, 201}},
       {web, dns}}};
  return p;
}

TEST(ToText, GoldenLoadBalancer) {
  EXPECT_EQ(to_text(load_balancer_sample()),
            "generation 0\n"
            "host underlay=127.0.12.1 router-mac=02:00:00:00:00:01\n"
            "mapping vpc=7 10.0.1.50 -> 0.0.0.0 eni=105 source-dest-check=on load-balancer=91\n"
            "load-balancer 91 net/front/00000000000000aa vpc=7 "
            "dns=front-00000000000000aa.elb.eu-west-1.amazonaws.com cross-zone=on "
            "nodes=127.0.12.3,0.0.0.0,127.0.12.1\n"
            "  interface eni=105 subnet=11 address=10.0.1.50\n"
            "  interface eni=106 subnet=12 address=10.0.2.50 public=198.51.100.5\n"
            "  listener UDP 53 -> target-group 201\n"
            "  listener TCP 80 -> target-group 202\n"
            "  target-group 201 arn:tg/dns health-check=on TCP port=traffic-port interval=30 "
            "timeout=10 healthy=5 unhealthy=2 deregistration-delay=300 preserve-client-ip=on "
            "stickiness=on\n"
            "  target-group 202 arn:tg/web health-check=on HTTP port=traffic-port path=/healthz "
            "matcher=200-399 interval=10 timeout=5 healthy=3 unhealthy=2 "
            "deregistration-delay=30 preserve-client-ip=on stickiness=off\n"
            "    target 10.0.1.5 port=80 eni=101 underlay=192.168.0.1\n"
            "    target 10.0.2.9 port=80 eni=102 underlay=192.168.0.2 draining\n");
  Program changed = load_balancer_sample();
  std::swap(changed.load_balancers[0].nodes[0], changed.load_balancers[0].nodes[2]);
  EXPECT_NE(to_text(changed), to_text(load_balancer_sample()));  // slot order is meaning
}

TEST(TrafficMatch, Text) {
  EXPECT_EQ(to_string(TrafficMatch{}), "all");
  EXPECT_EQ(to_string(TrafficMatch{17, {53, 53}, -1, -1}), "udp 53");
  EXPECT_EQ(to_string(TrafficMatch{6, {}, -1, -1}), "tcp");
  EXPECT_EQ(to_string(TrafficMatch{1, {}, 3, 4}), "icmp type 3 code 4");
  EXPECT_EQ(to_string(TrafficMatch{47, {}, -1, -1}), "proto 47");
}

}  // namespace
}  // namespace openvpc::program
