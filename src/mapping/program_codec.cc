#include "mapping/program_codec.h"

#include <cstring>
#include <utility>

namespace openvpc::mapping {
namespace {

using program::Cidr;
using program::IpAddress;
using program::MacAddress;

// Decoding collects the first problem and keeps going with defaults; the caller turns a
// non-empty problem into an Error. This keeps every field conversion one line.
struct Decoder {
  std::string problem;

  void fail(std::string what) {
    if (problem.empty()) problem = std::move(what);
  }
  IpAddress address(std::string_view bytes, const char* what) {
    auto a = decode_address(bytes);
    if (!a) fail(std::string(what) + ": address of " + std::to_string(bytes.size()) + " bytes");
    return a.value_or(IpAddress{});
  }
  MacAddress mac(std::string_view bytes, const char* what) {
    MacAddress m;
    if (bytes.size() != m.bytes.size()) {
      fail(std::string(what) + ": MAC of " + std::to_string(bytes.size()) + " bytes");
      return m;
    }
    std::memcpy(m.bytes.data(), bytes.data(), m.bytes.size());
    return m;
  }
  Cidr cidr(const wire::Cidr& c, const char* what) {
    IpAddress a = address(c.address(), what);
    uint32_t width = a.is_v4() ? 32 : 128;
    if (c.prefix_length() > width) fail(std::string(what) + ": prefix length too long");
    return Cidr::make(a, static_cast<uint8_t>(std::min(c.prefix_length(), width)));
  }
  uint16_t u16(uint32_t value, const char* what) {
    if (value > 65535) fail(std::string(what) + ": " + std::to_string(value) + " > 65535");
    return static_cast<uint16_t>(value);
  }
  int ranged(int32_t value, int low, int high, const char* what) {
    if (value < low || value > high) fail(std::string(what) + ": out of range");
    return value;
  }
  program::Direction direction(wire::Direction d) {
    if (d == wire::DIRECTION_INGRESS) return program::Direction::ingress;
    if (d == wire::DIRECTION_EGRESS) return program::Direction::egress;
    fail("direction unspecified");
    return program::Direction::ingress;
  }
  program::AclAction action(wire::AclAction a) {
    if (a == wire::ACL_ACTION_ALLOW) return program::AclAction::allow;
    if (a == wire::ACL_ACTION_DENY) return program::AclAction::deny;
    fail("network ACL action unspecified");
    return program::AclAction::deny;
  }
  program::RouteTargetKind target(wire::RouteTargetKind kind) {
    if (kind < wire::ROUTE_TARGET_LOCAL || kind > wire::ROUTE_TARGET_BLACKHOLE) {
      fail("route target unspecified");
      return program::RouteTargetKind::blackhole;
    }
    return static_cast<program::RouteTargetKind>(kind - wire::ROUTE_TARGET_LOCAL);
  }
  program::FlowLogTraffic flow_log_traffic(wire::FlowLogTraffic t) {
    if (t < wire::FLOW_LOG_TRAFFIC_ACCEPT || t > wire::FLOW_LOG_TRAFFIC_ALL) {
      fail("flow log traffic type unspecified");
      return program::FlowLogTraffic::all;
    }
    return static_cast<program::FlowLogTraffic>(t - wire::FLOW_LOG_TRAFFIC_ACCEPT);
  }
  program::TrafficMatch traffic(const wire::TrafficMatch& t) {
    program::TrafficMatch out;
    out.protocol = ranged(t.protocol(), program::kAllProtocols, 255, "protocol");
    out.ports.first = u16(t.ports().first(), "port");
    out.ports.last = u16(t.ports().last(), "port");
    out.icmp_type = ranged(t.icmp_type(), program::kAnyIcmpValue, 255, "icmp type");
    out.icmp_code = ranged(t.icmp_code(), program::kAnyIcmpValue, 255, "icmp code");
    return out;
  }
};

void encode_cidr(const Cidr& cidr, wire::Cidr* out) {
  out->set_address(encode_address(cidr.address));
  out->set_prefix_length(cidr.prefix_length);
}

std::string encode_mac(const MacAddress& mac) {
  return std::string(reinterpret_cast<const char*>(mac.bytes.data()), mac.bytes.size());
}

void encode_traffic(const program::TrafficMatch& t, wire::TrafficMatch* out) {
  out->set_protocol(t.protocol);
  out->mutable_ports()->set_first(t.ports.first);
  out->mutable_ports()->set_last(t.ports.last);
  out->set_icmp_type(t.icmp_type);
  out->set_icmp_code(t.icmp_code);
}

wire::Direction encode_direction(program::Direction d) {
  return d == program::Direction::ingress ? wire::DIRECTION_INGRESS : wire::DIRECTION_EGRESS;
}

void encode_objects(const program::Program& p, wire::Program* out) {
  for (const auto& vpc : p.vpcs) {
    auto* v = out->add_vpcs();
    v->set_id(vpc.id);
    v->set_name(vpc.name);
    for (const auto& c : vpc.cidrs) encode_cidr(c, v->add_cidrs());
    v->set_dns_support(vpc.dns_support);
    v->set_dns_hostnames(vpc.dns_hostnames);
  }
  for (const auto& subnet : p.subnets) {
    auto* s = out->add_subnets();
    s->set_id(subnet.id);
    s->set_name(subnet.name);
    s->set_vpc(subnet.vpc);
    encode_cidr(subnet.cidr, s->mutable_cidr());
    s->set_network_acl(subnet.network_acl);
    s->set_route_table(subnet.route_table);
  }
  for (const auto& table : p.route_tables) {
    auto* t = out->add_route_tables();
    t->set_id(table.id);
    t->set_name(table.name);
    t->set_vpc(table.vpc);
    for (const auto& route : table.routes) {
      auto* r = t->add_routes();
      encode_cidr(route.destination, r->mutable_destination());
      r->set_target(static_cast<wire::RouteTargetKind>(static_cast<int>(route.target) +
                                                       wire::ROUTE_TARGET_LOCAL));
      r->set_target_id(route.target_id);
    }
  }
}

void encode_filters(const program::Program& p, wire::Program* out) {
  for (const auto& group : p.security_groups) {
    auto* g = out->add_security_groups();
    g->set_id(group.id);
    g->set_name(group.name);
    g->set_vpc(group.vpc);
    for (const auto& rule : group.rules) {
      auto* r = g->add_rules();
      r->set_direction(encode_direction(rule.direction));
      encode_traffic(rule.traffic, r->mutable_traffic());
      encode_cidr(rule.peer, r->mutable_peer());
      r->set_referenced_group(rule.referenced_group);
    }
    for (const auto& a : group.member_addresses) g->add_member_addresses(encode_address(a));
  }
  for (const auto& acl : p.network_acls) {
    auto* a = out->add_network_acls();
    a->set_id(acl.id);
    a->set_name(acl.name);
    a->set_vpc(acl.vpc);
    for (const auto& entry : acl.entries) {
      auto* e = a->add_entries();
      e->set_rule_number(entry.rule_number);
      e->set_direction(encode_direction(entry.direction));
      encode_traffic(entry.traffic, e->mutable_traffic());
      encode_cidr(entry.cidr, e->mutable_cidr());
      e->set_action(entry.action == program::AclAction::allow ? wire::ACL_ACTION_ALLOW
                                                              : wire::ACL_ACTION_DENY);
    }
  }
}

void encode_enis(const program::Program& p, wire::Program* out) {
  for (const auto& eni : p.enis) {
    auto* e = out->add_enis();
    e->set_id(eni.id);
    e->set_name(eni.name);
    e->set_subnet(eni.subnet);
    e->set_mac(encode_mac(eni.mac));
    for (const auto& a : eni.private_addresses) e->add_private_addresses(encode_address(a));
    for (uint32_t g : eni.security_groups) e->add_security_groups(g);
    e->set_source_dest_check(eni.source_dest_check);
    e->set_instance_id(eni.instance_id);
    e->set_hostname(eni.hostname);
  }
  for (const auto& m : p.mappings) *out->add_mappings() = encode(m);
}

void encode_flow_logs(const program::Program& p, wire::Program* out) {
  for (const auto& log : p.flow_logs) {
    auto* f = out->add_flow_logs();
    f->set_id(log.id);
    f->set_name(log.name);
    f->set_account_id(log.account_id);
    f->set_traffic(static_cast<wire::FlowLogTraffic>(static_cast<int>(log.traffic) +
                                                     wire::FLOW_LOG_TRAFFIC_ACCEPT));
    f->set_format(log.format);
    f->set_destination(log.destination);
    f->set_aggregation_seconds(log.aggregation_seconds);
    for (uint32_t eni : log.enis) f->add_enis(eni);
  }
}

void decode_flow_logs(Decoder& d, const wire::Program& in, program::Program& out) {
  for (const auto& f : in.flow_logs()) {
    program::FlowLog log;
    log.id = f.id();
    log.name = f.name();
    log.account_id = f.account_id();
    log.traffic = d.flow_log_traffic(f.traffic());
    log.format = f.format();
    log.destination = f.destination();
    log.aggregation_seconds = f.aggregation_seconds();
    log.enis.assign(f.enis().begin(), f.enis().end());
    out.flow_logs.push_back(std::move(log));
  }
}

void encode_nat_gateways(const program::Program& p, wire::Program* out) {
  for (const auto& gateway : p.nat_gateways) {
    auto* g = out->add_nat_gateways();
    g->set_id(gateway.id);
    g->set_name(gateway.name);
    g->set_vpc(gateway.vpc);
    g->set_eni(gateway.eni);
    g->set_is_public(gateway.is_public);
    for (const auto& a : gateway.addresses) g->add_addresses(encode_address(a));
    for (const auto& n : gateway.nodes) g->add_nodes(encode_address(n));
    g->set_subnet(gateway.subnet);
  }
}

void decode_nat_gateways(Decoder& d, const wire::Program& in, program::Program& out) {
  for (const auto& g : in.nat_gateways()) {
    program::NatGateway gateway{g.id(),        g.name(), g.vpc(), g.eni(),
                                g.is_public(), {},       {},      g.subnet()};
    for (const auto& a : g.addresses()) {
      gateway.addresses.push_back(d.address(a, "nat gateway address"));
    }
    for (const auto& n : g.nodes()) gateway.nodes.push_back(d.address(n, "nat gateway node"));
    out.nat_gateways.push_back(std::move(gateway));
  }
}

void encode_target_group(const program::LoadBalancerTargetGroup& group,
                         wire::LoadBalancerTargetGroup* out) {
  out->set_id(group.id);
  out->set_name(group.name);
  const program::HealthCheck& hc = group.health_check;
  auto* h = out->mutable_health_check();
  h->set_enabled(hc.enabled);
  h->set_protocol(hc.protocol == program::HealthCheckProtocol::http
                      ? wire::HEALTH_CHECK_PROTOCOL_HTTP
                      : wire::HEALTH_CHECK_PROTOCOL_TCP);
  h->set_port(hc.port);
  h->set_path(hc.path);
  h->set_matcher(hc.matcher);
  h->set_interval_seconds(hc.interval_seconds);
  h->set_timeout_seconds(hc.timeout_seconds);
  h->set_healthy_threshold(hc.healthy_threshold);
  h->set_unhealthy_threshold(hc.unhealthy_threshold);
  out->set_deregistration_delay_seconds(group.deregistration_delay_seconds);
  out->set_preserve_client_ip(group.preserve_client_ip);
  out->set_stickiness(group.stickiness);
  for (const auto& target : group.targets) {
    auto* t = out->add_targets();
    t->set_address(encode_address(target.address));
    t->set_port(target.port);
    t->set_eni(target.eni);
    t->set_underlay(encode_address(target.underlay));
    t->set_draining(target.draining);
  }
}

void encode_load_balancers(const program::Program& p, wire::Program* out) {
  for (const auto& lb : p.load_balancers) {
    auto* l = out->add_load_balancers();
    l->set_id(lb.id);
    l->set_name(lb.name);
    l->set_vpc(lb.vpc);
    l->set_dns_name(lb.dns_name);
    for (const auto& interface : lb.interfaces) {
      auto* i = l->add_interfaces();
      i->set_eni(interface.eni);
      i->set_subnet(interface.subnet);
      i->set_address(encode_address(interface.address));
      if (interface.public_address) {
        i->set_public_address(encode_address(*interface.public_address));
      }
    }
    for (const auto& n : lb.nodes) l->add_nodes(encode_address(n));
    l->set_cross_zone(lb.cross_zone);
    for (const auto& listener : lb.listeners) {
      auto* w = l->add_listeners();
      w->set_port(listener.port);
      w->set_protocol(static_cast<wire::ListenerProtocol>(static_cast<int>(listener.protocol) +
                                                          wire::LISTENER_PROTOCOL_TCP));
      w->set_target_group(listener.target_group);
    }
    for (const auto& group : lb.target_groups) encode_target_group(group, l->add_target_groups());
  }
}

program::HealthCheck decode_health_check(Decoder& d, const wire::HealthCheck& h) {
  program::HealthCheck out;
  out.enabled = h.enabled();
  if (h.protocol() == wire::HEALTH_CHECK_PROTOCOL_TCP) {
    out.protocol = program::HealthCheckProtocol::tcp;
  } else if (h.protocol() == wire::HEALTH_CHECK_PROTOCOL_HTTP) {
    out.protocol = program::HealthCheckProtocol::http;
  } else {
    d.fail("health check protocol unspecified");
  }
  out.port = d.u16(h.port(), "health check port");
  out.path = h.path();
  out.matcher = h.matcher();
  out.interval_seconds = h.interval_seconds();
  out.timeout_seconds = h.timeout_seconds();
  out.healthy_threshold = h.healthy_threshold();
  out.unhealthy_threshold = h.unhealthy_threshold();
  if (out.interval_seconds == 0) d.fail("health check interval of 0 seconds");
  return out;
}

program::LoadBalancerTargetGroup decode_target_group(Decoder& d,
                                                     const wire::LoadBalancerTargetGroup& g) {
  program::LoadBalancerTargetGroup out;
  out.id = g.id();
  out.name = g.name();
  out.health_check = decode_health_check(d, g.health_check());
  out.deregistration_delay_seconds = g.deregistration_delay_seconds();
  out.preserve_client_ip = g.preserve_client_ip();
  out.stickiness = g.stickiness();
  for (const auto& t : g.targets()) {
    out.targets.push_back({d.address(t.address(), "target address"), d.u16(t.port(), "target port"),
                           t.eni(), d.address(t.underlay(), "target underlay"), t.draining()});
    if (t.port() == 0) d.fail("target port 0");
  }
  return out;
}

void decode_load_balancers(Decoder& d, const wire::Program& in, program::Program& out) {
  for (const auto& l : in.load_balancers()) {
    program::LoadBalancer lb;
    lb.id = l.id();
    lb.name = l.name();
    lb.vpc = l.vpc();
    lb.dns_name = l.dns_name();
    for (const auto& i : l.interfaces()) {
      program::LoadBalancerInterface interface {
        i.eni(), i.subnet(), d.address(i.address(), "load balancer address"), {}
      };
      if (!i.public_address().empty()) {
        interface.public_address = d.address(i.public_address(), "load balancer public address");
      }
      lb.interfaces.push_back(interface);
    }
    for (const auto& n : l.nodes()) lb.nodes.push_back(d.address(n, "load balancer node"));
    lb.cross_zone = l.cross_zone();
    for (const auto& w : l.listeners()) {
      program::LoadBalancerListener listener;
      listener.port = d.u16(w.port(), "listener port");
      if (w.port() == 0) d.fail("listener port 0");
      if (w.protocol() < wire::LISTENER_PROTOCOL_TCP ||
          w.protocol() > wire::LISTENER_PROTOCOL_TCP_UDP) {
        d.fail("listener protocol unspecified");
      } else {
        listener.protocol =
            static_cast<program::ListenerProtocol>(w.protocol() - wire::LISTENER_PROTOCOL_TCP);
      }
      listener.target_group = w.target_group();
      lb.listeners.push_back(listener);
    }
    for (const auto& g : l.target_groups()) lb.target_groups.push_back(decode_target_group(d, g));
    out.load_balancers.push_back(std::move(lb));
  }
}

void decode_objects(Decoder& d, const wire::Program& in, program::Program& out) {
  for (const auto& v : in.vpcs()) {
    program::Vpc vpc{v.id(), v.name(), {}, v.dns_support(), v.dns_hostnames()};
    for (const auto& c : v.cidrs()) vpc.cidrs.push_back(d.cidr(c, "vpc cidr"));
    out.vpcs.push_back(std::move(vpc));
  }
  for (const auto& s : in.subnets()) {
    out.subnets.push_back({s.id(), s.name(), s.vpc(), d.cidr(s.cidr(), "subnet cidr"),
                           s.network_acl(), s.route_table()});
  }
  for (const auto& t : in.route_tables()) {
    program::RouteTable table{t.id(), t.name(), t.vpc(), {}};
    for (const auto& r : t.routes()) {
      table.routes.push_back(
          {d.cidr(r.destination(), "route destination"), d.target(r.target()), r.target_id()});
    }
    out.route_tables.push_back(std::move(table));
  }
}

void decode_filters(Decoder& d, const wire::Program& in, program::Program& out) {
  for (const auto& g : in.security_groups()) {
    program::SecurityGroup group{g.id(), g.name(), g.vpc(), {}, {}};
    for (const auto& r : g.rules()) {
      group.rules.push_back({d.direction(r.direction()), d.traffic(r.traffic()),
                             d.cidr(r.peer(), "rule peer"), r.referenced_group()});
    }
    for (const auto& a : g.member_addresses()) {
      group.member_addresses.push_back(d.address(a, "group member"));
    }
    out.security_groups.push_back(std::move(group));
  }
  for (const auto& a : in.network_acls()) {
    program::NetworkAcl acl{a.id(), a.name(), a.vpc(), {}};
    for (const auto& e : a.entries()) {
      acl.entries.push_back({d.u16(e.rule_number(), "rule number"), d.direction(e.direction()),
                             d.traffic(e.traffic()), d.cidr(e.cidr(), "acl cidr"),
                             d.action(e.action())});
    }
    out.network_acls.push_back(std::move(acl));
  }
}

void decode_enis(Decoder& d, const wire::Program& in, program::Program& out) {
  for (const auto& e : in.enis()) {
    program::Eni eni;
    eni.id = e.id();
    eni.name = e.name();
    eni.subnet = e.subnet();
    eni.mac = d.mac(e.mac(), "eni mac");
    for (const auto& a : e.private_addresses()) {
      eni.private_addresses.push_back(d.address(a, "eni address"));
    }
    eni.security_groups.assign(e.security_groups().begin(), e.security_groups().end());
    eni.source_dest_check = e.source_dest_check();
    eni.instance_id = e.instance_id();
    eni.hostname = e.hostname();
    out.enis.push_back(std::move(eni));
  }
}

program::Mapping decode_mapping(Decoder& d, const wire::Mapping& m) {
  program::Mapping out{m.vpc(), d.address(m.address(), "mapping address"),
                       d.address(m.underlay(), "mapping underlay"), m.eni(), m.source_dest_check()};
  if (!m.public_address().empty()) {
    out.public_address = d.address(m.public_address(), "mapping public address");
  }
  out.nat_gateway = m.nat_gateway();
  out.load_balancer = m.load_balancer();
  if (out.nat_gateway != 0 && out.load_balancer != 0) {
    d.fail("mapping both a NAT gateway's and a load balancer's");
  }
  return out;
}

Error invalid(const std::string& problem) {
  return make_error("mapping.invalid_program", problem);
}

}  // namespace

std::string encode_address(const IpAddress& address) {
  const auto* bytes = reinterpret_cast<const char*>(address.bytes.data());
  return address.is_v4() ? std::string(bytes + 12, 4) : std::string(bytes, 16);
}

std::optional<IpAddress> decode_address(std::string_view bytes) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() == 4) return IpAddress::v4_from_wire(data);
  if (bytes.size() == 16) return IpAddress::v6_from_wire(data);
  return std::nullopt;
}

