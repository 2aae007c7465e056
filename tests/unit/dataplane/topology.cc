#include "topology.h"

#include "packet/parser.h"

namespace openvpc::dataplane::testing {
namespace {

using program::Direction;

program::SecurityGroupRule rule(Direction d, int protocol, uint16_t first, uint16_t last,
                                const char* peer, uint32_t group = 0) {
  program::SecurityGroupRule r;
  r.direction = d;
  r.traffic.protocol = protocol;
  r.traffic.ports = {first, last};
  r.peer = cidr_literal(peer);
  r.referenced_group = group;
  return r;
}

program::NetworkAclEntry acl(uint16_t number, Direction d, int protocol, uint16_t first,
                             uint16_t last, const char* cidr, program::AclAction action) {
  program::NetworkAclEntry e;
  e.rule_number = number;
  e.direction = d;
  e.traffic.protocol = protocol;
  e.traffic.ports = {first, last};
  e.cidr = cidr_literal(cidr);
  e.action = action;
  return e;
}

program::NetworkAcl allow_all(uint32_t id, uint32_t vpc) {
  using program::AclAction;
  return {id,
          "default",
          vpc,
          {acl(100, Direction::ingress, -1, 0, 65535, "0.0.0.0/0", AclAction::allow),
           acl(100, Direction::egress, -1, 0, 65535, "0.0.0.0/0", AclAction::allow)}};
}

program::Eni eni(const EniInfo& info, uint32_t subnet, std::vector<uint32_t> groups) {
  return {info.id, "eni-" + std::to_string(info.id), subnet, info.mac, {info.ip}, groups, true};
}

program::Mapping mapping(uint32_t vpc, const EniInfo& info, IpAddress host,
                         std::optional<IpAddress> public_address = std::nullopt) {
  return {vpc, info.ip, host, info.id, true, public_address};
}

}  // namespace

program::Program standard_program() {
  using program::AclAction;
  using program::RouteTargetKind;
  program::Program p;
  p.generation = 1;
  p.host_underlay = kHost;
  p.router_mac = kRouterMac;
  p.vpcs = {{7, "blue", {cidr_literal("10.0.0.0/16")}}, {8, "red", {cidr_literal("10.0.0.0/16")}}};
  p.subnets = {{11, "blue-a", 7, cidr_literal("10.0.1.0/24"), 31, 21},
               {12, "blue-b", 7, cidr_literal("10.0.2.0/24"), 32, 21},
               {13, "red-a", 8, cidr_literal("10.0.1.0/24"), 33, 22}};
  p.route_tables = {
      {21,
       "blue-main",
       7,
       {{cidr_literal("10.0.0.0/16"), RouteTargetKind::local, 0},
        {cidr_literal("0.0.0.0/0"), RouteTargetKind::internet_gateway, 901},
        {cidr_literal("10.0.2.128/25"), RouteTargetKind::blackhole, 0},
        {cidr_literal("172.16.0.0/12"), RouteTargetKind::nat_gateway, 902},
        {cidr_literal("172.16.5.0/24"), RouteTargetKind::eni, 102}}},
      {22, "red-main", 8, {{cidr_literal("10.0.0.0/16"), RouteTargetKind::local, 0}}}};
  p.network_acls = {allow_all(31, 7),
                    {32,
                     "db-acl",
                     7,
                     {acl(200, Direction::ingress, 6, 5432, 5432, "10.0.0.0/16", AclAction::allow),
                      acl(100, Direction::ingress, 6, 5432, 5432, "10.0.1.6/32", AclAction::deny),
                      acl(300, Direction::ingress, 1, 0, 65535, "10.0.0.0/16", AclAction::allow),
                      acl(100, Direction::egress, 6, 1024, 65535, "10.0.0.0/16", AclAction::allow),
                      acl(200, Direction::egress, 1, 0, 65535, "10.0.0.0/16", AclAction::allow)}},
                    allow_all(33, 8)};
  p.security_groups = {
      {41,
       "web",
       7,
       {rule(Direction::ingress, 6, 22, 22, "10.0.0.0/16"),
        rule(Direction::ingress, 1, 0, 65535, "10.0.0.0/16"),
        rule(Direction::egress, -1, 0, 65535, "0.0.0.0/0")},
       {kWeb1.ip, kWeb2.ip, kRemoteWeb.ip}},
      {42,
       "db",
       7,
       {rule(Direction::ingress, 6, 5432, 5432, "0.0.0.0/32", 41),
        rule(Direction::ingress, 1, 0, 65535, "10.0.0.0/16"),
        rule(Direction::egress, -1, 0, 65535, "0.0.0.0/0")},
       {kDb.ip, kRemoteDb.ip}},
      {43, "open", 7, {rule(Direction::ingress, 6, 8080, 8080, "0.0.0.0/0")}, {kWeb2.ip}},
      {44,
       "red",
       8,
       {rule(Direction::ingress, -1, 0, 65535, "10.0.0.0/16"),
        rule(Direction::egress, -1, 0, 65535, "0.0.0.0/0")},
       {kOther1.ip, kOther2.ip}}};
  p.enis = {eni(kWeb1, 11, {41}), eni(kWeb2, 11, {41, 43}), eni(kDb, 12, {42}),
            eni(kOther1, 13, {44}), eni(kOther2, 13, {44})};
  p.edge_nodes = {kEdge};
  p.mappings = {mapping(7, kWeb1, kHost, kWeb1Public),
                mapping(7, kWeb2, kHost),
                mapping(7, kDb, kHost),
                mapping(7, kRemoteWeb, kRemoteHost, kRemoteWebPublic),
                mapping(7, kRemoteDb, kRemoteHost),
                mapping(8, kOther1, kHost),
                mapping(8, kOther2, kHost),
                mapping(8, kOtherRemote, kRemoteHost)};
  return p;
}

void with_nat_gateway(program::Program& program, std::vector<IpAddress> nodes) {
  program::NatGateway gateway;
  gateway.id = kNatGateway;
  gateway.name = "nat-0902";
  gateway.vpc = 7;
  gateway.eni = kNatGatewayEni;
  gateway.addresses = {address_literal("10.0.1.200")};
  gateway.nodes = std::move(nodes);
  program.nat_gateways = {gateway};
}

std::vector<uint8_t> tcp_ip(IpAddress src, IpAddress dst, uint16_t sport, uint16_t dport,
                            uint8_t flags, uint8_t ttl, uint16_t id, size_t payload_size) {
  packet::IpSpec ip{src, dst, ttl, 0, true, id, 0, false};
  packet::TcpSpec tcp;
  tcp.src_port = sport;
  tcp.dst_port = dport;
  tcp.seq = 1000u + id;
  tcp.flags = flags;
  std::vector<uint8_t> payload(payload_size, uint8_t(id));
  return packet::build_tcp(ip, tcp, payload);
}

std::vector<uint8_t> tcp_segment(IpAddress src, IpAddress dst, uint16_t sport, uint16_t dport,
                                 uint8_t flags, uint32_t seq, uint32_t ack, size_t payload_size,
                                 uint8_t ttl) {
  packet::IpSpec ip{src, dst, ttl, 0, true, uint16_t(seq), 0, false};
  packet::TcpSpec tcp;
  tcp.src_port = sport;
  tcp.dst_port = dport;
  tcp.seq = seq;
  tcp.ack = ack;
  tcp.flags = flags;
  tcp.window = 65535;
  std::vector<uint8_t> payload(payload_size, uint8_t(seq));
  return packet::build_tcp(ip, tcp, payload);
}

std::vector<uint8_t> syn_ack_ip(IpAddress src, IpAddress dst, uint16_t sport, uint16_t dport) {
  return tcp_segment(src, dst, sport, dport, packet::kTcpSyn | packet::kTcpAck, 5000, 1002);
}

std::vector<uint8_t> udp_ip(IpAddress src, IpAddress dst, uint16_t sport, uint16_t dport,
                            uint8_t ttl, size_t payload_size) {
  packet::IpSpec ip{src, dst, ttl, 0, false, uint16_t(sport ^ dport), 0, false};
  std::vector<uint8_t> payload(payload_size, uint8_t(sport));
  return packet::build_udp(ip, {sport, dport}, payload);
}

std::vector<uint8_t> ping_ip(IpAddress src, IpAddress dst, bool request, uint16_t id, uint8_t ttl) {
  packet::IpSpec ip{src, dst, ttl, 0, false, id, 0, false};
  return packet::build_icmp_echo(ip, {request, id, 1});
}

std::vector<uint8_t> from_eni(const EniInfo& eni, std::span<const uint8_t> ip) {
  return packet::with_ethernet({eni.mac, kRouterMac, std::nullopt}, ip);
}

std::vector<uint8_t> to_eni(const EniInfo& eni, std::span<const uint8_t> ip) {
  return packet::with_ethernet({kRouterMac, eni.mac, std::nullopt}, ip);
}

std::vector<uint8_t> geneve(IpAddress from_host, IpAddress to_host, uint32_t vni, uint32_t source,
                            uint32_t destination, std::span<const uint8_t> ip, uint16_t flags) {
  // The tuple as the sending router saw it: an instance's packet, never unwrapped (parse_ip
  // would take an instance's UDP datagram to 6081 for a tunnel).
  const packet::PacketMeta inner = packet::parse_frame(packet::with_ethernet({}, ip));
  packet::GeneveEncap encap;
  encap.outer_src_v4 = from_host.v4_host_order();
  encap.outer_dst_v4 = to_host.v4_host_order();
  encap.src_port = packet::flow_source_port(inner.tuple);
  encap.vni = vni;
  encap.source_eni = source;
  encap.destination_eni = destination;
  encap.vpc_flags = flags;
  return packet::build_geneve(encap, ip);
}

std::vector<uint8_t> encapsulated(uint32_t vni, uint32_t source, uint32_t destination,
                                  std::span<const uint8_t> ip, uint16_t flags) {
  return geneve(kHost, kRemoteHost, vni, source, destination, ip, flags);
}

}  // namespace openvpc::dataplane::testing
