#include "test_programs.h"

#include <algorithm>
#include <set>
#include <thread>
#include <tuple>

namespace openvpc::mapping::testing {
namespace {

using namespace openvpc::program;

uint32_t pick(std::mt19937_64& random, uint32_t low, uint32_t high) {
  return std::uniform_int_distribution<uint32_t>(low, high)(random);
}

bool chance(std::mt19937_64& random, int percent) {
  return static_cast<int>(pick(random, 0, 99)) < percent;
}

IpAddress random_address(std::mt19937_64& random) {
  if (chance(random, 20)) {
    IpAddress a;
    a.bytes[0] = 0xfd;
    a.bytes[15] = static_cast<uint8_t>(pick(random, 0, 15));
    return a;
  }
  return IpAddress::v4(0x0a000000 | pick(random, 0, 31));
}

Cidr random_cidr(std::mt19937_64& random) {
  IpAddress a = random_address(random);
  uint8_t width = a.is_v4() ? 32 : 128;
  return Cidr::make(a, static_cast<uint8_t>(pick(random, 0, width)));
}

TrafficMatch random_traffic(std::mt19937_64& random) {
  static constexpr int kProtocols[] = {kAllProtocols, 1, 6, 17, 58, 47};
  TrafficMatch t;
  t.protocol = kProtocols[pick(random, 0, 5)];
  uint16_t first = static_cast<uint16_t>(pick(random, 0, 65535));
  t.ports = {first, static_cast<uint16_t>(pick(random, first, 65535))};
  t.icmp_type = static_cast<int>(pick(random, 0, 256)) - 1;
  t.icmp_code = static_cast<int>(pick(random, 0, 256)) - 1;
  return t;
}

std::string random_name(std::mt19937_64& random) {
  static const char* kNames[] = {"", "a", "blue", "web", "ünïcode", "not utf-8 \xff"};
  return kNames[pick(random, 0, 5)];
}

// Ids drawn without repetition from 1..12, in random order.
std::vector<uint32_t> random_ids(std::mt19937_64& random, uint32_t most) {
  std::vector<uint32_t> ids(12);
  for (uint32_t i = 0; i < ids.size(); ++i) ids[i] = i + 1;
  std::shuffle(ids.begin(), ids.end(), random);
  ids.resize(pick(random, 0, most));
  return ids;
}

template <typename Make>
auto many(std::mt19937_64& random, uint32_t most, Make make) {
  std::vector<decltype(make())> out(pick(random, 0, most));
  for (auto& item : out) item = make();
  return out;
}

MacAddress random_mac(std::mt19937_64& random) {
  MacAddress m;
  for (auto& b : m.bytes) b = static_cast<uint8_t>(pick(random, 0, 255));
  return m;
}

Eni random_eni(std::mt19937_64& random, uint32_t id) {
  Eni e{id,
        random_name(random),
        pick(random, 1, 12),
        random_mac(random),
        many(random, 3, [&] { return random_address(random); }),
        many(random, 3, [&] { return pick(random, 1, 12); }),
        chance(random, 50),
        chance(random, 50) ? "i-" + std::to_string(pick(random, 1, 4)) : "",
        random_name(random)};
  return e;
}

SecurityGroup random_group(std::mt19937_64& random, uint32_t id) {
  auto rule = [&] {
    return SecurityGroupRule{chance(random, 50) ? Direction::ingress : Direction::egress,
                             random_traffic(random), random_cidr(random),
                             chance(random, 30) ? pick(random, 1, 12) : 0};
  };
  return {id, random_name(random), pick(random, 1, 3), many(random, 4, rule),
          many(random, 4, [&] { return random_address(random); })};
}

NetworkAcl random_acl(std::mt19937_64& random, uint32_t id) {
  auto entry = [&] {
    return NetworkAclEntry{static_cast<uint16_t>(pick(random, 1, 32766)),
                           chance(random, 50) ? Direction::ingress : Direction::egress,
                           random_traffic(random), random_cidr(random),
                           chance(random, 50) ? AclAction::allow : AclAction::deny};
  };
  return {id, random_name(random), pick(random, 1, 3), many(random, 4, entry)};
}

RouteTable random_route_table(std::mt19937_64& random, uint32_t id) {
  auto route = [&] {
    auto kind = static_cast<RouteTargetKind>(pick(random, 0, 6));
    return Route{random_cidr(random), kind, pick(random, 0, 1000)};
  };
  return {id, random_name(random), pick(random, 1, 3), many(random, 4, route)};
}

FlowLog random_flow_log(std::mt19937_64& random, uint32_t id) {
  return {id,
          "fl-" + random_name(random),
          random_name(random),
          static_cast<FlowLogTraffic>(pick(random, 0, 2)),
          chance(random, 50) ? "" : "${srcaddr} ${dstaddr}",
          "/var/log/" + random_name(random),
          chance(random, 50) ? 60u : 600u,
          many(random, 3, [&] { return pick(random, 100, 105); })};
}

LoadBalancerTargetGroup random_target_group(std::mt19937_64& random, uint32_t id) {
  LoadBalancerTargetGroup g;
  g.id = id;
  g.name = "arn:tg/" + random_name(random);
  g.health_check.enabled = chance(random, 80);
  g.health_check.protocol =
      chance(random, 50) ? HealthCheckProtocol::tcp : HealthCheckProtocol::http;
  g.health_check.port = static_cast<uint16_t>(chance(random, 50) ? 0 : pick(random, 1, 65535));
  if (g.health_check.protocol == HealthCheckProtocol::http) {
    g.health_check.path = "/" + random_name(random);
    g.health_check.matcher = chance(random, 50) ? "200-399" : "200,202";
  }
  g.health_check.interval_seconds = pick(random, 5, 300);
  g.health_check.timeout_seconds = pick(random, 2, 120);
  g.health_check.healthy_threshold = pick(random, 2, 10);
  g.health_check.unhealthy_threshold = pick(random, 2, 10);
  g.deregistration_delay_seconds = pick(random, 0, 3600);
  g.preserve_client_ip = chance(random, 70);
  g.stickiness = chance(random, 30);
  g.targets = many(random, 3, [&] {
    return LoadBalancerTarget{random_address(random), static_cast<uint16_t>(pick(random, 1, 65535)),
                              pick(random, 1, 50), random_address(random), chance(random, 20)};
  });
  return g;
}

LoadBalancer random_load_balancer(std::mt19937_64& random, uint32_t id) {
  LoadBalancer lb;
  lb.id = id;
  lb.name = "net/" + random_name(random) + "/0123456789abcdef";
  lb.vpc = pick(random, 1, 3);
  lb.dns_name = chance(random, 80) ? random_name(random) + ".elb.example" : "";
  lb.interfaces = many(random, 3, [&] {
    LoadBalancerInterface i{pick(random, 1, 99), pick(random, 1, 12), random_address(random), {}};
    if (chance(random, 30)) i.public_address = IpAddress::v4(0xc6336400 | pick(random, 0, 255));
    return i;
  });
  lb.nodes = many(random, 3, [&] { return random_address(random); });
  lb.cross_zone = chance(random, 50);
  for (uint32_t tg : random_ids(random, 2))
    lb.target_groups.push_back(random_target_group(random, tg));
  lb.listeners = many(random, 3, [&] {
    return LoadBalancerListener{static_cast<uint16_t>(pick(random, 1, 65535)),
                                static_cast<ListenerProtocol>(pick(random, 0, 2)),
                                pick(random, 1, 12)};
  });
  return lb;
}

std::vector<Mapping> random_mappings(std::mt19937_64& random) {
  std::set<std::tuple<uint32_t, IpAddress>> keys;
  std::vector<Mapping> out;
  for (uint32_t i = pick(random, 0, 12); i > 0; --i) {
    Mapping m{pick(random, 1, 3), random_address(random), random_address(random),
              pick(random, 0, 50), chance(random, 50)};
    if (chance(random, 15)) m.load_balancer = pick(random, 1, 3);
    if (keys.insert({m.vpc, m.address}).second) out.push_back(m);
  }
  return out;
}

}  // namespace

Program rich_program() {
  Program p;
  p.generation = 0x1234567890ull;
  p.host_underlay = address_literal("192.168.0.1");
  p.router_mac = mac_literal("02:00:00:00:00:01");
  p.region = "ap-southeast-2";
  p.vpcs = {{9, "red", {cidr_literal("172.16.0.0/12")}, false, false},
            {7, "blue", {cidr_literal("10.0.0.0/16"), cidr_literal("fd00:7::/56")}, true, true}};
  p.subnets = {{12, "b", 7, cidr_literal("10.0.2.0/24"), 31, 21},
               {11, "a", 7, cidr_literal("fd00:7:0:1::/64"), 31, 21}};
  std::vector<Route> routes;
  for (int kind = 0; kind <= static_cast<int>(RouteTargetKind::blackhole); ++kind) {
    routes.push_back({cidr_literal("10.9." + std::to_string(kind) + ".0/24"),
                      static_cast<RouteTargetKind>(kind), kind == 0 ? 0u : 900u + kind});
  }
  routes.push_back({cidr_literal("::/0"), RouteTargetKind::internet_gateway, 901});
  p.route_tables = {{21, "main", 7, routes}, {20, "empty", 9, {}}};
  p.network_acls = {
      {31,
       "acl",
       7,
       {{200,
         Direction::ingress,
         {6, {22, 22}, -1, -1},
         cidr_literal("0.0.0.0/0"),
         AclAction::allow},
        {32766, Direction::egress, {}, cidr_literal("::/0"), AclAction::allow},
        {1, Direction::ingress, {1, {}, 8, 0}, cidr_literal("10.0.0.0/8"), AclAction::deny},
        {100, Direction::egress, {58, {}, 128, -1}, cidr_literal("fd00::/8"), AclAction::deny},
        {101, Direction::egress, {47, {}, -1, -1}, cidr_literal("1.2.3.4/32"), AclAction::allow}}}};
  p.security_groups = {
      {41,
       "web",
       7,
       {{Direction::egress, {}, cidr_literal("0.0.0.0/0"), 0},
        {Direction::ingress, {6, {80, 81}, -1, -1}, {}, 42},
        {Direction::ingress, {17, {53, 53}, -1, -1}, cidr_literal("fd00::1/128"), 0}},
       {address_literal("10.0.1.6"), address_literal("10.0.1.5"), address_literal("fd00::5")}},
      {42, "", 7, {}, {}}};
  p.enis = {{102,
             "second",
             12,
             mac_literal("02:00:00:00:01:02"),
             {address_literal("10.0.2.9"), address_literal("10.0.2.4")},
             {42, 41},
             false,
             "i-0second",
             "ip-10-0-2-9"},
            {101,
             "first",
             11,
             mac_literal("02:00:00:00:01:01"),
             {address_literal("fd00:7:0:1::5")},
             {41},
             true}};
  p.mappings = {{7, address_literal("10.0.2.9"), address_literal("192.168.0.1"), 102, false},
                {7, address_literal("fd00:7:0:1::5"), address_literal("192.168.0.1"), 101, true},
                {9, address_literal("10.0.2.9"), address_literal("fd00::99"), 555, true}};
  p.flow_logs = {
      {62, "fl-rejects", "123456789012", FlowLogTraffic::reject, "", "/var/log/r.log", 60, {102}},
      {61,
       "fl-all",
       "123456789012",
       FlowLogTraffic::all,
       "${version} ${srcaddr} ${action}",
       "/var/log/a.log",
       600,
       {101, 102}},
      {63, "fl-accepts", "210987654321", FlowLogTraffic::accept, "", "/tmp/x", 600, {}}};
  p.mappings.push_back({7, address_literal("10.0.1.4"), address_literal("0.0.0.0"), 103, true,
                        address_literal("198.51.100.4"), 81});
  p.nat_gateways = {
      {82,
       "nat-private",
       7,
       104,
       false,
       {address_literal("10.0.2.7")},
       {address_literal("127.0.12.2")}},
      {81,
       "nat-public",
       7,
       103,
       true,
       {address_literal("10.0.1.4"), address_literal("10.0.1.5")},
       {address_literal("127.0.12.1"), address_literal("0.0.0.0"), address_literal("127.0.12.3")},
       12}};
  p.mappings.push_back({7, address_literal("10.0.2.20"), address_literal("0.0.0.0"), 105, true,
                        std::nullopt, 0, 91});
  LoadBalancerTargetGroup web{
      202,
      "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:targetgroup/web/00000000000000ca",
      {true, HealthCheckProtocol::http, 8080, "/healthz", "200-399", 10, 5, 3, 2},
      30,
      false,
      true,
      {{address_literal("10.0.2.9"), 80, 102, address_literal("192.168.0.1"), false},
       {address_literal("fd00:7:0:1::5"), 80, 101, address_literal("192.168.0.1"), true},
       {address_literal("10.0.2.9"), 8080, 102, address_literal("192.168.0.1"), false}}};
  LoadBalancerTargetGroup dns{201, "arn:tg/dns", {}, 300, true, false, {}};
  dns.health_check.enabled = false;
  p.load_balancers = {{92, "net/idle/00000000000000bb", 9, "", {}, {}, false, {}, {}},
                      {91,
                       "net/web/00000000000000aa",
                       7,
                       "web-00000000000000aa.elb.ap-southeast-2.amazonaws.com",
                       {{106, 12, address_literal("10.0.2.21"), address_literal("198.51.100.21")},
                        {105, 12, address_literal("10.0.2.20"), std::nullopt}},
                       {address_literal("127.0.12.2"), address_literal("0.0.0.0")},
                       true,
                       {{80, ListenerProtocol::tcp, 202},
                        {53, ListenerProtocol::udp, 201},
                        {53, ListenerProtocol::tcp_udp, 201}},
                       {web, dns}}};
  return p;
}

Program random_program(std::mt19937_64& random) {
  Program p;
  p.generation = random();
  p.host_underlay = random_address(random);
  p.router_mac = random_mac(random);
  p.region = random_name(random);
  for (uint32_t id : random_ids(random, 3)) {
    p.vpcs.push_back({id, random_name(random), many(random, 3, [&] { return random_cidr(random); }),
                      chance(random, 70), chance(random, 30)});
  }
  for (uint32_t id : random_ids(random, 5)) {
    p.subnets.push_back({id, random_name(random), pick(random, 1, 3), random_cidr(random),
                         pick(random, 1, 12), pick(random, 1, 12)});
  }
  for (uint32_t id : random_ids(random, 4))
    p.route_tables.push_back(random_route_table(random, id));
  for (uint32_t id : random_ids(random, 5)) p.security_groups.push_back(random_group(random, id));
  for (uint32_t id : random_ids(random, 4)) p.network_acls.push_back(random_acl(random, id));
  for (uint32_t id : random_ids(random, 6)) p.enis.push_back(random_eni(random, id));
  p.mappings = random_mappings(random);
  for (uint32_t id : random_ids(random, 3)) p.flow_logs.push_back(random_flow_log(random, id));
  for (uint32_t id : random_ids(random, 2)) {
    p.nat_gateways.push_back({id, random_name(random), pick(random, 1, 3), pick(random, 1, 99),
                              chance(random, 70),
                              many(random, 3, [&] { return random_address(random); }),
                              many(random, 3, [&] { return random_address(random); }),
                              chance(random, 50) ? pick(random, 1, 12) : 0});
  }
  for (uint32_t id : random_ids(random, 2)) {
    p.load_balancers.push_back(random_load_balancer(random, id));
  }
  return p;
}

Program mutate(const Program& program, std::mt19937_64& random) {
  Program p = program;
  if (chance(random, 50)) p.generation += 1;
  if (chance(random, 20)) p.region = random_name(random);
  if (!p.vpcs.empty() && chance(random, 30)) {
    auto& vpc = p.vpcs[pick(random, 0, p.vpcs.size() - 1)];
    vpc.dns_hostnames = !vpc.dns_hostnames;
  }
  if (!p.enis.empty() && chance(random, 30)) {
    auto& eni = p.enis[pick(random, 0, p.enis.size() - 1)];
    eni.instance_id = eni.instance_id.empty() ? "i-mutated" : "";
  }
  if (!p.security_groups.empty() && chance(random, 60)) {
    auto& group = p.security_groups[pick(random, 0, p.security_groups.size() - 1)];
    group.member_addresses.push_back(random_address(random));
  }
  if (!p.enis.empty() && chance(random, 40)) p.enis.erase(p.enis.begin());
  if (chance(random, 40)) p.enis.push_back(random_eni(random, 100 + pick(random, 0, 5)));
  if (!p.mappings.empty() && chance(random, 60)) {
    p.mappings[pick(random, 0, p.mappings.size() - 1)].underlay = random_address(random);
  }
  if (!p.route_tables.empty() && chance(random, 30)) p.route_tables.pop_back();
  if (!p.flow_logs.empty() && chance(random, 30)) {
    auto& log = p.flow_logs[pick(random, 0, p.flow_logs.size() - 1)];
    log.traffic = static_cast<FlowLogTraffic>((static_cast<int>(log.traffic) + 1) % 3);
  }
  if (!p.flow_logs.empty() && chance(random, 20)) p.flow_logs.erase(p.flow_logs.begin());
  if (chance(random, 20)) p.flow_logs.push_back(random_flow_log(random, 70 + pick(random, 0, 3)));
  if (!p.nat_gateways.empty() && chance(random, 40)) {
    auto& gateway = p.nat_gateways[pick(random, 0, p.nat_gateways.size() - 1)];
    if (!gateway.nodes.empty()) gateway.nodes[0] = IpAddress::v4(0);  // its first node died
  }
  if (!p.nat_gateways.empty() && chance(random, 20)) p.nat_gateways.pop_back();
  if (!p.load_balancers.empty() && chance(random, 40)) {
    auto& lb = p.load_balancers[pick(random, 0, p.load_balancers.size() - 1)];
    if (!lb.nodes.empty()) lb.nodes[0] = IpAddress::v4(0);
    for (auto& g : lb.target_groups) {
      if (!g.targets.empty()) g.targets.back().draining = true;  // deregistered
    }
  }
  if (!p.load_balancers.empty() && chance(random, 20)) p.load_balancers.pop_back();
  std::set<uint32_t> seen_logs;
  std::erase_if(p.flow_logs, [&](const FlowLog& f) { return !seen_logs.insert(f.id).second; });
  // Keep keys unique: a re-added ENI id may collide with an existing one.
  std::set<uint32_t> seen;
  std::erase_if(p.enis, [&](const Eni& e) { return !seen.insert(e.id).second; });
  return p;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace openvpc::mapping::testing