wire::Program encode(const program::Program& program) {
  wire::Program out;
  out.set_generation(program.generation);
  out.set_host_underlay(encode_address(program.host_underlay));
  out.set_router_mac(encode_mac(program.router_mac));
  out.set_region(program.region);
  encode_objects(program, &out);
  encode_filters(program, &out);
  encode_enis(program, &out);
  encode_flow_logs(program, &out);
  for (const auto& edge : program.edge_nodes) out.add_edge_nodes(encode_address(edge));
  encode_nat_gateways(program, &out);
  encode_load_balancers(program, &out);
  return out;
}

Result<program::Program> decode(const wire::Program& message) {
  Decoder d;
  program::Program out;
  out.generation = message.generation();
  out.host_underlay = d.address(message.host_underlay(), "host underlay");
  out.router_mac = d.mac(message.router_mac(), "router mac");
  out.region = message.region();
  decode_objects(d, message, out);
  decode_filters(d, message, out);
  decode_enis(d, message, out);
  for (const auto& m : message.mappings()) out.mappings.push_back(decode_mapping(d, m));
  decode_flow_logs(d, message, out);
  for (const auto& edge : message.edge_nodes()) {
    out.edge_nodes.push_back(d.address(edge, "edge node"));
  }
  decode_nat_gateways(d, message, out);
  decode_load_balancers(d, message, out);
  if (!d.problem.empty()) return invalid(d.problem);
  return out;
}

wire::Mapping encode(const program::Mapping& mapping) {
  wire::Mapping out;
  out.set_vpc(mapping.vpc);
  out.set_address(encode_address(mapping.address));
  out.set_underlay(encode_address(mapping.underlay));
  out.set_eni(mapping.eni);
  out.set_source_dest_check(mapping.source_dest_check);
  if (mapping.public_address) out.set_public_address(encode_address(*mapping.public_address));
  out.set_nat_gateway(mapping.nat_gateway);
  out.set_load_balancer(mapping.load_balancer);
  return out;
}

Result<program::Mapping> decode(const wire::Mapping& message) {
  Decoder d;
  program::Mapping out = decode_mapping(d, message);
  if (!d.problem.empty()) return invalid(d.problem);
  return out;
}

}  // namespace openvpc::mapping
