#include "program/program_json.h"

#include <initializer_list>

#include <nlohmann/json.hpp>

namespace openvpc::program {
namespace {

using nlohmann::json;

// Thrown inside this file only, turned into a Result at the boundary.
struct BadField {
  std::string what;
};

template <typename T>
T get(const json& j, const char* key, T fallback) {
  if (!j.contains(key)) return fallback;
  return j.at(key).get<T>();
}

IpAddress address(const json& j, const char* key) {
  const auto text = get<std::string>(j, key, "");
  auto a = parse_address(text);
  if (!a) throw BadField{std::string(key) + ": bad address '" + text + "'"};
  return *a;
}

Cidr cidr(const json& j, const char* key, const char* fallback = "0.0.0.0/0") {
  const auto text = get<std::string>(j, key, fallback);
  auto c = Cidr::parse(text);
  if (!c) throw BadField{std::string(key) + ": bad CIDR '" + text + "'"};
  return *c;
}

Direction direction(const json& j) {
  return get<std::string>(j, "direction", "ingress") == "egress" ? Direction::egress
                                                                 : Direction::ingress;
}

RouteTargetKind target(const std::string& name) {
  for (int k = 0; k <= int(RouteTargetKind::blackhole); ++k) {
    if (to_string(RouteTargetKind(k)) == name) return RouteTargetKind(k);
  }
  throw BadField{"target: unknown '" + name + "'"};
}

TrafficMatch traffic(const json& j) {
  TrafficMatch t;
  t.protocol = get<int>(j, "protocol", kAllProtocols);
  if (j.contains("ports"))
    t.ports = {j["ports"].at(0).get<uint16_t>(), j["ports"].at(1).get<uint16_t>()};
  t.icmp_type = get<int>(j, "icmp_type", kAnyIcmpValue);
  t.icmp_code = get<int>(j, "icmp_code", kAnyIcmpValue);
  return t;
}

json traffic_json(const TrafficMatch& t) {
  return {{"protocol", t.protocol},
          {"ports", {t.ports.first, t.ports.last}},
          {"icmp_type", t.icmp_type},
          {"icmp_code", t.icmp_code}};
}

std::vector<IpAddress> addresses(const json& j, const char* key) {
  std::vector<IpAddress> out;
  for (const auto& a : j.value(key, json::array())) {
    auto parsed = parse_address(a.get<std::string>());
    if (!parsed) throw BadField{std::string(key) + ": bad address"};
    out.push_back(*parsed);
  }
  return out;
}

json address_list(const std::vector<IpAddress>& list) {
  json out = json::array();
  for (const auto& a : list) out.push_back(format_address(a));
  return out;
}

void read_topology(const json& j, Program& p) {
  for (const auto& v : j.value("vpcs", json::array())) {
    Vpc vpc{get<uint32_t>(v, "id", 0),
            get<std::string>(v, "name", ""),
            {},
            get<bool>(v, "dns_support", true),
            get<bool>(v, "dns_hostnames", false)};
    for (const auto& c : v.value("cidrs", json::array())) {
      auto parsed = Cidr::parse(c.get<std::string>());
      if (!parsed) throw BadField{"vpc cidrs: bad CIDR"};
      vpc.cidrs.push_back(*parsed);
    }
    p.vpcs.push_back(vpc);
  }
  for (const auto& s : j.value("subnets", json::array())) {
    p.subnets.push_back({get<uint32_t>(s, "id", 0), get<std::string>(s, "name", ""),
                         get<uint32_t>(s, "vpc", 0), cidr(s, "cidr"),
                         get<uint32_t>(s, "network_acl", 0), get<uint32_t>(s, "route_table", 0)});
  }
  for (const auto& t : j.value("route_tables", json::array())) {
    RouteTable table{
        get<uint32_t>(t, "id", 0), get<std::string>(t, "name", ""), get<uint32_t>(t, "vpc", 0), {}};
    for (const auto& r : t.value("routes", json::array())) {
      table.routes.push_back({cidr(r, "destination"),
                              target(get<std::string>(r, "target", "local")),
                              get<uint32_t>(r, "target_id", 0)});
    }
    p.route_tables.push_back(table);
  }
}

void read_policy(const json& j, Program& p) {
  for (const auto& g : j.value("security_groups", json::array())) {
    SecurityGroup group{get<uint32_t>(g, "id", 0),
                        get<std::string>(g, "name", ""),
                        get<uint32_t>(g, "vpc", 0),
                        {},
                        addresses(g, "member_addresses")};
    for (const auto& r : g.value("rules", json::array())) {
      group.rules.push_back(
          {direction(r), traffic(r), cidr(r, "peer"), get<uint32_t>(r, "referenced_group", 0)});
    }
    p.security_groups.push_back(group);
  }
  for (const auto& a : j.value("network_acls", json::array())) {
    NetworkAcl acl{
        get<uint32_t>(a, "id", 0), get<std::string>(a, "name", ""), get<uint32_t>(a, "vpc", 0), {}};
    for (const auto& e : a.value("entries", json::array())) {
      acl.entries.push_back(
          {get<uint16_t>(e, "rule_number", 100), direction(e), traffic(e), cidr(e, "cidr"),
           get<std::string>(e, "action", "deny") == "allow" ? AclAction::allow : AclAction::deny});
    }
    p.network_acls.push_back(acl);
  }
}

void read_hosts(const json& j, Program& p) {
  for (const auto& e : j.value("enis", json::array())) {
    auto mac = parse_mac(get<std::string>(e, "mac", ""));
    if (!mac) throw BadField{"eni mac: bad MAC"};
    p.enis.push_back({get<uint32_t>(e, "id", 0), get<std::string>(e, "name", ""),
                      get<uint32_t>(e, "subnet", 0), *mac, addresses(e, "private_addresses"),
                      e.value("security_groups", std::vector<uint32_t>{}),
                      get<bool>(e, "source_dest_check", true),
                      get<std::string>(e, "instance_id", ""), get<std::string>(e, "hostname", "")});
  }
  for (const auto& m : j.value("mappings", json::array())) {
    p.mappings.push_back({get<uint32_t>(m, "vpc", 0), address(m, "address"), address(m, "underlay"),
                          get<uint32_t>(m, "eni", 0), get<bool>(m, "source_dest_check", true)});
    if (m.contains("public_address"))
      p.mappings.back().public_address = address(m, "public_address");
    p.mappings.back().nat_gateway = get<uint32_t>(m, "nat_gateway", 0);
    p.mappings.back().load_balancer = get<uint32_t>(m, "load_balancer", 0);
  }
  p.edge_nodes = addresses(j, "edge_nodes");
  for (const auto& g : j.value("nat_gateways", json::array())) {
    p.nat_gateways.push_back({get<uint32_t>(g, "id", 0), get<std::string>(g, "name", ""),
                              get<uint32_t>(g, "vpc", 0), get<uint32_t>(g, "eni", 0),
                              get<bool>(g, "is_public", true), addresses(g, "addresses"),
                              addresses(g, "nodes"), get<uint32_t>(g, "subnet", 0)});
  }
}

template <typename Enum>
Enum enum_named(const std::string& name, std::initializer_list<Enum> values, const char* what) {
  for (Enum v : values) {
    if (to_string(v) == name) return v;
  }
  throw BadField{std::string(what) + ": unknown '" + name + "'"};
}

LoadBalancerTargetGroup read_target_group(const json& g) {
  LoadBalancerTargetGroup group;
  group.id = get<uint32_t>(g, "id", 0);
  group.name = get<std::string>(g, "name", "");
  const json hc = g.value("health_check", json::object());
  HealthCheck& h = group.health_check;
  h.enabled = get<bool>(hc, "enabled", true);
  h.protocol = enum_named(get<std::string>(hc, "protocol", "TCP"),
                          {HealthCheckProtocol::tcp, HealthCheckProtocol::http}, "health check");
  h.port = get<uint16_t>(hc, "port", 0);
  h.path = get<std::string>(hc, "path", "");
  h.matcher = get<std::string>(hc, "matcher", "");
  h.interval_seconds = get<uint32_t>(hc, "interval_seconds", 30);
  h.timeout_seconds = get<uint32_t>(hc, "timeout_seconds", 10);
  h.healthy_threshold = get<uint32_t>(hc, "healthy_threshold", 5);
  h.unhealthy_threshold = get<uint32_t>(hc, "unhealthy_threshold", 2);
  group.deregistration_delay_seconds = get<uint32_t>(g, "deregistration_delay_seconds", 300);
  group.preserve_client_ip = get<bool>(g, "preserve_client_ip", true);
  group.stickiness = get<bool>(g, "stickiness", false);
  for (const auto& t : g.value("targets", json::array())) {
    group.targets.push_back({address(t, "address"), get<uint16_t>(t, "port", 0),
                             get<uint32_t>(t, "eni", 0), address(t, "underlay"),
                             get<bool>(t, "draining", false)});
  }
  return group;
}

void read_load_balancers(const json& j, Program& p) {
  for (const auto& l : j.value("load_balancers", json::array())) {
    LoadBalancer lb;
    lb.id = get<uint32_t>(l, "id", 0);
    lb.name = get<std::string>(l, "name", "");
    lb.vpc = get<uint32_t>(l, "vpc", 0);
    lb.dns_name = get<std::string>(l, "dns_name", "");
    for (const auto& i : l.value("interfaces", json::array())) {
      lb.interfaces.push_back(
          {get<uint32_t>(i, "eni", 0), get<uint32_t>(i, "subnet", 0), address(i, "address"), {}});
      if (i.contains("public_address")) {
        lb.interfaces.back().public_address = address(i, "public_address");
      }
    }
    lb.nodes = addresses(l, "nodes");
    lb.cross_zone = get<bool>(l, "cross_zone", false);
    for (const auto& w : l.value("listeners", json::array())) {
      lb.listeners.push_back(
          {get<uint16_t>(w, "port", 0),
           enum_named(get<std::string>(w, "protocol", "TCP"),
                      {ListenerProtocol::tcp, ListenerProtocol::udp, ListenerProtocol::tcp_udp},
                      "listener protocol"),
           get<uint32_t>(w, "target_group", 0)});
    }
    for (const auto& g : l.value("target_groups", json::array())) {
      lb.target_groups.push_back(read_target_group(g));
    }
    p.load_balancers.push_back(std::move(lb));
  }
}

json target_group_json(const LoadBalancerTargetGroup& g) {
  const HealthCheck& h = g.health_check;
  json targets = json::array();
  for (const auto& t : g.targets) {
    targets.push_back({{"address", format_address(t.address)},
                       {"port", t.port},
                       {"eni", t.eni},
                       {"underlay", format_address(t.underlay)},
                       {"draining", t.draining}});
  }
  return {{"id", g.id},
          {"name", g.name},
          {"health_check",
           {{"enabled", h.enabled},
            {"protocol", std::string(to_string(h.protocol))},
            {"port", h.port},
            {"path", h.path},
            {"matcher", h.matcher},
            {"interval_seconds", h.interval_seconds},
            {"timeout_seconds", h.timeout_seconds},
            {"healthy_threshold", h.healthy_threshold},
            {"unhealthy_threshold", h.unhealthy_threshold}}},
          {"deregistration_delay_seconds", g.deregistration_delay_seconds},
          {"preserve_client_ip", g.preserve_client_ip},
          {"stickiness", g.stickiness},
          {"targets", targets}};
}

json load_balancers_json(const Program& p) {
  json j = json::object();
  for (const auto& lb : p.load_balancers) {
    json interfaces = json::array();
    for (const auto& i : lb.interfaces) {
      interfaces.push_back(
          {{"eni", i.eni}, {"subnet", i.subnet}, {"address", format_address(i.address)}});
      if (i.public_address) interfaces.back()["public_address"] = format_address(*i.public_address);
    }
    json listeners = json::array();
    for (const auto& w : lb.listeners) {
      listeners.push_back({{"port", w.port},
                           {"protocol", std::string(to_string(w.protocol))},
                           {"target_group", w.target_group}});
    }
    json groups = json::array();
    for (const auto& g : lb.target_groups) groups.push_back(target_group_json(g));
    j["load_balancers"].push_back({{"id", lb.id},
                                   {"name", lb.name},
                                   {"vpc", lb.vpc},
                                   {"dns_name", lb.dns_name},
                                   {"interfaces", interfaces},
                                   {"nodes", address_list(lb.nodes)},
                                   {"cross_zone", lb.cross_zone},
                                   {"listeners", listeners},
                                   {"target_groups", groups}});
  }
  return j;
}

FlowLogTraffic flow_log_traffic(const std::string& name) {
  for (auto t : {FlowLogTraffic::accept, FlowLogTraffic::reject, FlowLogTraffic::all}) {
    if (to_string(t) == name) return t;
  }
  throw BadField{"traffic: unknown '" + name + "'"};
}

void read_flow_logs(const json& j, Program& p) {
  for (const auto& f : j.value("flow_logs", json::array())) {
    p.flow_logs.push_back(
        {get<uint32_t>(f, "id", 0), get<std::string>(f, "name", ""),
         get<std::string>(f, "account_id", ""),
         flow_log_traffic(get<std::string>(f, "traffic", "ALL")), get<std::string>(f, "format", ""),
         get<std::string>(f, "destination", ""), get<uint32_t>(f, "aggregation_seconds", 600),
         f.value("enis", std::vector<uint32_t>{})});
  }
}

json flow_logs_json(const Program& p) {
  json j;
  j["flow_logs"] = json::array();
  for (const auto& f : p.flow_logs) {
    j["flow_logs"].push_back({{"id", f.id},
                              {"name", f.name},
                              {"account_id", f.account_id},
                              {"traffic", std::string(to_string(f.traffic))},
                              {"format", f.format},
                              {"destination", f.destination},
                              {"aggregation_seconds", f.aggregation_seconds},
                              {"enis", f.enis}});
  }
  return j;
}

json topology_json(const Program& p) {
  json j;
  j["vpcs"] = json::array();
  for (const auto& v : p.vpcs) {
    json cidrs = json::array();
    for (const auto& c : v.cidrs) cidrs.push_back(c.to_string());
    j["vpcs"].push_back({{"id", v.id},
                         {"name", v.name},
                         {"cidrs", cidrs},
                         {"dns_support", v.dns_support},
                         {"dns_hostnames", v.dns_hostnames}});
  }
  j["subnets"] = json::array();
  for (const auto& s : p.subnets) {
    j["subnets"].push_back({{"id", s.id},
                            {"name", s.name},
                            {"vpc", s.vpc},
                            {"cidr", s.cidr.to_string()},
                            {"network_acl", s.network_acl},
                            {"route_table", s.route_table}});
  }
  j["route_tables"] = json::array();
  for (const auto& t : p.route_tables) {
    json routes = json::array();
    for (const auto& r : t.routes) {
      routes.push_back({{"destination", r.destination.to_string()},
                        {"target", std::string(to_string(r.target))},
                        {"target_id", r.target_id}});
    }
    j["route_tables"].push_back(
        {{"id", t.id}, {"name", t.name}, {"vpc", t.vpc}, {"routes", routes}});
  }
  return j;
}

json policy_json(const Program& p) {
  json j;
  j["security_groups"] = json::array();
  for (const auto& g : p.security_groups) {
    json rules = json::array();
    for (const auto& r : g.rules) {
      json rule = traffic_json(r.traffic);
      rule["direction"] = std::string(to_string(r.direction));
      rule["peer"] = r.peer.to_string();
      rule["referenced_group"] = r.referenced_group;
      rules.push_back(rule);
    }
    j["security_groups"].push_back({{"id", g.id},
                                    {"name", g.name},
                                    {"vpc", g.vpc},
                                    {"rules", rules},
                                    {"member_addresses", address_list(g.member_addresses)}});
  }
  j["network_acls"] = json::array();
  for (const auto& a : p.network_acls) {
    json entries = json::array();
    for (const auto& e : a.entries) {
      json entry = traffic_json(e.traffic);
      entry["rule_number"] = e.rule_number;
      entry["direction"] = std::string(to_string(e.direction));
      entry["cidr"] = e.cidr.to_string();
      entry["action"] = std::string(to_string(e.action));
      entries.push_back(entry);
    }
    j["network_acls"].push_back(
        {{"id", a.id}, {"name", a.name}, {"vpc", a.vpc}, {"entries", entries}});
  }
  return j;
}

json hosts_json(const Program& p) {
  json j;
  j["enis"] = json::array();
  for (const auto& e : p.enis) {
    j["enis"].push_back({{"id", e.id},
                         {"name", e.name},
                         {"subnet", e.subnet},
                         {"mac", format_mac(e.mac)},
                         {"private_addresses", address_list(e.private_addresses)},
                         {"security_groups", e.security_groups},
                         {"source_dest_check", e.source_dest_check},
                         {"instance_id", e.instance_id},
                         {"hostname", e.hostname}});
  }
  j["mappings"] = json::array();
  for (const auto& m : p.mappings) {
    j["mappings"].push_back({{"vpc", m.vpc},
                             {"address", format_address(m.address)},
                             {"underlay", format_address(m.underlay)},
                             {"eni", m.eni},
                             {"source_dest_check", m.source_dest_check}});
    if (m.public_address)
      j["mappings"].back()["public_address"] = format_address(*m.public_address);
    if (m.nat_gateway != 0) j["mappings"].back()["nat_gateway"] = m.nat_gateway;
    if (m.load_balancer != 0) j["mappings"].back()["load_balancer"] = m.load_balancer;
  }
  if (!p.edge_nodes.empty()) j["edge_nodes"] = address_list(p.edge_nodes);
  for (const auto& g : p.nat_gateways) {
    j["nat_gateways"].push_back({{"id", g.id},
                                 {"name", g.name},
                                 {"vpc", g.vpc},
                                 {"eni", g.eni},
                                 {"is_public", g.is_public},
                                 {"addresses", address_list(g.addresses)},
                                 {"nodes", address_list(g.nodes)}});
    if (g.subnet != 0) j["nat_gateways"].back()["subnet"] = g.subnet;
  }
  return j;
}

}  // namespace

Result<Program> program_from_json(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error("program.json", "not a JSON object");
  }
  try {
    Program p;
    p.generation = get<uint64_t>(j, "generation", 0);
    p.host_underlay = address(j, "host_underlay");
    auto mac = parse_mac(get<std::string>(j, "router_mac", ""));
    if (!mac) throw BadField{"router_mac: bad MAC"};
    p.router_mac = *mac;
    p.region = get<std::string>(j, "region", "");
    read_topology(j, p);
    read_policy(j, p);
    read_hosts(j, p);
    read_flow_logs(j, p);
    read_load_balancers(j, p);
    return p;
  } catch (const BadField& bad) {
    return make_error("program.json", bad.what);
  } catch (const json::exception& e) {
    return make_error("program.json", e.what());
  }
}

std::string program_to_json(const Program& p) {
  json j;
  j["generation"] = p.generation;
  j["host_underlay"] = format_address(p.host_underlay);
  j["router_mac"] = format_mac(p.router_mac);
  j["region"] = p.region;
  for (const json& part : {topology_json(p), policy_json(p), hosts_json(p), flow_logs_json(p),
                           load_balancers_json(p)}) {
    j.update(part);
  }
  // A name from a forged or corrupted update may hold bytes that are not UTF-8: shown as U+FFFD
  // rather than thrown (nlohmann's default).
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace openvpc::program
